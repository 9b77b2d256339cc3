"""All of the exporter's file I/O: looking at a client's file before touching it (`inspect`), atomic writes with the
mode we choose, timestamped backups, the lock that serialises writers, and the history that lets undo put a file
back byte for byte, across runs.

History, backups and the lock live in `<config dir>/exports/` (`bridge.system.paths.config_dir()`), not beside the
client's file, so no client ever sees a stray copy of its configuration.

The local key is a secret: a file that holds it is made private to the user (0600 on POSIX). On Windows the mode bits
mean nothing; the user profile's ACL already keeps `%USERPROFILE%` (and `%APPDATA%` in it) from other users, so the
POSIX steps (tightening the mode, checking who owns a link's file) are skipped there (`posix=False`); the rules on
links, folders and read-only files apply on every system."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import filelock

from bridge.errors import ExportError
from bridge.system import paths
from bridge.system.files import atomic_write as write_atomically

NEW_FILE_MODE = 0o600  # a new file holds the local key: readable by the user only
OTHERS = 0o077  # group and other permission bits
LOCK_TIMEOUT = 30.0  # seconds another exporter may hold the lock before we give up and say so


class FileProblem(Exception):
    """Why a client's file will not be touched; the exporter turns it into `ExportRefused` with the snippet.
    `forcible`: the user's own choice (a read-only file) that `--force` may override."""

    def __init__(self, why: str, *, forcible: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.forcible = forcible


@dataclass(frozen=True)
class Target:
    """A client's file as found: `path` as the client names it, `real` where its bytes are (where its link leads)."""

    path: Path
    real: Path
    data: bytes | None  # None: no file yet
    mode: int | None  # permission bits; None: no file yet

    @property
    def linked(self) -> bool:
        return self.real != self.path

    @property
    def read_only(self) -> bool:
        """The user made it read-only (POSIX: no write bit for its owner; Windows: the read-only attribute)."""
        return self.mode is not None and not self.mode & stat.S_IWUSR


def _uid() -> int:
    return os.geteuid()  # POSIX only: callers pass posix=True on POSIX systems alone


def _inside(path: Path, folder: Path) -> bool:
    return path.is_relative_to(os.path.realpath(folder))


def inspect(path: Path, home: Path, *, posix: bool) -> Target:
    """Where a write to `path` would go, and what is there; raises `FileProblem` for a file we will not touch.

    A symlink (dotfile managers) is followed when it leads to a file inside the user's home (or beside the link), that
    is not a folder and, on POSIX, that we can make private. A dangling link is refused: writing would create a file
    somewhere the user did not choose, which undo could not tell from theirs."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        _check_folders(path.parent)
        return Target(path, path, None, None)
    except NotADirectoryError:
        _check_folders(path.parent)
        raise FileProblem("a file stands where one of its folders should be") from None
    except PermissionError:
        raise FileProblem(f"its folder {path.parent} cannot be read (permission denied)") from None
    real = path
    if stat.S_ISLNK(st.st_mode):
        link = os.readlink(path)
        try:
            real = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            raise FileProblem(f"it is a link to {link}, which does not exist") from None
        except (OSError, RuntimeError):
            raise FileProblem(f"it is a link that cannot be followed ({link})") from None
        if not (_inside(real, home) or _inside(real, path.parent)):
            raise FileProblem(
                f"it is a link to {real}, outside your home folder: the entry carries your local key, which Port "
                "MCP Bridge writes only into files of your own"
            )
        st = os.stat(real)
    if stat.S_ISDIR(st.st_mode):
        raise FileProblem(f"{real} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise FileProblem(f"{real} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if posix and real != path and mode & OTHERS and st.st_uid != _uid():
        raise FileProblem(
            f"it is a link to {real}, which other users can read and which belongs to another user, so it cannot "
            "be made private for your local key"
        )
    try:
        data = real.read_bytes()
    except PermissionError:
        raise FileProblem("it cannot be read (permission denied)") from None
    except OSError as exc:
        raise FileProblem(f"it cannot be read ({exc.strerror or exc})") from None
    return Target(path, real, data, mode)


def _check_folders(folder: Path) -> None:
    """The nearest existing ancestor of a missing file must be a folder (it is created below it)."""
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise FileProblem(f"{parent} is a file, where a folder should be")
            return


def mode_for(target: Target, holds_key: bool, *, posix: bool) -> tuple[int, str]:
    """The mode to write `target` with and, when it differs from what the user had, a note saying so."""
    if target.mode is None:
        return NEW_FILE_MODE, ""
    notes = []
    mode = target.mode
    if posix and holds_key and mode & OTHERS:
        mode &= ~OTHERS & 0o7777
        notes.append(
            f"{target.real} was readable by other users (mode {target.mode:04o}); it now holds your local key, "
            f"so it was made private to you ({mode:04o})."
        )
    if target.read_only:
        notes.append(f"{target.real} was read-only: it was written because you asked to, and is read-only again.")
    return mode, " ".join(notes)


def write(real: Path, data: bytes, mode: int, *, posix: bool) -> None:
    """Replace the file at `real` (never a link: `inspect` resolved it) atomically, with `mode`."""
    if not posix and real.exists() and not os.stat(real).st_mode & stat.S_IWUSR:
        os.chmod(real, stat.S_IREAD | stat.S_IWRITE)  # Windows will not replace a read-only file; `mode` restores it
    write_atomically(real, data, mode=mode)


def make_private(target: Target) -> str:
    """POSIX: take group and other bits off a file that already holds the key; the note to show ("" if none)."""
    if target.mode is None or not target.mode & OTHERS:
        return ""
    mode = target.mode & ~OTHERS & 0o7777
    try:
        try:
            os.chmod(target.real, mode)
        except PermissionError:  # another user's file in our folder: replaced by our own copy, as a write would
            write_atomically(target.real, target.data or b"", mode=mode)
    except OSError as exc:
        return (
            f"{target.real} holds your local key and other users can read it (mode {target.mode:04o}), but it could "
            f"not be made private ({exc.strerror or exc}): make it readable by you only."
        )
    return (
        f"{target.real} holds your local key and was readable by other users (mode {target.mode:04o}); it was made "
        f"private to you ({mode:04o})."
    )


@dataclass(frozen=True)
class Record:
    """One write we made: undo restores `backup` (or removes the file when `backup` is None: we created it).

    `target` is the file a link at `path` led to (None: `path` itself), `mode` the file's mode before we wrote it
    (None: records from before it was kept), so undo puts back the same bytes, in the same place, with the same mode."""

    client: str
    path: str
    backup: str | None
    written_sha256: str
    time: str
    target: str | None = None
    mode: int | None = None


def exports_dir() -> Path:
    return paths.config_dir() / "exports"


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """One exporter at a time, across processes: each reads the client's file again once it holds the lock, so two
    writers at the same moment both land (the second edits what the first wrote) and the history loses nothing."""
    folder = exports_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = filelock.FileLock(folder / "write.lock", timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ExportError(
            f"Another Port MCP Bridge process has been changing client configurations for more than "
            f"{LOCK_TIMEOUT:g} seconds. Try again in a moment; if it persists, quit the other process.",
            title="Client configurations busy",
        ) from None
    try:
        yield
    finally:
        lock.release()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def decode(data: bytes) -> tuple[str, bytes]:
    """Text and the byte-order mark it had (kept on write)."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    return data[len(bom) :].decode("utf-8"), bom


def atomic_write(path: Path, data: bytes) -> None:
    """One of our own files (the history): keeps its mode, 0600 when new; see `bridge.system.files`."""
    write_atomically(path, data, new_mode=NEW_FILE_MODE)


def save_backup(client: str, path: Path, data: bytes) -> Path:
    folder = exports_dir() / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = folder / f"{client}-{stamp}-{path.name}"
    write_atomically(backup, data, mode=NEW_FILE_MODE)  # a copy of a file that may hold the local key: 0600
    return backup


# --- history ---------------------------------------------------------------------------------------------------


def _history_path() -> Path:
    return exports_dir() / "history.json"


_FIELDS = {f.name for f in fields(Record)}


def load_history() -> list[Record]:
    try:
        raw = json.loads(_history_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return [Record(**{k: v for k, v in item.items() if k in _FIELDS}) for item in raw if isinstance(item, dict)]


def _save_history(records: list[Record]) -> None:
    text = json.dumps([asdict(r) for r in records], indent=2) + "\n"
    atomic_write(_history_path(), text.encode())


def add_record(record: Record) -> None:
    _save_history([*load_history(), record])


def last_record(client: str, path: str | None = None) -> Record | None:
    """The client's last write (to `path`, when given: a client whose file is in a folder the user chose)."""
    found = [r for r in load_history() if r.client == client and (path is None or r.path == path)]
    return found[-1] if found else None


def drop_record(record: Record) -> None:
    records = load_history()
    for index in range(len(records) - 1, -1, -1):
        if records[index] == record:
            del records[index]
            break
    _save_history(records)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
