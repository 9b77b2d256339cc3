"""The JSON-RPC errors an IDE gets in place of Port's answer when there is none to relay, each saying what happened and
what to do: sign in, Port unreachable, a redirect not followed, an error page that is not an MCP answer, an answer that
broke off. Also what an error answer says, briefly.
"""

from __future__ import annotations

from typing import Any

import httpx2

from bridge.proxy import jsonrpc
from bridge.proxy.state import Upstream
from bridge.system.logs import redact


def upstream_error(upstream: Upstream, message: str, **data: Any) -> dict[str, Any]:
    """A JSON-RPC error (id None: the caller sets each request's) about the profile's upstream, -32012, with the
    profile and host as data for clients and the GUI."""
    return jsonrpc.error(
        None, jsonrpc.UPSTREAM_UNAVAILABLE, message, {"profile": upstream.profile.id, "host": upstream.host, **data}
    )


def sign_in_error(upstream: Upstream, why: str) -> dict[str, Any]:
    name = upstream.profile.name
    return jsonrpc.error(
        None,
        jsonrpc.SIGN_IN_REQUIRED,
        f"Sign in to {name}: {why} Use Sign in in the Port MCP Bridge tray menu, or run "
        f"`port-mcp-bridge login {upstream.profile.id}`.",
        {"profile": upstream.profile.id, "state": "needs_sign_in"},
    )


def unreachable(upstream: Upstream, exc: Exception) -> dict[str, Any]:
    kind = {
        httpx2.ConnectTimeout: "the connection timed out",
        httpx2.ReadTimeout: "it stopped answering",
        httpx2.ConnectError: "the connection failed",
    }.get(type(exc), type(exc).__name__)
    return upstream_error(
        upstream,
        f"Cannot reach Port at {upstream.describe()}: {kind}. Check your network or VPN (your organization may allow "
        "only some IP addresses), then run `port-mcp-bridge doctor` for details.",
    )


def redirected(upstream: Upstream, status: int, location: str | None) -> dict[str, Any]:
    return upstream_error(
        upstream,
        f"Port at {upstream.describe()} answered with a redirect (HTTP {status}) to {location or 'nowhere'}. The "
        "bridge follows redirects only within the same server, so your sign-in is never sent elsewhere. If Port's "
        f"address has changed, set it on the profile (`port-mcp-bridge profiles set {upstream.profile.id} --region "
        "<URL>`), then check with `port-mcp-bridge doctor`.",
        status=status,
    )


def not_mcp(upstream: Upstream, status: int, said: str | None) -> dict[str, Any]:
    """The JSON-RPC error for an HTTP error answer that is not an MCP one (a web page from a firewall or proxy, a load
    balancer's 503, a plain-text 404), by what the status usually means; `said` is Port's own short message, if any."""
    profile = upstream.profile
    if status in (401, 403, 407):
        why = ("something between you and Port (a VPN, firewall or proxy) may be blocking it: your organization may "
               "allow only some IP addresses")  # fmt: skip
    elif status == 404:
        why = (f"there is no MCP endpoint at {upstream.url}. Check the profile's address "
               f"(`port-mcp-bridge profiles set {profile.id} --region eu|us|<URL>`)")  # fmt: skip
    elif status == 429:
        why = "Port is limiting requests. Wait a moment and try again"
    elif status >= 500:
        why = "Port could not answer: it may be down or busy. Try again in a moment"
    else:
        why = "the request was not accepted"
    quoted = f' Port said: "{said}".' if said else ""
    return upstream_error(
        upstream,
        f"Port at {upstream.describe()} answered HTTP {status}, not an MCP answer: {why}.{quoted} If it goes on, run "
        "`port-mcp-bridge doctor`.",
        status=status,
    )


def broke_off(upstream: Upstream, exc: Exception) -> dict[str, Any]:
    """The error for an answer that broke off before any of it had been relayed."""
    return upstream_error(
        upstream,
        f"Port's answer from {upstream.describe()} broke off ({type(exc).__name__}). Try again; if it keeps happening, "
        "run `port-mcp-bridge doctor`.",
    )


def short_message(data: Any, content: bytes, content_type: str) -> str | None:
    """What an error answer says, if it says it briefly: a JSON `message` (or `error_description`, `error`) or a short
    plain text. Never a web page; redacted like the logs, and at most 200 characters."""
    text: Any = None
    if isinstance(data, dict):
        text = next((data[k] for k in ("message", "error_description", "error") if isinstance(data.get(k), str)), None)
    elif content_type.startswith("text/plain"):
        text = content.decode("utf-8", "replace")
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return redact(text) if 0 < len(text) <= 200 else None
