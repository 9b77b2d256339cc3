"""`python -m app` / `port-mcp-bridge-app`: the tray app where there is a display, the headless demo where not.

    python -m app                 the tray app (first run: a short set-up, e.g. the demo organization)
    python -m app --port N        the bridge on another local port
    python -m app --headless      `port-mcp-bridge demo`: sandbox + bridge + a scripted session, in the terminal

Without a display (an SSH session, CI, `QT_QPA_PLATFORM=offscreen`) the app command runs the demo, so the README's
run command shows something real everywhere.
"""

from __future__ import annotations

import argparse
import os
import sys


def has_display(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if qpa in ("offscreen", "minimal", "vnc"):
        return False
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True  # macOS and Windows always have a session to draw in when a user starts an app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="port-mcp-bridge-app", description="Port MCP Bridge, the tray app.")
    parser.add_argument("--port", type=int, default=None, help="the bridge's local port (default: from settings)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--headless" in args or not has_display():
        from bridge.api import DEFAULT_PORT, run_demo
        from bridge.errors import BridgeError

        options = _parser().parse_args([a for a in args if a != "--headless"])
        try:
            run_demo(DEFAULT_PORT if options.port is None else options.port, print)  # 0: any free port
        except BridgeError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
        return 0
    options = _parser().parse_args(args)
    from app.application import run

    return run(port=options.port)


if __name__ == "__main__":
    raise SystemExit(main())
