"""All of the exporter's file I/O: reading a client's file, atomic writes that keep the file's mode, timestamped
backups, and the history that lets undo put a file back byte for byte, across runs.

History and backups live in `<config dir>/exports/` (`bridge.system.paths.config_dir()`), not beside the client's
file, so no client ever sees a stray copy of its configuration."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bridge.system import paths
from bridge.system.files import atomic_write as write_atomically

NEW_FILE_MODE = 0o600  # a new file holds the local key: readable by the user only


@dataclass(frozen=True)
class Record:
    """One write we made: undo restores `backup` (or removes the file when `backup` is None: we created it)."""

    client: str
    path: str
    backup: str | None
    written_sha256: str
    time: str


def exports_dir() -> Path:
    return paths.config_dir() / "exports"


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
    """A client's file: keeps its mode (0600 when new, as it holds the local key); see `bridge.system.files`."""
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


def load_history() -> list[Record]:
    try:
        raw = json.loads(_history_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return [Record(**item) for item in raw if isinstance(item, dict)]


def _save_history(records: list[Record]) -> None:
    text = json.dumps([asdict(r) for r in records], indent=2) + "\n"
    atomic_write(_history_path(), text.encode())


def add_record(record: Record) -> None:
    _save_history([*load_history(), record])


def last_record(client: str) -> Record | None:
    found = [r for r in load_history() if r.client == client]
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
