"""Which of the two the one frozen program is this time: the tray app or the `port-mcp-bridge` command. Pure.

Started under the app's name (`Port MCP Bridge` on macOS and Windows, `port-mcp-bridge-app` on Linux, also through
links) it is the tray app, unless its first argument is a subcommand (`"…/Port MCP Bridge" stdio`): then the
command, so a configuration naming the app's executable still works. Under any other name (`port-mcp-bridge`) the
command. Options such as `--port` or macOS's `-psn_…` leave the app the app.
"""

from __future__ import annotations

from pathlib import PurePath

APP_NAMES = frozenset({"port mcp bridge", "port-mcp-bridge-app"})


def mode(argv: list[str]) -> str:
    """`"app"` or `"cli"` for `sys.argv`."""
    name = PurePath(argv[0].replace("\\", "/")).name.lower() if argv else ""
    name = name.removesuffix(".exe")
    if name in APP_NAMES:
        return "cli" if len(argv) > 1 and argv[1] and not argv[1].startswith("-") else "app"
    return "cli"
