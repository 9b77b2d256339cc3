"""`port-mcp-bridge login` (token mode) and `doctor`."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("profile")
@click.option("--client-id", prompt="Port API client id", help="In Port: your avatar menu, then Credentials.")
@click.option(
    "--client-secret-stdin", is_flag=True, help="Read the client secret from standard input instead of a prompt."
)
def login(profile: str, client_id: str, client_secret_stdin: bool) -> None:
    """Save Port API credentials for a token-mode PROFILE, after checking them with Port.

    The secret is asked for without echo (or read from stdin) and stored only in the system
    keychain. Browser sign-in for OAuth profiles comes with a later version.
    """
    import asyncio
    import json

    from bridge.secrets import set_secret
    from bridge.settings import AuthMode, SettingsStore
    from bridge.tokens import ClientCredentialsProvider

    store = SettingsStore()
    target = store.load().get_profile(profile)
    if target.auth_mode != AuthMode.TOKEN:
        raise click.ClickException(
            f"{target.name} signs in through the browser, which this version cannot do yet. Switch it to token mode "
            f"with `port-mcp-bridge profiles set {target.id} --auth token`, then run login again."
        )
    secret = (
        sys.stdin.readline().strip() if client_secret_stdin else click.prompt("Port API client secret", hide_input=True)
    )
    provider = ClientCredentialsProvider(target.api_url, client_id.strip(), secret, profile_name=target.name)
    try:
        asyncio.run(provider.token())
    except Exception as exc:
        raise click.ClickException(f"Port did not accept these credentials: {exc}") from None
    ref = f"profile/{target.id}/client-credentials"
    set_secret(ref, json.dumps({"clientId": client_id.strip(), "clientSecret": secret}))
    store.set_profile(target.id, secret_refs={**target.secret_refs, "client_credentials": ref})
    click.echo(f"Signed in: credentials for {target.name} checked with Port and saved in the keychain.")


@click.command()
@click.argument("profile", required=False)
def doctor(profile: str | None) -> None:
    """Check the connection to Port for PROFILE (default: the active one), step by step.

    DNS, TCP/TLS, sign-in and an MCP handshake, with advice for what fails. Safe to paste into a
    support request: it never prints tokens or secrets.
    """
    from bridge import __version__
    from bridge.doctor import run_checks
    from bridge.settings import SettingsStore

    settings = SettingsStore().load()
    target = settings.get_profile(profile) if profile else settings.active()
    if target is None:
        raise click.ClickException("No profile is active. Add one with `port-mcp-bridge profiles add`.")
    click.echo(f"Port MCP Bridge {__version__}, Python {sys.version.split()[0]}, {sys.platform}")
    failed = False
    for check in run_checks(settings, target):
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"[{mark}] {check.name}: {check.detail}")
        if check.advice:
            click.echo(f"       → {check.advice}")
        failed |= not check.ok
    raise SystemExit(1 if failed else 0)
