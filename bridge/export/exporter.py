"""What the command line (and later the tray) calls: status, preview, write, undo, snippet and link per client.

Deciding is pure (`plan_text`: old text + entries → new text); doing is `write`/`undo` over `bridge.export.files`.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import Action, Do, ExportError, ExportRefused
from bridge.export import files
from bridge.export.base import Client
from bridge.export.clients import ALL
from bridge.export.direct import DirectEntry, find_direct
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
    direct: tuple[DirectEntry, ...] = ()  # entries that reach Port without the bridge ("uses Port directly")


@dataclass(frozen=True)
class Plan:
    path: Path
    before: bytes | None  # None: the file does not exist yet
    after: bytes
    target: files.Target  # where the bytes are (a link's file), its mode
    replaced: tuple[DirectEntry, ...] = ()  # direct entries the write takes out (or overwrites: our own name)
    kept: tuple[DirectEntry, ...] = ()  # direct entries left beside ours

    @property
    def changes(self) -> bool:
        return self.before != self.after

    def summary(self) -> str:
        """What the write does to Port's direct entries, one line each; "" when the file has none."""
        lines = [f"Replaces {d.describe()}" for d in self.replaced]
        lines += [f"Keeps {d.describe()} beside the bridge: the assistant sees Port's tools twice" for d in self.kept]
        return "\n".join(lines)


def snippet(client: Client, entries: list[Entry]) -> str:
    """What to paste into the client's file by hand (contains the local key, when the bridge requires one)."""
    return client.format().snippet(client.section, {e.name: client.render(e) for e in entries})


def _refuse(
    client: Client, path: Path, why: str, entries: list[Entry], *, fix: str = "Fix the file", forcible: bool = False
) -> ExportRefused:
    # No command in the message: the GUI shows it beside Copy snippet; the CLI adds how to print the snippet.
    return ExportRefused(
        f'{path} was left untouched because {why}. {fix}, or paste the snippet into its "{client.section}" yourself.',
        snippet=snippet(client, entries),
        forcible=forcible,
        path=str(path),
    )


def _posix(env: Env) -> bool:
    """File modes mean something (not on Windows, where the profile's ACL keeps the user's files private)."""
    return env.system != "win32"


def _inspect(client: Client, env: Env, entries: list[Entry]) -> files.Target:
    path = client.path(env)
    try:
        return files.inspect(path, env.home, posix=_posix(env))
    except files.FileProblem as exc:
        raise _refuse(client, path, exc.why, entries) from None


def plan_text(client: Client, text: str, entries: list[Entry], replace: Sequence[str] = ()) -> str:
    """The file's new text with our entries set and the entries named in `replace` taken out; pure. Raises
    `FormatProblem` for a file we will not edit."""
    fmt = client.format()
    for name in replace:
        text = fmt.remove(text, client.section, name)
    servers = fmt.servers(text, client.section)
    for entry in entries:
        value = merge(servers.get(entry.name), client.render(entry), client.owned)
        if servers.get(entry.name) != value:
            text = fmt.put(text, client.section, entry.name, value)
    return text


def plan(client: Client, env: Env, entries: list[Entry], *, force: bool = False, replace_direct: bool = False) -> Plan:
    """What a write would do; raises `ExportRefused` for a file we will not edit (`force`: write a read-only one).
    `replace_direct`: take out the entries that reach Port directly; a direct entry under one of our own names is
    replaced in any case (the name can hold only one)."""
    target = _inspect(client, env, entries)
    path, before = target.path, target.data
    ours = frozenset(e.name for e in entries)
    try:
        text, bom = files.decode(before) if before is not None else ("", b"")
        direct = find_direct(client.format().servers(text, client.section)) if text.strip() else ()
        replaced = tuple(d for d in direct if replace_direct or d.name in ours)
        kept = tuple(d for d in direct if d not in replaced)
        removed = [d.name for d in replaced if d.name not in ours]
        after = bom + plan_text(client, text, entries, removed).encode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(client, path, "it is not UTF-8 text", entries) from None
    except FormatProblem as exc:
        raise _refuse(client, path, str(exc), entries) from exc
    if target.read_only and before != after and not force:
        mode = f" (mode {target.mode:04o})" if _posix(env) else ""
        raise _refuse(client, path, f"it is read-only{mode}", entries, fix="Make it writable", forcible=True)
    return Plan(path, before, after, target, replaced, kept)


