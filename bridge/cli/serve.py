"""`port-mcp-bridge serve` and `status`: the headless bridge and a look at it."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--port", type=int, default=None, help="Local port (default: the one in settings, 47773).")
def serve(port: int | None) -> None:
    """Run the bridge in the foreground, without the tray app (servers, SSH sessions, scripts).

    IDEs point at http://127.0.0.1:<port>/mcp (the active profile) or /p/<profile-id>/mcp (a fixed
    profile), with the local key as `Authorization: Bearer <key>`. Logs go to stderr and to a
    rotating file in your log folder. Stop with Ctrl+C.
    """
    import contextlib

    from bridge.proxy.service import BridgeService
    from bridge.settings import SettingsStore
    from bridge.system import logs

    store = SettingsStore()
    settings = store.load()
    log_file = logs.setup(settings.log_level)
    service = BridgeService(store, port=port)
    active = service.settings.active()
    click.echo(f"Port MCP Bridge listening on {service.url}/mcp")
    click.echo(f"  Active profile: {active.name} ({active.mcp_url})" if active else "  No profile yet: add one with "
               "`port-mcp-bridge profiles add`.")  # fmt: skip
    if store.notice:
        click.echo(f"  {store.notice}", err=True)
    if log_file:
        click.echo(f"  Log file: {log_file}")
    click.echo("Press Ctrl+C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        service.serve_forever()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Is the bridge running, on which port, with which profile, and is each profile signed in?"""
    import httpx2

    from bridge.auth.localkey import local_key
    from bridge.settings import SettingsStore

    settings = SettingsStore().load()
    url = f"http://127.0.0.1:{settings.local_port}"
    headers = {"Authorization": f"Bearer {local_key()}"} if settings.require_local_key else {}
    try:
        report = httpx2.get(f"{url}/status", headers=headers, timeout=3).json()
    except (httpx2.HTTPError, ValueError):
        report = {"running": False, "url": url}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if not report.get("running"):
        click.echo(f"The bridge is not running on {url}. Start it from the tray app or with `port-mcp-bridge serve`.")
        raise SystemExit(3)
    click.echo(f"Running on {report['url']}/mcp (version {report['version']})")
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
    from bridge.stdio import run

    run(profile)


@click.command()
@click.option(
    "--port", type=int, default=47773, show_default=True, help="Port for the bridge (falls back to a free one)."
)
def demo(port: int) -> None:
    """Try everything without a Port account: sandbox + bridge + a short scripted session.

    Starts the Port sandbox and the bridge, signs in to the demo organization, lets a sample
    client list tools, answer "Who owns OrderProcessing?" and run an action, then prints the
    configuration to paste into Cursor and keeps serving until Ctrl+C.
    """
    from bridge.demo import run

    run(port, click.echo)
