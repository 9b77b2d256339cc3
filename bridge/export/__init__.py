"""One-click client configuration: put an entry for the bridge into each MCP client's own file, and take it out.

    clients/        one small adapter per client (path on each platform, entry shape, deep link, tool limit)
    base.py         the adapter interface (`Client`)
    entries.py      pure: which entry a profile gives, merging into what is there, absent/current/stale
    direct.py       pure: entries that reach Port directly (Port's guide's forms), what replacing them carries over
    formats.py      JSON (spliced by jsonc.py), TOML (tomlkit), YAML (ruamel.yaml): parse and edit, pure
    files.py        all file I/O: atomic writes, backups, the undo history
    exporter.py     status, plan/diff, write, undo, snippet, link — what the CLI and the tray call
    versions.py     the installed version of each client, as its own files say (for support requests)

Never imports Qt. A file we cannot edit without losing something is never written: `ExportRefused` says why and
carries the snippet to paste instead.
"""

from bridge.errors import ExportError, ExportRefused
from bridge.export.base import Client
from bridge.export.entries import compare, make_entry, merge
from bridge.export.exporter import (
    ClientStatus,
    Plan,
    UndoResult,
    WriteResult,
    clients,
    diff,
    get_client,
    link,
    plan,
    plan_text,
    snippet,
    status,
    undo,
    write,
)
from bridge.export.model import Entry, EntryStatus, Env, State

__all__ = [
    "Client",
    "ClientStatus",
    "Entry",
    "EntryStatus",
    "Env",
    "ExportError",
    "ExportRefused",
    "Plan",
    "State",
    "UndoResult",
    "WriteResult",
    "clients",
    "compare",
    "diff",
    "get_client",
    "link",
    "make_entry",
    "merge",
    "plan",
    "plan_text",
    "snippet",
    "status",
    "undo",
    "write",
]