def status(client: Client, env: Env, entries: list[Entry]) -> ClientStatus:
    path = client.path(env)
    problem = None
    try:
        data = files.inspect(path, env.home, posix=_posix(env)).data
    except files.FileProblem as exc:
        data, problem = None, exc.why
    servers: dict[str, object] = {}
    if data is not None:
        try:
            servers = client.format().servers(files.decode(data)[0], client.section)
        except UnicodeDecodeError:
            problem = "it is not UTF-8 text"
        except FormatProblem as exc:
            problem = str(exc)
    states = []
    direct = find_direct(servers)
    for entry in entries:
        try:
            states.append(compare(entry.name, servers.get(entry.name), client.render(entry), client.owned))
        except ExportError as exc:
            problem = problem or exc.message
            states.append(EntryStatus(entry.name, State.ABSENT))
    exists = data is not None or path.exists() or path.is_symlink()
    return ClientStatus(client, path, client.detected(env), exists, tuple(states), problem, direct)


# A bearer token in an entry being replaced (Port's token-based guide puts one in mcp-remote's arguments).
_BEARER = re.compile(r"(Bearer\s+)(?!<local key>)[^\s\"',]+")


def diff(result: Plan, mask: str | None = None) -> str:
    """A unified diff of the change; `mask` (the local key) is shown as `<local key>`, any other bearer token as
    `<token>`."""

    def lines(data: bytes | None) -> list[str]:
        text = files.decode(data)[0] if data is not None else ""
        if mask:
            text = text.replace(mask, "<local key>")
        return _BEARER.sub(r"\1<token>", text).splitlines(keepends=True)

    before = str(result.path) if result.before is not None else "/dev/null"
    return "".join(difflib.unified_diff(lines(result.before), lines(result.after), before, str(result.path)))


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None
    note: str = ""  # what the user should know beyond "written": a mode made private, a read-only file written
    replaced: tuple[DirectEntry, ...] = ()  # Port's direct entries the write took out


def write(
    client: Client, env: Env, entries: list[Entry], *, force: bool = False, replace_direct: bool = False
) -> WriteResult:
    """Write our entries, after a timestamped backup, and remember how to undo it. One writer at a time (across
    processes), each planning from the file as it is once it holds the lock. `force`: write a read-only file;
    `replace_direct`: take out the entries that reach Port directly (see `plan`)."""
    with files.locked():
        result = plan(client, env, entries, force=force, replace_direct=replace_direct)
        target, posix = result.target, _posix(env)
        keys = [e.key.encode() for e in entries if e.key]
        if not result.changes:
            holds_key = result.before is not None and any(k in result.before for k in keys)
            note = files.make_private(target) if posix and holds_key else ""
            return WriteResult(result.path, False, None, note)
        mode, note = files.mode_for(target, any(k in result.after for k in keys), posix=posix)
        try:
            backup = files.save_backup(client.id, result.path, result.before) if result.before is not None else None
        except OSError as exc:
            raise ExportError(
                f"{result.path} was left untouched: its backup could not be written in {files.exports_dir()} "
                f"({exc.strerror or exc}).",
                title="Configuration not changed",
            ) from None
        try:
            files.write(target.real, result.after, mode, posix=posix)
        except OSError as exc:
            why = f"its folder {target.real.parent} cannot be written to ({exc.strerror or exc})"
            raise _refuse(client, result.path, why, entries, fix="Let yourself write there") from None
        backup_name = str(backup) if backup else None
        linked_to = str(target.real) if target.linked else None
        digest = files.digest(result.after)
        record = files.Record(client.id, str(result.path), backup_name, digest, files.now(), linked_to, target.mode)
        files.add_record(record)
        return WriteResult(result.path, True, backup, note, result.replaced)


