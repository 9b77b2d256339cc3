"""`python -m app` / `port-mcp-bridge-app`: the desktop app's entry point.

The tray app is not built yet (see the tray-app issue); for now the app command runs the Port sandbox in the
foreground, which is what the app will run against when no Port account is configured.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from bridge.cli import main as cli_main

    return cli_main(["sandbox", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
