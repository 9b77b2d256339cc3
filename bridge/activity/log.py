"""`ActivityLog`: the bridge's `Recorder`. The proxy hands it each call's record on its event loop; it queues the record
and returns, and one writer thread completes it from Port's answer (`outcome.complete`), redacts its arguments and
appends it to the activity file (`file.ActivityFile`).

Nothing here can hold up a call: the queue is bounded, and when the disk is so slow that it fills, the oldest records
are dropped (and counted, and said in the log) rather than the proxy waiting.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from bridge.activity.file import MIB, ActivityFile
from bridge.activity.outcome import complete
from bridge.activity.record import CallRecord
from bridge.activity.redact import REDACTED, redact_arguments
from bridge.settings import Settings
from bridge.system.logs import redact
from bridge.system.paths import log_dir

log = logging.getLogger(__name__)

QUEUE_MAX = 10_000  # records waiting for the writer; past this the oldest go
# The writer lets records gather this long (or until BATCH are waiting) before it writes them: one wake-up of its
# thread, one write and one turn at the GIL per batch rather than per call. Activity's readers poll every 0.5-1 s.
LINGER = 0.2
BATCH = 256
YIELD_EVERY = 32  # records (~20 µs each) between two chances for the proxy's loop to take the GIL
Completer = Callable[[CallRecord, "bytes | None"], CallRecord]
# One encoder for every line: `json.dumps` with options builds a new one per call, a third of a line's cost.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Writer(Protocol):
    """Where the lines go: `ActivityFile`, or in tests a double standing for a slow disk."""

    def append(self, data: bytes, max_bytes: int) -> None: ...

    def close(self) -> None: ...


class ActivityLog:
    """Records calls to the activity file off the request path. `max_bytes` is read before each write, so a cap
    changed in the settings holds from the next record on; `secrets` gives values never to be written (the local key),
    replaced wherever they appear in a line."""

    def __init__(
        self,
        writer: Writer,
        max_bytes: Callable[[], int] = lambda: 10 * MIB,
        *,
        secrets: Callable[[], Iterable[str | None]] = lambda: (),
        completer: Completer = complete,
        queue_max: int = QUEUE_MAX,
        linger: float = LINGER,
    ) -> None:
        self.writer = writer
        self._max_bytes = max_bytes
        self._secrets = secrets
        self._complete = completer
        self._queue: collections.deque[tuple[CallRecord, bytes | None]] = collections.deque()
        self._queue_max = queue_max
        self._linger = linger
        self._ready = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closing = False
        self._busy = False  # the writer holds a batch taken off the queue
        self._hurry = 0  # callers of `flush` waiting: no lingering
        self.dropped = 0  # records lost to a full queue or a file that could not be written
        self.written = 0

    @property
    def path(self) -> Path | None:
        return getattr(self.writer, "path", None)

    # --- the request path: never blocks ---------------------------------------------------------------------

    def record(self, record: CallRecord, answer: bytes | None = None) -> None:
        """Queue one call's record (and Port's raw answer) for the writer; returns at once."""
        with self._ready:
            if self._closing:
                return
            if len(self._queue) >= self._queue_max:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append((record, answer))
            if self._thread is None:  # started with the first call, so a bridge nobody calls runs no extra thread
                self._thread = threading.Thread(target=self._run, name="activity-writer", daemon=True)
                self._thread.start()
            waiting = len(self._queue)
            if waiting == 1 or waiting >= BATCH:  # the first starts the writer's wait, a full batch ends it
                self._ready.notify()

    # --- the writer thread ----------------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record queued so far is written (tests, `close`); False if the time ran out."""
        with self._ready:
            self._hurry += 1
            self._ready.notify_all()
            try:
                return self._ready.wait_for(lambda: not self._queue and not self._busy, timeout)
            finally:
                self._hurry -= 1

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, end the writer thread and close the file (the bridge's lifespan calls it)."""
        with self._ready:
            self._closing = True
            self._ready.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        if thread is None or not thread.is_alive():
            self.writer.close()

    def _run(self) -> None:
        reported = 0
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._queue or self._closing)
                if not self._queue:
                    return  # closing, and all written
                self._ready.wait_for(lambda: self._closing or self._hurry or len(self._queue) >= BATCH, self._linger)
                batch = list(self._queue)
                self._queue.clear()
                self._busy = True
            try:
                self._write(batch)
            finally:
                with self._ready:
                    self._busy = False
                    self._ready.notify_all()
            if self.dropped > reported:
                log.warning("Activity: %d record(s) could not be kept (the disk is slow or the file cannot be "
                            "written).", self.dropped - reported)  # fmt: skip
                reported = self.dropped

    def _write(self, batch: list[tuple[CallRecord, bytes | None]]) -> None:
        lines = []
        for number, (record, answer) in enumerate(batch, 1):
            try:
                lines.append(self._line(record, answer))
            except Exception:  # a record that cannot be written must not end the writer
                log.exception("Activity: a record could not be written")
                self.dropped += 1
            if number % YIELD_EVERY == 0:
                time.sleep(0)  # the GIL to the proxy's loop now and then, not after the switch interval (5 ms)
        if not lines:
            return
        try:
            self.writer.append(b"".join(lines), max(1, self._max_bytes()))
            self.written += len(lines)
        except OSError as exc:  # a refused file was said in the log already; the count is said after the batch
            self.dropped += len(lines)
            log.debug("Activity: the file could not be written: %s", exc)
        except Exception:
            self.dropped += len(lines)
            log.exception("Activity: the file could not be written")

    def _line(self, record: CallRecord, answer: bytes | None) -> bytes:
        record = self._complete(record, answer)
        # `CallRecord.to_json`, without `asdict`'s deep copy (half a record's cost): the arguments are copied by
        # their redaction, and every other value is a string or a number.
        data = {key: value for key, value in vars(record).items() if value is not None and value != ""}
        if record.detail:
            data["detail"] = redact(record.detail)
        if record.arguments is not None:
            data["arguments"] = redact_arguments(record.arguments)
        text = _ENCODE(data)
        for secret in self._secrets():
            if secret and len(secret) >= 8:
                text = text.replace(_ENCODE(secret)[1:-1], REDACTED)
        return (text + "\n").encode("utf-8")


def activity_log(settings: Callable[[], Settings], folder: Path | None = None,
                 secrets: Callable[[], Iterable[str | None]] = lambda: ()) -> ActivityLog:  # fmt: skip
    """The bridge's recorder: the activity file in the log folder (or `folder`), capped at the settings'
    `activity_max_mb` as they are at each write (`settings` returns the bridge's current settings)."""
    return ActivityLog(
        ActivityFile(folder or log_dir()),
        lambda: settings().activity_max_mb * MIB,
        secrets=secrets,
    )
