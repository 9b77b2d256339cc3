"""`port-mcp-bridge export`: write the bridge into an MCP client's configuration, preview it, or take it out again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bridge.export import Entry, Env
    from bridge.settings import Settings


def _entries(settings: Settings, profiles: tuple[str | None, ...], key_env: str | None, env: Env) -> list[Entry]:
    from bridge.auth.localkey import local_key
    from bridge.export import make_entry

    key = local_key() if settings.require_local_key else None
    names: list[str | None] = list(profiles) or [None]
    return [make_entry(settings, key, name, key_env=key_env, program=env.program) for name in names]


def _list(settings: Settings, env: Env) -> None:
    from bridge.export import clients, status

    entries = _entries(settings, (None, *(p.id for p in settings.profiles)), None, env)
    header = ("CLIENT", "DETECTED", "ENTRY 'port'", "TOOLS", "FILE")
    rows = []
    for client in clients():
        report = status(client, env, entries)
        active, *pinned = report.entries
        state = "cannot edit" if report.problem else active.describe()
        extra = [f"{s.name}: {s.describe()}" for s in pinned if s.state.value != "absent"]
        limit = f"≤{client.tool_limit}" if client.tool_limit else "-"
        rows.append((client.id, "yes" if report.detected else "no", "; ".join([state, *extra]), limit,
                     str(report.path)))  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    click.echo("\nWrite one with: port-mcp-bridge export --client <CLIENT> --write   (undo with --undo)")


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
@click.option("--force", is_flag=True, help="With --undo: restore even if the file changed since we wrote it.")
@click.option("--key-env", metavar="VAR", help="Codex: read the key from this environment variable instead.")
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
) -> None:
    """Connect an MCP client (IDE, assistant) to the bridge: write its configuration, or take it out again.

    Without an action, shows the client's state and what --write would change.

    \b
    Examples:
      port-mcp-bridge export --list
      port-mcp-bridge export --client cursor --write
      port-mcp-bridge export --client codex --diff
      port-mcp-bridge export --client vscode --profile acme --write
      port-mcp-bridge export --client claude-code --print
      port-mcp-bridge export --client cursor --undo
    """
    from bridge.export import Env, diff, get_client, link, plan, snippet, status, undo, write
    from bridge.settings import SettingsStore

    actions = [name for name, on in (("--print", print_), ("--diff", diff_), ("--write", write_), ("--link", link_),
                                      ("--undo", undo_)) if on]  # fmt: skip
    if len(actions) > 1:
        raise click.UsageError(f"{' and '.join(actions)} cannot be used together: pick one.")
    if force and not undo_:
        raise click.UsageError("--force only goes with --undo.")
    settings = SettingsStore().load()
    env = Env.current()
    if list_:
        _list(settings, env)
        return
    if not client_id:
        raise click.UsageError("Name a client with --client (see them all with --list).")
    client = get_client(client_id)
    if key_env and client.id != "codex":
        raise click.UsageError("--key-env is for Codex only; other clients get the key in a header.")
    if undo_:
        result = undo(client, force=force)
        click.echo(f"Removed {result.path}: it did not exist before." if result.removed
                   else f"Put {result.path} back as it was.")  # fmt: skip
        return
    entries = _entries(settings, profiles, key_env, env)
    key = entries[0].key
    if print_:
        click.echo(snippet(client, entries), nl=False)
        if key:
            click.echo("\nThis contains your local key: paste it only into this client's configuration.", err=True)
        return
    if link_:
        for entry in entries:
            url, caveat = link(client, entry)
            click.echo(url)
            if caveat:
                click.echo(caveat, err=True)
        if key and client.id != "goose":
            click.echo("The link contains your local key: open it, do not share it.", err=True)
        return
    if write_:
        result = write(client, env, entries)
        if not result.changed:
            click.echo(f"{client.name} is already set up: {result.path} has the current entry. Nothing written.")
            return
        click.echo(f"Wrote {', '.join(e.name for e in entries)} to {result.path}.")
        if result.backup:
            click.echo(f"  Backup of the previous file: {result.backup}")
        click.echo(f"  {client.after_write}")
        click.echo(f"  Undo with: port-mcp-bridge export --client {client.id} --undo")
        return
    report = status(client, env, entries)
    if not diff_:
        click.echo(f"{client.name}: {'installed' if report.detected else 'not found on this machine'}; "
                   f"{report.path}")  # fmt: skip
        for entry_status in report.entries:
            click.echo(f"  {entry_status.name}: {entry_status.describe()}")
        if client.tool_limit:
            click.echo(f"  Tool limit: {client.tool_limit_note}")
    change = plan(client, env, entries)
    if not change.changes:
        click.echo("Nothing to change." if diff_ else "  Up to date.")
        return
    click.echo(diff(change, mask=key), nl=False)
    if not diff_:
        click.echo(f"Apply with: port-mcp-bridge export --client {client.id} --write")
