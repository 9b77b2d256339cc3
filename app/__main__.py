"""`python -m app` / `port-mcp-bridge-app`: the desktop app's entry point.

The tray app is not built yet (see the tray-app issue). Until then the app command runs `port-mcp-bridge demo`: the
Port sandbox and the bridge together, a short scripted session, then both keep serving — also what it will do on a
machine without a display.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from bridge.cli import main as cli_main

    return cli_main(["demo", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
