"""`port-mcp-bridge sandbox`: run the built-in imitation of Port in the foreground."""

from __future__ import annotations

import contextlib

import click

DEFAULT_PORT = 47780


@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Loopback port to listen on (0 = any free port).")
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
@click.option("--no-dcr", is_flag=True, help="Refuse dynamic client registration, as Port does for SSO orgs.")
@click.option("--auto-approve", metavar="EMAIL ORG_ID", help="Approve sign-ins at once as this user and org.")
@click.option("--run-seconds", default=2.0, show_default=True, help="How long an action run takes to finish.")
def sandbox(
    port: int, era: str, strict_issuer: bool, no_dcr: bool, auto_approve: str | None, run_seconds: float
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
    from bridge.sandbox import Faults, Sandbox, SandboxConfig
    from bridge.sandbox.app import demo_credentials_text

    config = SandboxConfig(era=era, issuer_mode="strict" if strict_issuer else "port", run_seconds=run_seconds)  # type: ignore[arg-type]
    faults = Faults(dcr_enabled=not no_dcr, auto_approve=auto_approve)
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
