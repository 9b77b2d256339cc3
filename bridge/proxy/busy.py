"""The bridge's answer to a request that finds every connection it may hold taken (`system.http_limits`): for an MCP
path a JSON-RPC error per request that says why (-32012, HTTP 503), for any other path a plain 503. The connection is
closed after it, which gives its descriptor back at once."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Scope, Send

from bridge.proxy import jsonrpc
from bridge.proxy.guard import mcp_path
from bridge.proxy.replies import BodyTooLarge, read_body, reply
from bridge.system.http_limits import busy_plain

_BODY_LIMIT = 64 * 1024  # read to answer each request by its id; a larger body is answered with id null
MESSAGE = (
    "Port MCP Bridge has as many connections open as it may at once, none of them free, so it turned this request "
    "away. Try again in a moment. If it goes on, a program on this computer may be opening connections to the bridge "
    "without end."
)
CLOSE = (b"connection", b"close")


async def busy(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app for `LoopbackServer(busy=...)`."""
    if scope["type"] != "http" or mcp_path(scope["path"]) is None:
        await busy_plain(scope, receive, send)
        return
    payload: Any = jsonrpc.error(None, jsonrpc.UPSTREAM_UNAVAILABLE, MESSAGE, {"state": "busy"})
    try:
        body = await read_body(receive, _BODY_LIMIT) if scope["method"] == "POST" else None
    except BodyTooLarge:
        body = None
    if body is not None:
        try:
            parsed = jsonrpc.parse_body(body)
        except (json.JSONDecodeError, jsonrpc.InvalidMessage):
            parsed = None
        if parsed is not None:
            errors = [{**payload, "id": m["id"]} for m in parsed.requests()]
            payload = errors if parsed.batch else (errors[0] if errors else payload)
    await reply(send, 503, payload, [CLOSE, (b"retry-after", b"1")])
