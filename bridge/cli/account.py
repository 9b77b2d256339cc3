"""`port-mcp-bridge login`, `logout` and `doctor`."""

from __future__ import annotations

import concurrent.futures
import sys
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from bridge.api import BridgeApi, Profile

T = TypeVar("T")
SIGN_IN_CANCELLED = "Sign-in cancelled; nothing was changed."
WITH_CREDENTIALS = "With API credentials from the command line: port-mcp-bridge login {profile} --token"


def _target(profile: str | None, option: str | None) -> tuple[BridgeApi, Profile]:
    from bridge.api import BridgeApi
    from bridge.errors import NoActiveProfile

    api = BridgeApi()
    try:
        return api, api.profile(option or profile)
    except NoActiveProfile:
        raise click.ClickException("No profile is active. Add one with `port-mcp-bridge profiles add`.") from None


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
    from bridge.api import AuthMode, SignInStep, system_browser
    from bridge.errors import SignInFailed

    api, target = _target(profile, profile_option)
    if token_mode or client_id or client_secret_stdin or target.auth_mode == AuthMode.TOKEN:
        cid = (client_id or click.prompt("Port API client id")).strip()
        secret = (
            sys.stdin.readline().strip()
            if client_secret_stdin
            else click.prompt("Port API client secret", hide_input=True)
        )
        done = _wait(api, api.sign_in_with_token(target.id, cid, secret))
        click.echo(f"Signed in: API credentials for {done.profile.name} checked with Port and saved in the keychain.")
    else:

        def print_only(url: str) -> bool:
            return False  # the flow then prints the address

        def progress(step: SignInStep) -> None:
            click.echo(step)  # while waiting: what Port's SSO error page in the browser would mean, at once
            if step.sso is not None:
                click.echo(WITH_CREDENTIALS.format(profile=target.id))

        click.echo(f"Signing in {target.name} ({target.region_label}). Press Ctrl+C to cancel.")
        browser = print_only if no_browser else system_browser
        try:
            done = _wait(api, api.sign_in(target.id, open_browser=browser, progress=progress, timeout=timeout))
        except SignInFailed as exc:
            if exc.support_request:  # an SSO organization: the way out that works today, as a command
                click.echo(WITH_CREDENTIALS.format(profile=target.id), err=True)
            raise
        who = done.identity
        org = who.organization_name or who.organization_id or "your organization"
        as_whom = f" as {who.email}" if who.email else ""
        click.echo(f"Signed in to {org}{as_whom}. {done.profile.name} now uses this organization.")
    for warning in done.warnings:
        click.echo(f"Note: {warning}")


def _wait(api: BridgeApi, future: concurrent.futures.Future[T], cancelled: str = SIGN_IN_CANCELLED) -> T:
    """The facade's answer; Ctrl+C cancels the work (a sign-in's page is closed, nothing is saved)."""
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        raise click.ClickException(cancelled) from None
    finally:
        api.stop()


@click.command()
@click.argument("profile", required=False)
@click.option("--profile", "-p", "profile_option", metavar="PROFILE", help="The profile (default: the active one).")
def logout(profile: str | None, profile_option: str | None) -> None:
    """Sign a profile out: revoke its tokens where Port allows it and delete them from the keychain."""
    api, target = _target(profile, profile_option)
    for note in _wait(api, api.sign_out(target.id), "Sign-out interrupted: run it again to finish."):
        click.echo(note)
    click.echo(f"Signed out of {target.name}. Its saved sign-in was deleted from the keychain.")


@click.command()
@click.argument("profile", required=False)
def doctor(profile: str | None) -> None:
    """Check the connection to Port for PROFILE (default: the active one), step by step.

    Settings and keychain, the local port, then DNS, TCP/TLS, sign-in, an MCP handshake, the tool
    list and a read-only tool call, and the tool count against the limits of connected clients, with
    advice for what fails. The same report as Doctor in the tray app, with the MCP clients found here
    and their versions; safe to paste into a support request: it never prints tokens or secrets.
    """
    api, target = _target(profile, None)
    try:
        report = api.doctor(target.id)
    finally:
        api.stop()
    click.echo(report.text)
    raise SystemExit(0 if report.ok else 1)
