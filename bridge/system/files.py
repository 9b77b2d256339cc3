"""Writing a file so that a reader, or a crash at any moment, sees the old file or the new one, never half of one.

Used for our settings and for the MCP clients' configuration files the export edits.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE = 0o600


def atomic_write(path: Path, data: bytes, *, mode: int | None = None, new_mode: int = PRIVATE) -> None:
    """Write through a temp file in the same folder, fsync it, `os.replace` it over `path`, fsync the folder.

    The file gets `mode` if given, else keeps the mode it had (a client's own file), else `new_mode`. The temp file is
    0600 from its first byte, so nothing secret is ever readable by others in between. A symlinked file (dotfile
    managers) is written where the link points. Missing folders are created for this user only.
    """
    target = path.resolve() if path.is_symlink() else path
    folder = target.parent
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = new_mode
    tmp = folder / f".{target.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode != PRIVATE:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # make the rename itself durable, not only the content
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
