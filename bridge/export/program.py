"""Where the installed `port-mcp-bridge` program is, for clients that start a command (Claude Desktop)."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

PROGRAM = "port-mcp-bridge"


def find_program() -> str | None:
    """The absolute path of the `port-mcp-bridge` that is running or installed, or None.

    In an installed bundle (PyInstaller) it sits beside whichever of the bundle's programs is running, the tray app
    or the command itself; otherwise the script this process was started as, the scripts folder of this Python (a
    virtualenv's bin/ or Scripts\\), then PATH.
    """
    if getattr(sys, "frozen", False):
        bundled = Path(sys.executable).resolve().with_name(PROGRAM + (".exe" if os.name == "nt" else ""))
        return str(bundled) if bundled.is_file() else None
    names = {PROGRAM, f"{PROGRAM}.exe"}
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name in names and argv0.is_file():
        return str(argv0.resolve())
    suffix = ".exe" if os.name == "nt" else ""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / f"{PROGRAM}{suffix}"
        if candidate.is_file():
            return str(candidate.absolute())
    found = shutil.which(PROGRAM)
    return str(Path(found).absolute()) if found else None
