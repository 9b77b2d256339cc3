"""`port-mcp-bridge sandbox`: run the built-in imitation of Port in the foreground."""

from __future__ import annotations

import contextlib
from typing import cast

import click

from bridge.api import SANDBOX_PORT


@click.command()
@click.option("--port", default=SANDBOX_PORT, show_default=True, help="Loopback port to listen on (0 = any free port).")
@click.option(
    "--era",
    type=click.Choice(["current", "legacy"]),
    default="current",
    show_default=True,
    help="Port's tool set: 'current' (run_action, list_/upsert_ tools) or 'legacy' (one run_<action> tool per action).",
)
@click.option(
    "--strict-issuer",
    is_flag=True,
    help="Make the OAuth issuer equal the MCP URL. Port's is on another origin, which strict clients "
    "(the mcp Python SDK, Codex) reject; use this to let them sign in directly.",
)
@click.option(
    "--sso-login-error",
    is_flag=True,
    help="Imitate an SSO org whose connection is not domain-level, as Port behaves: registration succeeds, and the "
    "login page shows Auth0's 'Oops!, something went wrong' and never comes back.",
)
@click.option("--no-dcr", is_flag=True, help="Refuse dynamic client registration (an older imitation of SSO orgs).")
@click.option("--auto-approve", metavar="EMAIL ORG_ID", help="Approve sign-ins at once as this user and org.")
@click.option("--run-seconds", default=2.0, show_default=True, help="How long an action run takes to finish.")
@click.option("--access-token-ttl", default=3600.0, show_default=True, help="Lifetime of OAuth access tokens, seconds.")
@click.option(
    "--fault",
    "fault_settings",
    multiple=True,
    metavar="KNOB=VALUE",
    help="Start with a fault knob set, e.g. --fault latency=0.2 --fault error_rate=0.1 (repeatable).",
)
def sandbox(
    port: int,
    era: str,
    strict_issuer: bool,
    sso_login_error: bool,
    no_dcr: bool,
    auto_approve: str | None,
    run_seconds: float,
    access_token_ttl: float,
    fault_settings: tuple[str, ...],
) -> None:
    """Run the Port sandbox: Port's MCP server, OAuth and token endpoints with demo data, on 127.0.0.1.

    Point any MCP client at the printed MCP URL. It signs in through the browser (pick a demo
    organization on the consent page), or with a token from the demo credentials:

    \b
      curl -X POST http://127.0.0.1:47780/v1/auth/access_token \\
           -H 'Content-Type: application/json' \\
           -d '{"clientId": "acme-builder-demo", "clientSecret": "sandbox-secret-acme-builder"}'

    Fault knobs for testing: GET/POST http://127.0.0.1:<port>/_sandbox/faults (loopback only).
    """
    from bridge.api import Era, Faults, Lifetimes, Sandbox, SandboxConfig, demo_credentials_text

    config = SandboxConfig(
        era=cast("Era", era),  # click.Choice admits only Era's values
        issuer_mode="strict" if strict_issuer else "port",
        run_seconds=run_seconds,
        lifetimes=Lifetimes(access_token=access_token_ttl),
    )
    faults = Faults(dcr_enabled=not no_dcr, sso_login_error=sso_login_error, auto_approve=auto_approve)
    try:
        faults.update(dict(_parse_fault(text) for text in fault_settings))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from exc
    try:
        box = Sandbox(port, config=config, faults=faults)
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}). Another program uses that port: "
            "pick another with --port, or --port 0 for any free one."
        ) from exc
    click.echo(f"Port sandbox running (tool set: {era}{', strict issuer' if strict_issuer else ''}).")
    click.echo(f"  MCP URL:        {box.mcp_url}")
    click.echo(f"  Token endpoint: {box.url}/v1/auth/access_token")
    click.echo(f"  Fault knobs:    {box.url}/_sandbox/faults")
    click.echo("  Demo credentials for token mode (client id / secret):")
    click.echo(demo_credentials_text())
    click.echo("Press Ctrl+C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        box.serve_forever()


def _parse_fault(text: str) -> tuple[str, object]:
    """`latency=0.2` -> ("latency", 0.2); values are JSON where they parse as JSON (numbers, true/false)."""
    import json

    key, sep, raw = text.partition("=")
    if not sep:
        raise click.BadParameter(f"{text!r} is not KNOB=VALUE.", param_hint="--fault")
    try:
        return key.strip(), json.loads(raw)
    except ValueError:
        return key.strip(), raw
