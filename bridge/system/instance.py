"""One bridge per settings folder: an OS lock held for the bridge's whole life, and where the others find it.

    bridge.lock   the lock (flock / LockFileEx through filelock): the OS drops it when the holder exits or dies
    bridge.json   {"pid", "port"}, written atomically by the holder: which process serves this folder, on which port

Two bridges on one settings folder would both refresh the same sign-in; Port's reuse detection then ends it for both.
`holder()` is cheap (filelock and the standard library): the stdio shim asks it at every start.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import filelock

from bridge.errors import BridgeAlreadyRunning

LOCK_NAME = "bridge.lock"
INFO_NAME = "bridge.json"
TAKE_WAIT = 2.0  # seconds: `holder()` takes the lock for a moment to look, which must not refuse a bridge starting


@dataclass(frozen=True)
class Holder:
    pid: int | None
    port: int | None  # None until it listens


def _lock(folder: Path) -> filelock.BaseFileLock:
    return filelock.FileLock(folder / LOCK_NAME, mode=0o600, thread_local=False)


def _read_info(folder: Path) -> Holder:
    try:
        data = json.loads((folder / INFO_NAME).read_text("utf-8"))
        pid, port = data.get("pid"), data.get("port")
        return Holder(pid if isinstance(pid, int) else None, port if isinstance(port, int) else None)
    except (OSError, ValueError, AttributeError):
        return Holder(None, None)


def holder(folder: Path) -> Holder | None:
    """The bridge running on the settings in `folder` (its pid and port), or None when no bridge holds the lock."""
    if not (folder / LOCK_NAME).exists():
        return None  # no bridge ever ran here: creating the lock file would be a write for nothing
    lock = _lock(folder)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return _read_info(folder)
    except OSError:
        return None  # a folder we cannot write to: nobody could hold a lock in it either
    lock.release()
    return None


class BridgeLock:
    """Held by a running bridge: `acquire` (raises `BridgeAlreadyRunning` naming the holder), `announce(port)` once
    listening, `release` when it stops."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = _lock(folder)

    def acquire(self, wait: float = TAKE_WAIT) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=wait)
        except filelock.Timeout:
            found = _read_info(self.folder)
            where = f" on 127.0.0.1:{found.port}" if found.port else ""
            who = f" (process {found.pid})" if found.pid else ""
            raise BridgeAlreadyRunning(
                f"Another Port MCP Bridge{who} already runs with these settings{where}. Only one bridge may run per "
                "settings folder: two would both renew the same sign-in to Port, and Port would then end it. Use the "
                "one that runs (clients find it on its port), or quit it first.",
                pid=found.pid,
                port=found.port,
            ) from None
        self._write(None)  # a crashed holder's file must not name its port while this one is not listening yet

    def announce(self, port: int) -> None:
        self._write(port)

    def _write(self, port: int | None) -> None:
        """Through a temp file and a rename, so a reader sees the old file or the new one. No fsync: the file only
        matters while this process lives, and a bridge (re)starting must not wait on a busy disk."""
        target = self.folder / INFO_NAME
        tmp = self.folder / f".{INFO_NAME}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps({"pid": os.getpid(), "port": port}).encode())
        os.replace(tmp, target)

    def release(self) -> None:
        if not self._lock.is_locked:
            return
        with contextlib.suppress(OSError):  # the next holder overwrites it
            (self.folder / INFO_NAME).unlink(missing_ok=True)
        self._lock.release()
