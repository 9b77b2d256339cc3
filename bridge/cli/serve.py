"""`port-mcp-bridge serve`, `status`, `stdio` and `demo`: the headless bridge, a look at it, the stdio shim and the
first-look demo."""

from __future__ import annotations

import json

import click

from bridge.api import DEFAULT_PORT


@click.command()
@click.option("--port", type=int, default=None, help="Local port (default: the one in settings, 47773).")
@click.option(
    "--detached",
    is_flag=True,
    hidden=True,
    help="Started by `stdio`, which reads stderr only until the bridge listens: then stop writing there.",
)
def serve(port: int | None, detached: bool) -> None:
    """Run the bridge in the foreground, without the tray app (servers, SSH sessions, scripts).

    IDEs point at http://127.0.0.1:<port>/mcp (the active profile) or /p/<profile-id>/mcp (a fixed
    profile), with the local key as `Authorization: Bearer <key>`. Logs go to stderr and to a
    rotating file in your log folder. Stop with Ctrl+C.
    """
    import contextlib

    from bridge.api import BridgeApi, Snapshot

    api = BridgeApi(port=port)
    log_file = api.setup_logging()

    def ready(snapshot: Snapshot) -> None:
        click.echo(f"Port MCP Bridge listening on {snapshot.mcp_url}")
        active = snapshot.active
        click.echo(f"  Active profile: {active.name} ({api.profile(active.id).mcp_url})" if active else
                   "  No profile yet: add one with `port-mcp-bridge profiles add`.")  # fmt: skip
        for notice in api.notices():
            click.echo(f"  {notice}", err=True)
        if log_file:
            click.echo(f"  Log file: {log_file}")
        click.echo("Press Ctrl+C to stop.")
        if detached:  # the shim that started us stops reading our stderr (its end closes): the log file has it all
            import os
            import sys

            sys.stderr.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)

    with contextlib.suppress(KeyboardInterrupt):
        api.serve_forever(ready)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Is the bridge running, on which port, with which profile, and is each profile signed in?"""
    from bridge.api import BridgeApi

    answer = BridgeApi().bridge_status()
    if as_json:
        click.echo(json.dumps(answer.report if answer.running else {"running": False, "url": answer.url}, indent=2))
        return
    if answer.problem:
        click.echo(answer.problem)
        raise SystemExit(3)
    if not answer.running:
        click.echo(f"The bridge is not running on {answer.url}. Start it from the tray app or with "
                   "`port-mcp-bridge serve`.")  # fmt: skip
        raise SystemExit(3)
    report = answer.report
    click.echo(f"Running on {report['url']}/mcp (version {report['version']})")
    if report.get("local_key_required") is False:
        click.echo("  Warning: the local key is turned off (require_local_key is false in the settings file): any "
                   "program on this computer can use your Port sign-in through the bridge.")  # fmt: skip
    if report.get("settings_problem"):
        click.echo(f"  Warning: {report['settings_problem']}")
    for profile in report["profiles"]:
        mark = "*" if profile["active"] else " "
        error = f" — {profile['last_error']}" if profile.get("last_error") else ""
        click.echo(f" {mark} {profile['id']:<20} {profile['state']}{error}")


@click.command()
@click.option("--profile", metavar="ID", help="Always use this profile instead of the active one.")
def stdio(profile: str | None) -> None:
    """Speak MCP on stdin/stdout, for clients that start a command (Claude Desktop, …).

    Relays to the local bridge with the local key, and starts the bridge in the background if
    it is not running. Configure the client with the command `port-mcp-bridge stdio`.
    """
    from bridge.api import run_stdio  # the shim alone: a process per client, so it must start fast

    run_stdio(profile)


@click.command()
@click.option(
    "--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port for the bridge (falls back to a free one)."
)
def demo(port: int) -> None:
    """Try everything without a Port account: sandbox + bridge + a short scripted session.

    Starts the Port sandbox and the bridge, signs in to the demo organization, lets a sample
    client list tools, answer "Who owns OrderProcessing?" and run an action, then prints the
    configuration to paste into Cursor and keeps serving until Ctrl+C.
    """
    from bridge.api import run_demo

    run_demo(port, click.echo)
