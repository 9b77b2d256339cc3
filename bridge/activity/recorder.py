"""Where the proxy hands each call's record: a `Recorder`. The proxy calls it once per `tools/call` with an id, on its
event loop, at the end of the answer; a recorder must not block (the activity file's queues to a writer thread).

`answer` is Port's answer for the call as raw bytes (a JSON body, or the data of the SSE event that answers it), not
parsed on the request path: the recorder completes the record (`outcome.complete`) off it.
"""

from __future__ import annotations

from typing import Protocol

from bridge.activity.record import CallRecord


class Recorder(Protocol):
    def record(self, record: CallRecord, answer: bytes | None = None) -> None:
        """Take one call's record (and Port's raw answer to it, or None). Must return at once: never block."""


class NoRecorder:
    """Activity is off: records go nowhere."""

    def record(self, record: CallRecord, answer: bytes | None = None) -> None:
        return None
