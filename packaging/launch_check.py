#!/usr/bin/env python3
"""Launch the tray app as a user would and check that it stays up with its bridge answering; then quit it.

    python packaging/launch_check.py PROGRAM [--seconds 5] [--offscreen]

PROGRAM is the tray app's executable: on macOS `…/Port MCP Bridge.app/Contents/MacOS/Port MCP Bridge` (the bundle's
CFBundleExecutable, signed as the .app is), on Windows the installed `Port MCP Bridge.exe`, on Linux
`port-mcp-bridge-app`. It runs with a fresh settings folder (PORT_MCP_BRIDGE_HOME, so the first start opens on the
demo organization) and a free port, on the system's real display unless --offscreen. Checked: the bridge answers
`/healthz` with its own signature within 60 s, the process is still running `--seconds` later, it stops when asked,
and nothing it printed holds a Python traceback. The release workflow runs it on each system after signing (a broken
signature, a background-only Info.plist or a missing Qt plugin fails here, where `--version` would pass).
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe import Failed, free_port, stop, wait_ready


def launch(program: Path, seconds: float, offscreen: bool) -> list[str]:
    """Run the checks; the lines to print. Raises Failed on the first failed check."""
    said = []
    with tempfile.TemporaryDirectory(prefix="pmb-launch-") as home:
        port = free_port()
        env = {**os.environ, "PORT_MCP_BRIDGE_HOME": home}
        if offscreen:
            env["QT_QPA_PLATFORM"] = "offscreen"
        started = time.monotonic()
        process = subprocess.Popen([str(program), "--port", str(port)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
        try:
            ready = wait_ready(process, port, started, timeout=60)
            said.append(f"ok  the bridge answered /healthz on 127.0.0.1:{port} after {ready:.1f} s")
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise Failed(
                        f"the app exited with {process.returncode} {time.monotonic() - started:.1f} s after start"
                    )
                time.sleep(0.1)  # watching another process stay up: there is no event for "did not exit"
            said.append(f"ok  still running {seconds:g} s later")
        finally:
            code = stop(process)
            assert process.stdout is not None
            output = process.stdout.read()
        said.append(f"ok  stopped when asked (exit {code})")
        if "Traceback" in output:
            raise Failed("the app printed a traceback:\n" + output[-4000:])
        said.append("ok  no traceback in its output")
    return said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", type=Path)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--offscreen", action="store_true", help="QT_QPA_PLATFORM=offscreen (no display)")
    args = parser.parse_args()
    if not args.program.is_file():
        print(f"FAIL  {args.program} is not a file", file=sys.stderr)
        return 1
    try:
        for line in launch(args.program, args.seconds, args.offscreen):
            print(line, flush=True)
    except Failed as failure:
        print(f"FAIL  {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
