"""What the command line (and later the tray) calls: status, preview, write, undo, snippet and link per client.

Deciding is pure (`plan_text`: old text + entries → new text); doing is `write`/`undo` over `bridge.export.files`.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import ExportError, ExportRefused
from bridge.export import files
from bridge.export.base import Client
from bridge.export.clients import ALL
from bridge.export.entries import compare, merge
from bridge.export.formats import FormatProblem
from bridge.export.model import Entry, EntryStatus, Env, State


def clients() -> list[Client]:
    return [cls() for cls in ALL]


def get_client(client_id: str) -> Client:
    wanted = client_id.strip().lower()
    for client in clients():
        if wanted in (client.id, client.id.replace("-", ""), client.name.lower()):
            return client
    known = ", ".join(c.id for c in clients())
    raise ExportError(f"No client '{client_id}'. Known clients: {known}.", title="Unknown client")


@dataclass(frozen=True)
class ClientStatus:
    client: Client
    path: Path
    detected: bool
    exists: bool
    entries: tuple[EntryStatus, ...]
    problem: str | None  # why the file cannot be edited, if it cannot


@dataclass(frozen=True)
class Plan:
    path: Path
    before: bytes | None  # None: the file does not exist yet
    after: bytes

    @property
    def changes(self) -> bool:
        return self.before != self.after


def snippet(client: Client, entries: list[Entry]) -> str:
    """What to paste into the client's file by hand (contains the local key, when the bridge requires one)."""
    return client.format().snippet(client.section, {e.name: client.render(e) for e in entries})


def _refuse(client: Client, path: Path, why: str, entries: list[Entry]) -> ExportRefused:
    return ExportRefused(
        f"{path} was left untouched because {why}. Fix the file, or add this to its "
        f'"{client.section}" yourself (printed by `port-mcp-bridge export --client {client.id} --print`).',
        snippet=snippet(client, entries),
    )


def plan_text(client: Client, text: str, entries: list[Entry]) -> str:
    """The file's new text with our entries set; pure. Raises `FormatProblem` for a file we will not edit."""
    fmt = client.format()
    servers = fmt.servers(text, client.section)
    for entry in entries:
        value = merge(servers.get(entry.name), client.render(entry), client.owned)
        if servers.get(entry.name) != value:
            text = fmt.put(text, client.section, entry.name, value)
    return text


def plan(client: Client, env: Env, entries: list[Entry]) -> Plan:
    path = client.path(env)
    before = files.read_bytes(path)
    try:
        text, bom = files.decode(before) if before is not None else ("", b"")
        after = bom + plan_text(client, text, entries).encode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(client, path, "it is not UTF-8 text", entries) from None
    except FormatProblem as exc:
        raise _refuse(client, path, str(exc), entries) from exc
    return Plan(path, before, after)


def status(client: Client, env: Env, entries: list[Entry]) -> ClientStatus:
    path = client.path(env)
    data = files.read_bytes(path)
    problem = None
    servers: dict[str, object] = {}
    if data is not None:
        try:
            servers = client.format().servers(files.decode(data)[0], client.section)
        except UnicodeDecodeError:
            problem = "it is not UTF-8 text"
        except FormatProblem as exc:
            problem = str(exc)
    states = []
    for entry in entries:
        try:
            states.append(compare(entry.name, servers.get(entry.name), client.render(entry), client.owned))
        except ExportError as exc:
            problem = problem or exc.message
            states.append(EntryStatus(entry.name, State.ABSENT))
    return ClientStatus(client, path, client.detected(env), data is not None, tuple(states), problem)


def diff(result: Plan, mask: str | None = None) -> str:
    """A unified diff of the change; `mask` (the local key) is shown as `<local key>`."""

    def lines(data: bytes | None) -> list[str]:
        text = files.decode(data)[0] if data is not None else ""
        if mask:
            text = text.replace(mask, "<local key>")
        return text.splitlines(keepends=True)

    before = str(result.path) if result.before is not None else "/dev/null"
    return "".join(difflib.unified_diff(lines(result.before), lines(result.after), before, str(result.path)))


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None


def write(client: Client, env: Env, entries: list[Entry]) -> WriteResult:
    """Write our entries, after a timestamped backup, and remember how to undo it."""
    result = plan(client, env, entries)
    if not result.changes:
        return WriteResult(result.path, False, None)
    backup = files.save_backup(client.id, result.path, result.before) if result.before is not None else None
    files.atomic_write(result.path, result.after)
    backup_name = str(backup) if backup else None
    files.add_record(files.Record(client.id, str(result.path), backup_name, files.digest(result.after), files.now()))
    return WriteResult(result.path, True, backup)


@dataclass(frozen=True)
class UndoResult:
    path: Path
    removed: bool  # the file did not exist before we wrote it, so it is gone again


def undo(client: Client, *, force: bool = False) -> UndoResult:
    """Put the client's file back exactly as it was before our last write to it."""
    record = files.last_record(client.id)
    if record is None:
        raise ExportError(
            f"Nothing to undo for {client.name}: Port MCP Bridge has not changed its configuration "
            "(or the change was undone already).",
            title="Nothing to undo",
        )
    path = Path(record.path)
    current = files.read_bytes(path)
    if not force and (current is None or files.digest(current) != record.written_sha256):
        kept = f" The file as it was before is kept at {record.backup}." if record.backup else ""
        raise ExportError(
            f"{path} changed after Port MCP Bridge wrote it ({record.time}), so undoing would lose those changes."
            f"{kept} Run again with --force to put it back anyway.",
            title="Not undone",
        )
    if record.backup is None:
        if current is not None:
            os.remove(path)
        files.drop_record(record)
        return UndoResult(path, True)
    original = files.read_bytes(Path(record.backup))
    if original is None:
        raise ExportError(f"The backup {record.backup} is gone, so {path} cannot be put back.", title="Not undone")
    files.atomic_write(path, original)
    files.drop_record(record)
    return UndoResult(path, False)


def link(client: Client, entry: Entry) -> tuple[str, str]:
    """The install deep link and a caveat (empty when none); clients without links raise `ExportError`."""
    url = client.link(entry)
    if url is None:
        with_links = ", ".join(c.id for c in clients() if c.link(entry) is not None)
        raise ExportError(
            f"{client.name} has no install link. Use `--write` (or `--print` to copy the snippet). "
            f"Clients with links: {with_links}.",
            title="No install link",
        )
    return url, client.link_caveat(entry)
