"""A real in-memory `Recorder` for tests: keeps each call's record completed from Port's answer (`outcome.complete`,
as the activity file's writer does), and lets a test wait until some have come."""

from __future__ import annotations

import threading

from bridge.activity.outcome import complete
from bridge.activity.record import CallRecord

# A call that runs an action (so every "Ask before" but "never" asks for it), as the activity and approval tests make.
INCIDENT = {"actionIdentifier": "create_incident", "entityIdentifier": "order-processing",
            "properties": {"title": "Down", "severity": "SEV2"}}  # fmt: skip


class MemoryRecorder:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self.answers: list[bytes | None] = []
        self._changed = threading.Condition()

    def record(self, record: CallRecord, answer: bytes | None = None) -> None:
        with self._changed:
            self.records.append(complete(record, answer))
            self.answers.append(answer)
            self._changed.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[CallRecord]:
        """The records once there are at least `count` (any thread: the bridge records on its own loop's thread)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.records) >= count, timeout):
                raise AssertionError(f"{len(self.records)} records after {timeout} s, expected {count}")
            return list(self.records)
