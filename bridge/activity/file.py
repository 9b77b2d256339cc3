"""The activity file on disk: `activity.jsonl` in the log folder, private (0600), appended to by the bridge alone,
rotated by size to `activity.1.jsonl` (one older file kept).

Symlink-safe: a link, a folder or anything but a regular file where the file should be is refused (a warning in the
log, records dropped), never followed, so nothing else can be made to receive the records or be overwritten by them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

ACTIVITY_FILE = "activity.jsonl"
OLDER_FILE = "activity.1.jsonl"  # the one rotated file kept
PRIVATE = 0o600
MIB = 1024 * 1024
_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)  # a link put there between the check and the open is refused, not followed
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO put there must not hang the writer until someone reads it
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

# Emptying never follows a link (nor creates a file): a link put in the file's place is not a way to empty another.
_EMPTY = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# Reading never follows a link, nor hangs on a FIFO put in the file's place.
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def empty(folder: Path) -> None:
    """Both activity files emptied (`OSError` when one cannot be). Emptied, not deleted: a running bridge keeps its
    file open (on Windows an open file cannot be deleted) and appends to it from the start."""
    for name in (ACTIVITY_FILE, OLDER_FILE):
        try:
            fd = os.open(folder / name, _EMPTY)
        except FileNotFoundError:
            continue
        os.close(fd)


class RefusedFile(OSError):
    """Something other than a regular file stands where the activity file should be."""


class ActivityFile:
    """Appends whole lines to the activity file, rotating it past `max_bytes`; used by one writer thread only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / ACTIVITY_FILE
        self.older = folder / OLDER_FILE
        self._fd: int | None = None
        self._size = 0
        self._refused: str | None = None  # the reason last logged, so a refused file is not logged per record

    def append(self, data: bytes, max_bytes: int) -> None:
        """Write `data` (whole lines) at the end of the file in one write, rotating first when it would pass
        `max_bytes`. Raises OSError (`RefusedFile` for a link or non-regular file) when it cannot be written."""
        if self._fd is not None and self._moved():
            self.close()  # removed or replaced: a new file, not writes nobody will read
        fd = self._open()
        if self._size and self._size + len(data) > max_bytes:
            try:
                self._rotate()
            except OSError as exc:  # Windows: a reader holds the file (`activity --follow`); rotate on a later write
                log.debug("Activity: the file could not be rotated yet: %s", exc)
            fd = self._open()
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
            self._size += written

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _moved(self) -> bool:
        """Whether the path no longer names the open file; else its size is taken afresh (emptied by Clear)."""
        assert self._fd is not None
        try:
            now, ours = os.lstat(self.path), os.fstat(self._fd)
        except OSError:
            return True
        self._size = ours.st_size
        return (now.st_dev, now.st_ino) != (ours.st_dev, ours.st_ino)

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(st.st_mode):  # a link (followed by nothing below), a FIFO, a folder
                raise self._refuse("it is not a regular file" if not stat.S_ISLNK(st.st_mode) else "it is a link")
        try:
            fd = os.open(self.path, _FLAGS, PRIVATE)
        except OSError as exc:
            if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "ENXIO", -1)):  # a link, a FIFO: put there just now
                raise self._refuse("it is a link or not a regular file") from None
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise self._refuse("it is not a regular file")
            if os.name == "posix" and stat.S_IMODE(st.st_mode) != PRIVATE:
                os.fchmod(fd, PRIVATE)  # a file someone widened: the records are the user's alone
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._size, self._refused = fd, st.st_size, None
        return fd

    def _rotate(self) -> None:
        """The file becomes `activity.1.jsonl` (replacing the older one, its mode kept: 0600); the next write opens
        a new one. A link standing at `activity.1.jsonl` is replaced itself, never written through."""
        self.close()
        os.replace(self.path, self.older)

    def _refuse(self, why: str) -> RefusedFile:
        message = f"Activity is not recorded: {self.path} is refused ({why}). Remove it to record activity again."
        if self._refused != why:
            log.warning("%s", message)
            self._refused = why
        return RefusedFile(message)
