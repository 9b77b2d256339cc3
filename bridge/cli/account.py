"""`port-mcp-bridge login`, `logout` and `doctor`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bridge.settings import Profile, SettingsStore


def _target(profile: str | None, option: str | None) -> tuple[SettingsStore, Profile]:
    from bridge.settings import SettingsStore

    store = SettingsStore()
    chosen = option or profile
    settings = store.load()
    target = settings.get_profile(chosen) if chosen else settings.active()
    if target is None:
        raise click.ClickException("No profile is active. Add one with `port-mcp-bridge profiles add`.")
    return store, target


@click.command()
@click.argument("profile", required=False)
@click.option("--profile", "-p", "profile_option", metavar="PROFILE", help="The profile (default: the active one).")
@click.option("--token", "token_mode", is_flag=True, help="Token mode: Port API client id + secret, no browser.")
@click.option("--client-id", help="Token mode: the client id (asked for if missing).")
@click.option("--client-secret-stdin", is_flag=True, help="Token mode: read the client secret from standard input.")
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@click.option("--timeout", type=click.IntRange(10, 3600), default=300, show_default=True,
              help="Seconds to wait for the browser.")  # fmt: skip
def login(
    profile: str | None,
    profile_option: str | None,
    token_mode: bool,
    client_id: str | None,
    client_secret_stdin: bool,
    no_browser: bool,
    timeout: int,
) -> None:
    """Sign a profile in to Port (default: the active profile).

    Opens your browser, where you approve access in the organization you want for this profile;
    the tokens go to the system keychain and are refreshed automatically from then on.

    With --token (CI, machines without a browser), or for a profile in token mode: a Port API client
    id and secret (Port: avatar menu, Credentials), checked with Port and kept in the keychain. The
    secret is asked for without echo, or read from stdin.

    \b
    Examples:
      port-mcp-bridge login
      port-mcp-bridge login --profile acme-eu
      port-mcp-bridge login ci --token --client-id $PORT_CLIENT_ID --client-secret-stdin < secret.txt
    """
    import asyncio

    from bridge.auth import account
    from bridge.settings import AuthMode

    store, target = _target(profile, profile_option)
    if token_mode or client_id or client_secret_stdin or target.auth_mode == AuthMode.TOKEN:
        cid = (client_id or click.prompt("Port API client id")).strip()
        secret = (
            sys.stdin.readline().strip()
            if client_secret_stdin
            else click.prompt("Port API client secret", hide_input=True)
        )
        done = asyncio.run(account.token_login(store, target.id, cid, secret))
        click.echo(f"Signed in: API credentials for {done.profile.name} checked with Port and saved in the keychain.")
    else:

        def progress(message: str) -> None:
            click.echo(message)

        def print_only(url: str) -> bool:
            return False  # the flow then prints the address

        click.echo(f"Signing in {target.name} ({target.region_label}). Press Ctrl+C to cancel.")
        try:
            done = asyncio.run(
                account.browser_login(store, target.id, open_browser=print_only if no_browser else
                                      account.system_browser, progress=progress, timeout=timeout)
            )  # fmt: skip
        except KeyboardInterrupt:
            raise click.ClickException("Sign-in cancelled; nothing was changed.") from None
        who = done.identity
        org = who.organization_name or who.organization_id or "your organization"
        as_whom = f" as {who.email}" if who.email else ""
        click.echo(f"Signed in to {org}{as_whom}. {done.profile.name} now uses this organization.")
    for warning in done.warnings:
        click.echo(f"Note: {warning}")


@click.command()
@click.argument("profile", required=False)
@click.option("--profile", "-p", "profile_option", metavar="PROFILE", help="The profile (default: the active one).")
def logout(profile: str | None, profile_option: str | None) -> None:
    """Sign a profile out: revoke its tokens where Port allows it and delete them from the keychain."""
    import asyncio

    from bridge.auth import account

    store, target = _target(profile, profile_option)
    notes = asyncio.run(account.logout(store, target.id))
    for note in notes:
        click.echo(note)
    click.echo(f"Signed out of {target.name}. Its saved sign-in was deleted from the keychain.")


@click.command()
@click.argument("profile", required=False)
def doctor(profile: str | None) -> None:
    """Check the connection to Port for PROFILE (default: the active one), step by step.

    Settings and keychain, then DNS, TCP/TLS, sign-in and an MCP handshake, with advice for what
    fails. Safe to paste into a support request: it never prints tokens or secrets.
    """
    from bridge import __version__
    from bridge.doctor import check_keychain, check_settings, run_checks
    from bridge.settings import SettingsStore

    store = SettingsStore()
    settings = store.load()
    target = settings.get_profile(profile) if profile else settings.active()
    if target is None:
        raise click.ClickException("No profile is active. Add one with `port-mcp-bridge profiles add`.")
    click.echo(f"Port MCP Bridge {__version__}, Python {sys.version.split()[0]}, {sys.platform}")
    failed = False
    for check in [check_settings(store), check_keychain(), *run_checks(settings, target)]:
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"[{mark}] {check.name}: {check.detail}")
        if check.advice:
            click.echo(f"       → {check.advice}")
        failed |= not check.ok
    raise SystemExit(1 if failed else 0)
