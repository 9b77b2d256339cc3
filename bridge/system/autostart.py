"""Start at login: a macOS LaunchAgent, a Windows `HKCU\\...\\Run` value, or a Linux XDG autostart entry.

What to write is decided by pure functions (`launch_agent`, `desktop_entry`, `run_value`, `location`); `apply` and
`is_enabled` are the only I/O. Everything takes the home folder, platform and environment, so tests use a temporary
home, and the Windows registry is injectable.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

LABEL = "io.port.mcp-bridge"  # the LaunchAgent's label and file name
NAME = "Port MCP Bridge"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APP = "port-mcp-bridge-app"


def frozen_app_name(platform: str = "") -> str:
    """The tray app's name in an installed bundle: on Linux a link to the one program, which is the app only when
    started under that name (packaging/launchers/choose.py); elsewhere the app's own executable."""
    platform = platform or sys.platform
    return {"darwin": NAME, "win32": f"{NAME}.exe"}.get(platform, APP)


def app_command() -> list[str]:
    """How to start this app: the bundle's app program, the installed `port-mcp-bridge-app`, else `python -m app`."""
    if getattr(sys, "frozen", False):
        program = Path(sys.executable).resolve()
        app = program.with_name(frozen_app_name())
        # Not resolved: on Linux the app is a link whose name makes the one program the tray app.
        return [str(app if app.exists() else program)]
    suffix = ".exe" if os.name == "nt" else ""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / f"{APP}{suffix}"
        if candidate.is_file():
            return [str(candidate.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "app"]


# --- pure: what goes where -------------------------------------------------------------------------------------


def launch_agent(command: list[str]) -> bytes:
    """The LaunchAgent plist: run at load (login), not kept alive (Quit in the tray must stay quit)."""
    return plistlib.dumps({"Label": LABEL, "ProgramArguments": list(command), "RunAtLoad": True,
                           "KeepAlive": False, "ProcessType": "Interactive"})  # fmt: skip


def _desktop_quote(arg: str) -> str:
    # The Desktop Entry spec: quote arguments with reserved characters, escaping " ` $ and \ with a backslash
    # inside the quotes; the file's string escaping then doubles every backslash ("\\$" in the file is "$").
    # A literal % is written %% (field codes).
    if arg and not any(ch in arg for ch in " \t\n\"'\\><~|&;$*?#()`="):
        return arg.replace("%", "%%")
    quoted = '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(command: list[str]) -> str:
    """The XDG autostart `.desktop` file."""
    exec_line = " ".join(_desktop_quote(arg) for arg in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={NAME}\n"
        "Comment=Connects your AI assistants to Port\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def run_value(command: list[str]) -> str:
    """The Run key's value: a Windows command line."""
    return subprocess.list2cmdline(command)


def location(system: str, home: Path, environ: Mapping[str, str]) -> Path | None:
    """The file that makes the app start at login (None on Windows: a registry value instead)."""
    if system == "darwin":
        return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    if system == "win32":
        return None
    config = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config) / "autostart" / "port-mcp-bridge.desktop"


def content(system: str, command: list[str]) -> bytes:
    if system == "darwin":
        return launch_agent(command)
    return desktop_entry(command).encode("utf-8")


# --- I/O -------------------------------------------------------------------------------------------------------


class Registry(Protocol):
    """The part of the Run key we use (`WindowsRegistry` is the real one; tests pass a dict-backed one)."""

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class WindowsRegistry:
    """HKCU's Run key through winreg, which only Windows has (`apply` and `is_enabled` make one only there). Each
    method says so first, for type checkers too: elsewhere they read winreg's stubs as empty."""

    def get(self, name: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(winreg.QueryValueEx(key, name)[0])
        except FileNotFoundError:
            return None

    def set(self, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def apply(
    enabled: bool,
    command: list[str],
    *,
    system: str = sys.platform,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    registry: Registry | None = None,
) -> Path | None:
    """Register or unregister; returns the file written or removed (None for the registry)."""
    home = home or Path.home()
    environ = os.environ if environ is None else environ
    if system == "win32":
        reg = registry or WindowsRegistry()
        reg.set(NAME, run_value(command)) if enabled else reg.delete(NAME)
        return None
    path = location(system, home, environ)
    assert path is not None
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_bytes(content(system, command))
        os.replace(temp, path)
    else:
        path.unlink(missing_ok=True)
    return path


def is_enabled(
    *,
    system: str = sys.platform,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    registry: Registry | None = None,
) -> bool:
    if system == "win32":
        return (registry or WindowsRegistry()).get(NAME) is not None
    path = location(system, home or Path.home(), os.environ if environ is None else environ)
    return path is not None and path.is_file()
