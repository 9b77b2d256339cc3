"""The one way the local endpoint answers by itself (a refusal, an error, "paused"): an ASGI response with a JSON body
and its Content-Length, written in two sends. The guard, the pause gate and the proxy all use it."""

from __future__ import annotations

from typing import Any

from starlette.types import Send

from bridge.proxy import jsonrpc

JSON = (b"content-type", b"application/json")


async def reply(send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """`payload` (usually `jsonrpc.error(...)`) as JSON, with `extra` headers (e.g. the session id)."""
    await reply_raw(send, status, [JSON, *(extra or [])], jsonrpc.encode(payload))


async def reply_raw(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [h for h in headers if h[0] != b"content-length"] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
