"""Which version of each MCP client is installed, for a support request (Port's guide asks for "your IDE/application
version"). Only what a file already says: an app bundle's `Info.plist`, an Electron app's or an extension's
`package.json`, a folder named after the version. Never a `--version` run: starting an Electron app or a Node CLI
takes seconds, and doctor's report must not wait for it. "unknown" when no file says.
"""

from __future__ import annotations

import json
import plistlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from bridge.export.model import Env

UNKNOWN = "unknown"
_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-+.][0-9A-Za-z.]+)?")

Source = Callable[[Env], Iterator[str | None]]


def _plist(path: Path) -> str | None:
    with path.open("rb") as file:
        value = plistlib.load(file).get("CFBundleShortVersionString")
    return str(value) if value else None


def _package(path: Path) -> str | None:
    value = json.loads(path.read_text(encoding="utf-8")).get("version")
    return str(value) if value else None


def _read(reader: Callable[[Path], str | None], path: Path) -> str | None:
    try:
        return reader(path) if path.is_file() else None
    except (OSError, ValueError, AttributeError, plistlib.InvalidFileException):
        return None  # unreadable or not what we expected: the version is just not known


def _newest(folder: Path, prefix: str = "") -> str | None:
    """The highest version among `folder`'s entries named `<prefix><version>`."""
    try:
        names = [p.name[len(prefix) :] for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return None
    found = [name for name in names if _VERSION.fullmatch(name)]
    return max(found, key=lambda v: [int(x) for x in re.findall(r"\d+", v)]) if found else None


def _local_appdata(env: Env) -> Path:
    return env.var("LOCALAPPDATA") or env.home / "AppData" / "Local"


def _app(mac: str, linux: tuple[str, ...] = (), windows: tuple[str, ...] = ()) -> Source:
    """A desktop app: its bundle's Info.plist on macOS; its `resources/app/package.json` on Linux (folders under
    the root) and Windows (folders under %LOCALAPPDATA%\\Programs)."""

    def versions(env: Env) -> Iterator[str | None]:
        if env.system == "darwin":
            for apps in (env.root / "Applications", env.home / "Applications"):
                yield _read(_plist, apps / f"{mac}.app" / "Contents" / "Info.plist")
        elif env.system == "win32":
            for name in windows:
                yield _read(_package, _local_appdata(env) / "Programs" / name / "resources" / "app" / "package.json")
        else:
            for folder in linux:
                yield _read(_package, env.root / folder / "resources" / "app" / "package.json")

    return versions


def _extension(publisher_name: str) -> Source:
    """A VS Code extension: the newest of its folders `<publisher.name>-<version>`."""

    def versions(env: Env) -> Iterator[str | None]:
        yield _newest(env.home / ".vscode" / "extensions", f"{publisher_name}-")

    return versions


def _claude_desktop(env: Env) -> Iterator[str | None]:
    yield from _app("Claude")(env)
    if env.system == "win32":
        yield _newest(_local_appdata(env) / "AnthropicClaude", "app-")  # Squirrel keeps app-<version> folders


def _claude_code(env: Env) -> Iterator[str | None]:
    yield _newest(env.home / ".local" / "share" / "claude" / "versions")  # the native installer's versions


SOURCES: dict[str, Source] = {
    "cursor": _app("Cursor", ("opt/Cursor", "usr/share/cursor"), ("cursor",)),
    "vscode": _app(
        "Visual Studio Code", ("usr/share/code", "snap/code/current/usr/share/code"), ("Microsoft VS Code",)
    ),
    "vscode-insiders": _app(
        "Visual Studio Code - Insiders", ("usr/share/code-insiders",), ("Microsoft VS Code Insiders",)
    ),
    "windsurf": _app("Windsurf", ("usr/share/windsurf",), ("Windsurf",)),
    "kiro": _app("Kiro", ("usr/share/kiro",), ("Kiro",)),
    "claude-desktop": _claude_desktop,
    "claude-code": _claude_code,
    "cline": _extension("saoudrizwan.claude-dev"),
    "zed": _app("Zed"),
    "goose": _app("Goose"),
    "lmstudio": _app("LM Studio"),
}


def client_version(client_id: str, env: Env) -> str:
    """The installed version as the client's own files say it, else "unknown" (Codex, Gemini CLI: npm packages
    whose folder depends on the Node.js set-up)."""
    source = SOURCES.get(client_id)
    if source is None:
        return UNKNOWN
    return next((v for v in source(env) if v), UNKNOWN)
