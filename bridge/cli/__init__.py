"""The `port-mcp-bridge` command line.

One click group; each section of commands lives in its own module and imports what it needs inside the command,
so `port-mcp-bridge --help` stays fast and never pulls in the network stack.
"""

from __future__ import annotations

import click

from bridge.api import __version__
from bridge.errors import BridgeError


class _Group(click.Group):
    """Turns a `BridgeError` into `Error: <title>. <message>` and exit code 1, instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BridgeError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="port-mcp-bridge")
def cli() -> None:
    """Connect your IDE's AI assistant to Port's MCP server through one local endpoint.

    Start with `port-mcp-bridge sandbox` to try everything against the built-in
    imitation of Port, or `port-mcp-bridge profiles add` to set up your organization.
    """


def _register() -> None:
    from bridge.cli import account, activity, export, profiles, sandbox, serve

    cli.add_command(profiles.profiles)
    cli.add_command(sandbox.sandbox)
    cli.add_command(serve.serve)
    cli.add_command(serve.status)
    cli.add_command(serve.stdio)
    cli.add_command(serve.demo)
    cli.add_command(account.login)
    cli.add_command(account.logout)
    cli.add_command(account.doctor)
    cli.add_command(export.export)
    cli.add_command(activity.activity)


_register()


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="port-mcp-bridge", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
