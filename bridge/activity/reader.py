"""Reading the activity file: the newest records across `activity.jsonl` and the rotated `activity.1.jsonl`, filtered;
a cheap stamp that changes when the file does (the Activity page polls it); and `follow`, new records as the bridge
writes them (`port-mcp-bridge activity --follow`), through rotations.

Readers never write and may run in another process than the bridge. Lines that are not a record (a half-written last
line, a damaged one, one from a newer version that does not parse) are skipped. Links are not followed.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bridge.activity.file import ACTIVITY_FILE, OLDER_FILE, READ_FLAGS
from bridge.activity.record import OUTCOMES, CallRecord

_BLOCK = 64 * 1024
_TEXT_FIELDS = ("profile_id", "profile", "organization", "client", "client_version", "tool", "detail")

Stamp = tuple[int, int, float]


@dataclass(frozen=True)
class Query:
    """Which records to show: a profile (id or name), a client (its name), an outcome, and words to search for in the
    tool, action, client, profile, organization, run id and detail (case-insensitive). Empty: everything."""

    profile: str | None = None
    client: str | None = None
    outcome: str | None = None
    search: str = ""

    def matches(self, record: CallRecord) -> bool:
        if self.profile and self.profile != record.profile_id and self.profile.casefold() != record.profile.casefold():
            return False
        if self.client and self.client.casefold() != record.client.casefold():
            return False
        if self.outcome and self.outcome != record.outcome:
            return False
        words = self.search.casefold().split()
        if words:
            fields = (record.tool, record.action, record.client, record.profile, record.organization, record.run_id,
                      record.detail)  # fmt: skip
            text = "\n".join(f for f in fields if f).casefold()
            return all(word in text for word in words)
        return True


def parse_line(line: bytes | str) -> CallRecord | None:
    """The record a line holds, or None for a line that is not one."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not _plausible(data):
        return None
    try:
        return CallRecord.from_json(data)
    except TypeError:
        return None


def _plausible(data: dict[str, Any]) -> bool:
    if not isinstance(data.get("time"), int | float) or isinstance(data.get("time"), bool):
        return False
    if data.get("outcome") not in OUTCOMES:
        return False
    if not isinstance(data.get("duration_ms", 0.0), int | float):
        return False
    if any(not isinstance(data.get(name, ""), str) for name in _TEXT_FIELDS):
        return False
    args = data.get("arguments")
    return args is None or isinstance(args, dict)


def recent(folder: Path, limit: int = 200, query: Query = Query()) -> list[CallRecord]:
    """The newest `limit` records that match `query`, newest first, from the file and then the rotated one."""
    fd = _open_fd(folder / ACTIVITY_FILE)
    if fd is None:
        return _newest(None, None, folder, limit, query)
    with os.fdopen(fd, "rb") as handle:
        return _newest(handle, None, folder, limit, query)


def _newest(handle: IO[bytes] | None, end: int | None, folder: Path, limit: int, query: Query) -> list[CallRecord]:
    """The newest matching records: `handle` (the current file, read back from `end`), then the rotated one."""
    found: list[CallRecord] = []
    if limit <= 0:
        return found
    older = _open_fd(folder / OLDER_FILE)
    with os.fdopen(older, "rb") if older is not None else contextlib.nullcontext() as rotated:
        for source, stop in ((handle, end), (rotated, None)):
            for line in _lines_backwards(source, stop) if source is not None else ():
                record = parse_line(line)
                if record is not None and query.matches(record):
                    found.append(record)
                    if len(found) >= limit:
                        return found
    return found


def stamp(folder: Path) -> Stamp:
    """(inode, size, modification time) of the activity file: changes with every write and every rotation; zeros
    when there is no file. One `lstat`: cheap enough to poll every second."""
    try:
        st = os.lstat(folder / ACTIVITY_FILE)
    except OSError:
        return (0, 0, 0.0)
    return (st.st_ino, st.st_size, st.st_mtime)


