"""Start at login: the content for each platform (pure) and registering/unregistering against a temporary home."""

from __future__ import annotations

import configparser
import plistlib
import sys
from pathlib import Path

import pytest

from bridge.system import autostart

COMMAND = ["/Applications/Port MCP Bridge.app/Contents/MacOS/port-mcp-bridge-app", "--minimized"]


def test_launch_agent_runs_at_login_and_is_not_kept_alive(tmp_path: Path) -> None:
    written = autostart.apply(True, COMMAND, system="darwin", home=tmp_path)
    assert written == tmp_path / "Library" / "LaunchAgents" / "io.port.mcp-bridge.plist"
    plist = plistlib.loads(written.read_bytes())
    assert plist["ProgramArguments"] == COMMAND and plist["RunAtLoad"] is True and plist["KeepAlive"] is False
    assert plist["Label"] == autostart.LABEL and autostart.is_enabled(system="darwin", home=tmp_path)
    autostart.apply(False, COMMAND, system="darwin", home=tmp_path)
    assert not written.exists() and not autostart.is_enabled(system="darwin", home=tmp_path)


@pytest.mark.parametrize(
    "command",
    [
        ["/usr/bin/port-mcp-bridge-app"],
        ["/home/d a/.venv/bin/python", "-m", "app"],
        ['/opt/we"ird$/a\\pp', "100%", "x`y"],
    ],
)
def test_xdg_autostart_entry_quotes_its_command(tmp_path: Path, command: list[str]) -> None:
    written = autostart.apply(True, command, system="linux", home=tmp_path, environ={})
    assert written == tmp_path / ".config" / "autostart" / "port-mcp-bridge.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(written.read_text())
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "Port MCP Bridge"
    assert parse_exec(entry["Exec"]) == command
    autostart.apply(False, command, system="linux", home=tmp_path, environ={})
    assert not written.exists()


def parse_exec(value: str) -> list[str]:
    """An Exec line read as the Desktop Entry spec says: string escapes (\\\\ -> \\), then arguments split on
    spaces, double quotes grouping and a backslash inside them taking the next character literally; %% is %."""
    text = value.replace("\\\\", "\\").replace("%%", "%")
    args: list[str] = []
    current, quoted, started, i = "", False, False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            current += text[i + 1]
            i += 1
        elif ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += ch
        i += 1
    if started or current:
        args.append(current)
    return args


def test_xdg_config_home_is_honoured(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    written = autostart.apply(True, COMMAND, system="linux", home=tmp_path, environ=environ)
    assert written == tmp_path / "cfg" / "autostart" / "port-mcp-bridge.desktop"
    assert autostart.is_enabled(system="linux", home=tmp_path, environ=environ)
    assert not autostart.is_enabled(system="linux", home=tmp_path, environ={})


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_value_is_a_quoted_command_line() -> None:
    registry = FakeRegistry()
    command = [r"C:\Program Files\Port MCP Bridge\port-mcp-bridge-app.exe"]
    assert autostart.apply(True, command, system="win32", registry=registry) is None
    assert registry.values == {"Port MCP Bridge": r'"C:\Program Files\Port MCP Bridge\port-mcp-bridge-app.exe"'}
    assert autostart.is_enabled(system="win32", registry=registry)
    autostart.apply(False, command, system="win32", registry=registry)
    autostart.apply(False, command, system="win32", registry=registry)  # twice: nothing to remove is fine
    assert registry.values == {} and not autostart.is_enabled(system="win32", registry=registry)


def test_app_command_starts_this_app() -> None:
    command = autostart.app_command()
    assert Path(command[0]).is_absolute()
    assert command[-1] == "app" or Path(command[0]).name.startswith("port-mcp-bridge-app")


def test_in_an_installed_bundle_start_at_login_starts_the_app_not_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Linux the one program is the command under its own name: login must start it under the app's name."""
    program = tmp_path / "port-mcp-bridge"
    program.write_bytes(b"")
    (tmp_path / "port-mcp-bridge-app").symlink_to("port-mcp-bridge")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    monkeypatch.setattr(sys, "platform", "linux")
    assert autostart.app_command() == [str(tmp_path.resolve() / "port-mcp-bridge-app")]
    assert autostart.frozen_app_name("darwin") == "Port MCP Bridge"
    assert autostart.frozen_app_name("win32") == "Port MCP Bridge.exe"
