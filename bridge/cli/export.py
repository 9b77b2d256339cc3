"""`port-mcp-bridge export`: write the bridge into an MCP client's configuration, preview it, or take it out again."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bridge.errors import ExportRefused

if TYPE_CHECKING:
    from bridge.api import BridgeApi


def _list(api: BridgeApi) -> None:
    from bridge.api import State

    exports = api.clients
    pinned = [p.id for p in api.settings().profiles]
    header = ("CLIENT", "DETECTED", "ENTRY 'port'", "TOOLS", "FILE")
    rows = []
    reports = exports.statuses((None, *pinned))
    for report in reports:
        client = report.client
        active, *others = report.entries
        state = "cannot edit" if report.problem else active.describe()
        extra = [f"{s.name}: {s.describe()}" for s in others if s.state != State.ABSENT]
        if report.direct:
            extra.append(f"uses Port directly ({', '.join(d.name for d in report.direct)})")
        limit = f"≤{client.tool_limit}" if client.tool_limit else "-"
        rows.append((client.id, "yes" if report.detected else "no", "; ".join([state, *extra]), limit,
                     str(report.path)))  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    click.echo("\nWrite one with: port-mcp-bridge export --client <CLIENT> --write   (undo with --undo)")
    if any(r.direct for r in reports):
        click.echo("'uses Port directly': an entry reaches Port without the bridge, so the assistant would see Port's "
                   "tools twice. Add --replace-direct to --write to replace it.")  # fmt: skip
    for note in exports.notes():
        click.echo(f"\n{note}")


def _warn_direct(kept: tuple[Any, ...]) -> None:
    """--write without --replace-direct keeps Port's direct entries: say what that costs and how to replace them."""
    if kept:
        names = "; ".join(d.describe() for d in kept)
        click.echo(f"Warning: {names} still reaches Port without the bridge, so the assistant sees Port's tools "
                   "twice. Replace it with --write --replace-direct.", err=True)  # fmt: skip


def _what_to_run(command: Callable[..., None]) -> Callable[..., None]:
    """A refusal's message is the GUI's too, so it names no command: here it gets the ones that help."""

    @functools.wraps(command)
    def run(*args: Any, **options: Any) -> None:
        try:
            command(*args, **options)
        except ExportRefused as exc:
            client = options.get("client_id") or "<CLIENT>"
            hint = f" Print the snippet with: port-mcp-bridge export --client {client} --print"
            if exc.forcible:
                hint += f"; or write it anyway with: port-mcp-bridge export --client {client} --write --force"
            raise ExportRefused(
                exc.message, snippet=exc.snippet, forcible=exc.forcible, path=exc.path, cli=hint.strip()
            ) from None

    return run


@click.command()
@click.option("--list", "list_", is_flag=True, help="Every known client: installed?, our entry's state, its file.")
@click.option("--client", "client_id", metavar="CLIENT", help="cursor, vscode, claude-desktop, claude-code, codex, …")
@click.option("--profile", "profiles", multiple=True, metavar="ID",
              help="An entry pinned to this profile (/p/<id>/mcp, named port-<id>) instead of the active one. "
                   "Repeat for several.")  # fmt: skip
@click.option("--print", "print_", is_flag=True, help="Print the snippet to paste (it contains the local key).")
@click.option("--diff", "diff_", is_flag=True, help="Show what --write would change (the key is masked).")
@click.option("--write", "write_", is_flag=True, help="Write it into the client's file (backed up first).")
@click.option("--link", "link_", is_flag=True, help="Print an install link (Cursor, VS Code, LM Studio, Goose).")
@click.option("--undo", "undo_", is_flag=True, help="Put the client's file back exactly as it was before --write.")
@click.option("--force", is_flag=True, help="With --undo: restore even if the file changed since we wrote it. "
              "With --write: write a file you made read-only (it stays read-only).")  # fmt: skip
