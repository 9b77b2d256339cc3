"""The local endpoint's own ASGI I/O: reading a request body within a limit, and the one way it answers by itself (a
refusal, an error, "paused", "busy"): an ASGI response with a JSON body and its Content-Length, written in two sends.
The guard, the pause gate, the busy answer and the proxy all use it."""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Send

from bridge.proxy import jsonrpc

JSON = (b"content-type", b"application/json")


async def reply(send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """`payload` (usually `jsonrpc.error(...)`) as JSON, with `extra` headers (e.g. the session id)."""
    await reply_raw(send, status, [JSON, *(extra or [])], jsonrpc.encode(payload))


async def reply_raw(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [h for h in headers if h[0] != b"content-length"] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    """Control flow for the caller of `read_body` (the proxy answers 413), never a user's error: not in
    bridge/errors.py's tree."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request's body (what came, if the client went away); `BodyTooLarge` past `limit` bytes, read no further."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)
