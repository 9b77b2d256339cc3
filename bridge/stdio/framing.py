"""Lines ↔ messages: what the shim reads from a line, and how an answer becomes one line on stdout.

stdio carries one JSON-RPC message (or batch) per line; Streamable HTTP answers with a JSON body or server-sent events.
The shim passes bytes through, so it parses a line only to learn its request ids and method (leniently: whatever the
client sends, the bridge is the one to judge it), and re-encodes an answer only when it spans several lines.
"""

from __future__ import annotations

from typing import Any

from bridge.proxy import jsonrpc
from bridge.proxy.sse import data_span, event_data


def request_ids(message: Any) -> list[Any]:
    """The ids of the requests in a message or batch: each needs an answer on stdout, if only an error."""
    messages = message if isinstance(message, list) else [message]
    return [m["id"] for m in messages if isinstance(m, dict) and "method" in m and m.get("id") is not None]


def method_of(message: Any) -> str | None:
    """A single message's method (None for a batch, a response or anything that is no message)."""
    return message.get("method") if isinstance(message, dict) else None


def one_line(data: bytes) -> bytes:
    """JSON that must go out as one line: re-encoded compactly only if it spans several."""
    data = data.strip()
    if b"\n" not in data and b"\r" not in data:
        return data
    message = jsonrpc.loads_or_none(data)
    if message is None:  # not JSON after all: passed on as one line for the client to judge
        return data.replace(b"\r", b"").replace(b"\n", b"")
    return jsonrpc.encode(message)


def event_line(event: bytes) -> bytes | None:
    """An event's data as one line (None for an event without data, such as a priming event)."""
    span = data_span(event)
    if span is not None:
        data = event[span[0] : span[1]].strip()
        return data or None
    text = event_data(event)
    if text is None or not text.strip():
        return None
    return one_line(text.encode())


def event_id(event: bytes) -> bytes | None:
    """An event's id, as it goes back in `Last-Event-ID` (one with a NUL is ignored, as the SSE standard says)."""
    for line in event.splitlines():
        if line.startswith(b"id:"):
            value = line[3:].removeprefix(b" ")
            return value if value and b"\0" not in value else None
    return None


def answered_ids(lines: list[bytes]) -> set[Any]:
    """The ids that `lines` (messages already written) answer: only needed when an answer broke off."""
    ids: set[Any] = set()
    for line in lines:
        message = jsonrpc.loads_or_none(line)
        for m in message if isinstance(message, list) else [message]:
            if isinstance(m, dict) and "method" not in m and ("result" in m or "error" in m):
                ids.add(m.get("id"))
    return ids