@click.option("--key-env", metavar="VAR", help="Codex: read the key from this environment variable instead.")
@click.option("--replace-direct", is_flag=True,
              help="With --write (or --diff): replace the client's entries that reach Port directly (port-eu, "
                   "npx mcp-remote https://mcp.port.io/v1, …) instead of keeping them beside the bridge; their "
                   "read-only and allowed-actions headers are carried into the profile.")  # fmt: skip
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The project folder for --client vscode-workspace (its .vscode/mcp.json).")  # fmt: skip
@_what_to_run
def export(
    list_: bool,
    client_id: str | None,
    profiles: tuple[str, ...],
    print_: bool,
    diff_: bool,
    write_: bool,
    link_: bool,
    undo_: bool,
    force: bool,
    key_env: str | None,
    replace_direct: bool,
    workspace: Path | None,
) -> None:
    """Connect an MCP client (IDE, assistant) to the bridge: write its configuration, or take it out again.

    Without an action, shows the client's state and what --write would change.

    \b
    Examples:
      port-mcp-bridge export --list
      port-mcp-bridge export --client cursor --write
      port-mcp-bridge export --client cursor --write --replace-direct
      port-mcp-bridge export --client vscode-workspace --workspace ~/src/app --write
      port-mcp-bridge export --client codex --diff
      port-mcp-bridge export --client vscode --profile acme --write
      port-mcp-bridge export --client claude-code --print
      port-mcp-bridge export --client cursor --undo
    """
    from bridge.api import BridgeApi

    actions = [name for name, on in (("--print", print_), ("--diff", diff_), ("--write", write_), ("--link", link_),
                                      ("--undo", undo_)) if on]  # fmt: skip
    if len(actions) > 1:
        raise click.UsageError(f"{' and '.join(actions)} cannot be used together: pick one.")
    if force and not (undo_ or write_):
        raise click.UsageError("--force only goes with --undo or --write.")
    if replace_direct and not (write_ or diff_ or not actions):
        raise click.UsageError("--replace-direct goes with --write or --diff.")
    api = BridgeApi()
    exports = api.clients
    exports.use_workspace(workspace)
    if list_:
        _list(api)
        return
    if not client_id:
        raise click.UsageError("Name a client with --client (see them all with --list).")
    client = exports.client(client_id)
    if client.needs_folder and workspace is None:
        raise click.UsageError(f"{client.id} needs the project folder: add --workspace DIR.")
    if key_env and client.id != "codex":
        raise click.UsageError("--key-env is for Codex only; other clients get the key in a header.")
    if undo_:
        undone = exports.undo(client.id, force=force)
        click.echo(f"Removed {undone.path}: it did not exist before." if undone.removed
                   else f"Put {undone.path} back as it was.")  # fmt: skip
        return
    chosen = profiles or (None,)
    entries = exports.entries(chosen, key_env)
    key = entries[0].key
    if print_:
        click.echo(exports.snippet(client.id, chosen, key_env), nl=False)
        if key:
            click.echo("\nThis contains your local key: paste it only into this client's configuration.", err=True)
        return
    if link_:
        for url, caveat in exports.links(client.id, chosen):
            click.echo(url)
            if caveat:
                click.echo(caveat, err=True)
        if key and client.id != "goose":
            click.echo("The link contains your local key: open it, do not share it.", err=True)
        return
    if write_:
        result = exports.connect(
            client.id, chosen, key_env, force=force, replace_direct=replace_direct, edit=api.edit_profile
        )
        if not result.changed:
            click.echo(f"{client.name} is already set up: {result.path} has the current entry. Nothing written.")
            if result.note:
                click.echo(f"  {result.note}")
            _warn_direct(exports.status(client.id, chosen, key_env).direct)
            return
        click.echo(f"Wrote {', '.join(e.name for e in entries)} to {result.path}.")
        if result.backup:
            click.echo(f"  Backup of the previous file: {result.backup}")
        if result.note:
            click.echo(f"  {result.note}")
        click.echo(f"  {client.after_write}")
        folder = f" --workspace {workspace}" if client.needs_folder else ""
        click.echo(f"  Undo with: port-mcp-bridge export --client {client.id}{folder} --undo")
        _warn_direct(exports.status(client.id, chosen, key_env).direct)
        return
    report = exports.status(client.id, chosen, key_env)
    if not diff_:
        click.echo(f"{client.name}: {'installed' if report.detected else 'not found on this machine'}; "
                   f"{report.path}")  # fmt: skip
        for entry_status in report.entries:
            click.echo(f"  {entry_status.name}: {entry_status.describe()}")
        if client.tool_limit:
            click.echo(f"  Tool limit: {client.tool_limit_note}")
    change = exports.preview(client.id, chosen, key_env, replace_direct=replace_direct)
    if not change:
        click.echo("Nothing to change." if diff_ else "  Up to date.")
        return
    click.echo(change, nl=False)
    if not diff_:
        more = " --replace-direct" if replace_direct else ""
        click.echo(f"Apply with: port-mcp-bridge export --client {client.id} --write{more}")