def follow(folder: Path, query: Query = Query(), *, backlog: int = 0, poll: float = 0.5,
           stop: threading.Event | None = None) -> Follower:  # fmt: skip
    """The newest `backlog` matching records (oldest of them first), then the records written from now on, as they
    come, until `stop` is set (or the consumer stops iterating). Nothing is missed or repeated between the two: the
    file is opened here, before this returns, and the backlog read from that same opening. Close it when done.

    Polls the file every `poll` seconds. When the bridge rotates it (or it is removed, or emptied), what was left in
    the old one is read to its end, and the new file is read from its start.
    """
    return Follower(folder, query, backlog, poll, stop)


class Follower:
    """An iterator over the records as they are written (see `follow`); `close()` (or `with`) lets the file go."""

    def __init__(self, folder: Path, query: Query, backlog: int, poll: float, stop: threading.Event | None) -> None:
        self._path = folder / ACTIVITY_FILE
        self._query = query
        self._poll = poll
        self._stop = stop
        self._handle, self._ident = _open(self._path, at_end=True)
        end = self._handle.tell() if self._handle else None
        earlier = _newest(self._handle, end, folder, backlog, query)
        if self._handle is not None and end is not None:
            self._handle.seek(end)  # reading the backlog moved it
        self._records = self._run(earlier[::-1])

    def __iter__(self) -> Follower:
        return self

    def __next__(self) -> CallRecord:
        return next(self._records)

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._records.close()
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _run(self, earlier: list[CallRecord]) -> Generator[CallRecord, None, None]:
        yield from earlier
        pending = b""
        while self._stop is None or not self._stop.is_set():
            if self._handle is None:
                self._handle, self._ident = _open(self._path, at_end=False)  # appeared since: all of it is new
                pending = b""
            handle = self._handle
            if handle is not None:
                pending += handle.read()
                *lines, pending = pending.split(b"\n")
                yield from _matching(lines, self._query)
                if _replaced(self._path, self._ident, handle.tell()):
                    rest = (pending + handle.read()).split(b"\n")  # written before the rotation
                    handle.close()
                    self._handle, pending = None, b""
                    yield from _matching(rest, self._query)
                    continue
            if self._stop is not None:
                self._stop.wait(self._poll)
            else:
                time.sleep(self._poll)


def _matching(lines: Iterable[bytes], query: Query) -> Iterator[CallRecord]:
    for line in lines:
        record = parse_line(line) if line.strip() else None
        if record is not None and query.matches(record):
            yield record


def _replaced(path: Path, ident: tuple[int, int], position: int) -> bool:
    """Whether `path` no longer names the file being read (rotated, removed) or it was emptied under the reader."""
    try:
        st = os.lstat(path)
    except OSError:
        return True
    return (st.st_dev, st.st_ino) != ident or st.st_size < position


def _open(path: Path, *, at_end: bool) -> tuple[IO[bytes] | None, tuple[int, int]]:
    fd = _open_fd(path)
    if fd is None:
        return None, (0, 0)
    handle = os.fdopen(fd, "rb")
    st = os.fstat(fd)
    if at_end:
        handle.seek(st.st_size)
    return handle, (st.st_dev, st.st_ino)


def _open_fd(path: Path) -> int | None:
    """A descriptor for reading `path` if it is a regular file (not a link, not a FIFO), else None."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        if os.name == "posix":
            os.set_blocking(fd, True)  # opened O_NONBLOCK only so that a FIFO would not hang the open
    except OSError:
        with contextlib.suppress(OSError):
            os.close(fd)
        return None
    return fd


def _lines_backwards(handle: IO[bytes], end: int | None = None) -> Iterator[bytes]:
    """The file's non-empty lines before `end` (default: its end), last first, read back in blocks (a newest-N read
    stops early)."""
    position = os.fstat(handle.fileno()).st_size if end is None else end
    tail = b""
    while position > 0:
        size = min(_BLOCK, position)
        position -= size
        handle.seek(position)
        lines = (handle.read(size) + tail).split(b"\n")
        tail = lines[0]
        for line in reversed(lines[1:]):
            if line.strip():
                yield line
    if tail.strip():
        yield tail
