"""Server-sent events, incrementally: split a byte stream into whole events without waiting for the stream to end.

The proxy passes events through byte for byte; it only decodes an event whose data it may have to rewrite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any


def _boundary_end(buffer: bytearray, pos: int) -> int:
    """The end of the first event boundary (`\r\n\r\n`, `\n\n` or `\r\r`: a blank line) at or after `pos`, or -1.

    Same result as the regex `\r\n\r\n|\n\n|\r\r`, but a boundary can only start at a CR or LF, and an event has a
    few of those (its line ends: JSON data has none), so the search hops from one to the next with single-byte
    `find` (memchr) instead of trying every byte of a large event.
    """
    lf, cr = buffer.find(b"\n", pos), buffer.find(b"\r", pos)
    while lf >= 0 or cr >= 0:
        at = lf if cr < 0 or 0 <= lf < cr else cr
        if buffer.startswith(b"\r\n\r\n", at):
            return at + 4
        if buffer.startswith(b"\n\n", at) or buffer.startswith(b"\r\r", at):
            return at + 2
        if at == lf:
            lf = buffer.find(b"\n", at + 1)
        else:
            cr = buffer.find(b"\r", at + 1)
    return -1


class EventSplitter:
    """Feed it chunks; it yields complete raw events (each with its terminating blank line).

    Scans only the bytes that arrived since the last boundary search (minus 3, for a boundary split across chunks),
    so a multi-megabyte event arriving in many chunks costs linear, not quadratic, time (and `_boundary_end` runs at
    memchr speed: a regex steps through every byte).
    """

    __slots__ = ("_buffer", "_scanned")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        buffer = self._buffer
        buffer += chunk
        start = 0
        pos = max(self._scanned - 3, 0)
        while True:
            end = _boundary_end(buffer, pos)
            if end < 0:
                break
            yield bytes(buffer[start:end])
            start = pos = end
        if start:
            del buffer[:start]
        self._scanned = len(buffer)

    def rest(self) -> bytes:
        """Whatever is left when the stream ends (an unterminated event), to pass on as it is."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        return rest


def data_span(event: bytes) -> tuple[int, int] | None:
    """Where the data of an event with exactly one `data:` line is: `event[start:end]`, without the `data:` field name,
    the one optional space after it and the line ending. None for an event with no data line or several (whose data is
    the lines joined: `event_data` handles those). Found with `bytes.find`, without splitting the event into lines.
    """
    at = event.find(b"data:")
    while at > 0 and event[at - 1] not in b"\r\n":  # "data:" inside another field's value, not a field name
        at = event.find(b"data:", at + 5)
    if at < 0:
        return None
    start = at + 5
    if event[start : start + 1] == b" ":
        start += 1
    lf, cr = event.find(b"\n", start), event.find(b"\r", start)
    end = len(event) if lf < 0 and cr < 0 else (lf if cr < 0 else cr if lf < 0 else min(lf, cr))
    if b"\ndata:" in event[end:] or b"\rdata:" in event[end:]:
        return None
    return start, end


def event_data(event: bytes) -> str | None:
    """The joined `data:` lines of an event, or None if it has none."""
    lines = [line for line in re.split(rb"\r\n|\n|\r", event) if line.startswith(b"data:")]
    if not lines:
        return None
    return "\n".join(line[5:].removeprefix(b" ").decode("utf-8", "replace") for line in lines)


def message_event(payload: Any, event_id: str | None = None) -> bytes:
    """An SSE event carrying one JSON-RPC message, in the shape MCP servers send."""
    head = f"id: {event_id}\r\n" if event_id else ""
    return f"{head}event: message\r\ndata: {json.dumps(payload, separators=(',', ':'))}\r\n\r\n".encode()


def replace_data(event: bytes, payload: Any) -> bytes:
    """The same event (id, event type) with its data replaced by `payload`."""
    kept = [line for line in re.split(rb"\r\n|\n|\r", event) if line and not line.startswith(b"data:")]
    data = json.dumps(payload, separators=(",", ":")).encode()
    return b"\r\n".join([*kept, b"data: " + data]) + b"\r\n\r\n"
