"""The local endpoint's front door: loopback Host and Origin only (DNS rebinding), and the local key.

A web page in the user's browser can send requests to 127.0.0.1; a rebinding attack can even make them same-origin
by name. So: the Host header must name the loopback address and our port, an Origin (browsers always send one on
cross-site requests) must be a loopback origin, and MCP requests must carry the local key.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.proxy import jsonrpc
from bridge.proxy.replies import reply

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]"}
_OPEN_PATHS = {"/healthz"}  # reveals nothing; lets `status` and installers check the bridge without the key


def _split_host(value: str) -> tuple[str, str | None]:
    if value.startswith("["):
        host, _, rest = value.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else None
    host, sep, port = value.rpartition(":")
    return (host, port) if sep else (value, None)


def host_allowed(host_header: str | None, port: int) -> bool:
    if not host_header:
        return False
    host, host_port = _split_host(host_header.lower())
    return host in LOOPBACK_NAMES and host_port == str(port)


def origin_allowed(origin: str | None) -> bool:
    if origin is None:
        return True  # not a browser, or a same-origin navigation
    scheme, sep, rest = origin.lower().partition("://")
    if scheme != "http" or not sep:
        return False
    host, _ = _split_host(rest.rstrip("/"))
    return host in LOOPBACK_NAMES


def key_matches(authorization: str | None, key: str) -> bool:
    if not authorization or authorization[:7].lower() != "bearer ":
        return False
    return hmac.compare_digest(authorization[7:].strip().encode(), key.encode())


class LocalGuard:
    """ASGI middleware: 421 for a foreign Host, 403 for a foreign Origin, 401 without the local key.

    Requests that pass go to `mcp` when their path is `/mcp` or `/p/<profile-id>/mcp` (with `path_params` as a
    router would set them), to `app` otherwise: every MCP message skips the router and its middleware, a tenth of
    what the bridge spent per message before the upstream client was made lean.
    """

    def __init__(
        self, app: ASGIApp, *, port: Callable[[], int], key: Callable[[], str | None], mcp: ASGIApp | None = None
    ) -> None:
        self.app = app
        self.mcp = mcp
        self.port = port
        self.key = key  # None when the user turned the key off

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k: v.decode("latin-1") for k, v in scope["headers"] if k in (b"host", b"origin", b"authorization")}
        if not host_allowed(headers.get(b"host"), self.port()):
            await _deny(send, 421, "Misdirected request: the bridge answers only to 127.0.0.1 and localhost.")
            return
        if not origin_allowed(headers.get(b"origin")):
            await _deny(send, 403, "Requests from web pages are not allowed.")
            return
        key = self.key()
        if key is not None and scope["path"] not in _OPEN_PATHS and not key_matches(headers.get(b"authorization"), key):
            await _deny(
                send,
                401,
                "Port MCP Bridge needs its local key: export this client's configuration again from the tray "
                "(or `port-mcp-bridge export`), which includes it.",
            )
            return
        if self.mcp is not None:
            profile_id = mcp_path(scope["path"])
            if profile_id is not None:
                scope["path_params"] = {"profile_id": profile_id} if profile_id else {}
                await self.mcp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mcp_path(path: str) -> str | None:
    """ "" for `/mcp`, the profile id for `/p/<profile-id>/mcp` (one path segment, as a router's `{profile_id}`),
    None for any other path."""
    if path == "/mcp":
        return ""
    if path.startswith("/p/") and path.endswith("/mcp"):
        profile_id = path[3:-4]
        if profile_id and "/" not in profile_id:
            return profile_id
    return None


async def _deny(send: Send, status: int, message: str) -> None:
    await reply(send, status, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, message))