@dataclass(frozen=True)
class UndoResult:
    path: Path
    removed: bool  # the file did not exist before we wrote it, so it is gone again


def undo(client: Client, *, force: bool = False, env: Env | None = None) -> UndoResult:
    """Put the client's file back exactly as it was before our last write to it: the same bytes, in the same place
    (a link we followed stays a link, its file restored), with the same mode. A link is never removed. For a client
    whose file is in a folder the user chose (a VS Code workspace), `env` names the folder: the last write there."""
    where = str(client.path(env)) if env is not None and client.needs_folder else None
    with files.locked():
        return _undo(client, force, where)


def _not_undone(message: str) -> ExportError:
    return ExportError(message, title="Not undone")


def _undo(client: Client, force: bool, where: str | None) -> UndoResult:
    record = files.last_record(client.id, where)
    if record is None:
        raise ExportError(
            f"Nothing to undo for {client.name}: Port MCP Bridge has not changed its configuration "
            "(or the change was undone already).",
            title="Nothing to undo",
        )
    path = Path(record.path)
    linked_now = path.is_symlink()
    real = Path(os.path.realpath(path)) if linked_now else path
    expected = Path(record.target or record.path)
    if real != expected:
        # The user put a link where our file was, or moved theirs: either way, theirs now; never removed or followed.
        now = f"now leads to {real}" if linked_now else "is no longer a link"
        raise _not_undone(f"{path} {now}, not to {expected} where Port MCP Bridge wrote ({record.time}), so it was "
                          "left as it is.")  # fmt: skip
    try:
        current = files.read_bytes(real)
    except OSError as exc:
        raise _not_undone(f"{path} cannot be read ({exc.strerror or exc}), so it was left as it is.") from None
    if not force and (current is None or files.digest(current) != record.written_sha256):
        kept = f" The file as it was before is kept at {record.backup}." if record.backup else ""
        raise ExportError(
            f"{path} changed after Port MCP Bridge wrote it ({record.time}), so undoing would lose those changes."
            f"{kept}",
            title="Not undone",
            actions=(Action(Do.OPEN_FILE, "Open the earlier file", record.backup),) if record.backup else (),
            cli="Run again with --force to put it back anyway.",
        )
    if record.backup is None:
        if current is not None:
            os.remove(path)  # a regular file we created: `linked_now` would have failed the check above
        files.drop_record(record)
        return UndoResult(path, True)
    original = files.read_bytes(Path(record.backup))
    if original is None:
        raise _not_undone(f"The backup {record.backup} is gone, so {path} cannot be put back.")
    mode = record.mode if record.mode is not None else _mode(real)
    try:
        files.write(real, original, mode, posix=os.name == "posix")
    except OSError as exc:
        raise _not_undone(f"{path} cannot be written ({exc.strerror or exc}); it was left as it is.") from None
    files.drop_record(record)
    return UndoResult(path, False)


def _mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return files.NEW_FILE_MODE


def link(client: Client, entry: Entry) -> tuple[str, str]:
    """The install deep link and a caveat (empty when none); clients without links raise `ExportError`."""
    url = client.link(entry)
    if url is None:
        with_links = ", ".join(c.id for c in clients() if c.link(entry) is not None)
        raise ExportError(
            f"{client.name} has no install link: connect it instead, or copy the snippet. "
            f"Clients with links: {with_links}.",
            cli="Use `--write` (or `--print` to copy the snippet).",
            title="No install link",
        )
    return url, client.link_caveat(entry)
