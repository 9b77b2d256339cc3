"""Client versions for support requests, read from the clients' own files in a temporary home and root."""

from __future__ import annotations

import plistlib
from pathlib import Path

from bridge.export import Env
from bridge.export.versions import UNKNOWN, client_version


def test_a_mac_app_bundle_says_its_version_in_info_plist(tmp_path: Path) -> None:
    env = Env(tmp_path / "home", "darwin", {}, None, tmp_path / "root")
    for app, version in (("Cursor", "1.7.52"), ("Claude", "0.14.10")):
        contents = tmp_path / "root" / "Applications" / f"{app}.app" / "Contents"
        contents.mkdir(parents=True)
        (contents / "Info.plist").write_bytes(plistlib.dumps({"CFBundleShortVersionString": version}))
    user_apps = tmp_path / "home" / "Applications" / "Zed.app" / "Contents"  # installed for this user only
    user_apps.mkdir(parents=True)
    (user_apps / "Info.plist").write_bytes(plistlib.dumps({"CFBundleShortVersionString": "0.208.4"}))
    assert client_version("cursor", env) == "1.7.52" and client_version("claude-desktop", env) == "0.14.10"
    assert client_version("zed", env) == "0.208.4"
    assert client_version("vscode", env) == UNKNOWN


def test_windows_linux_and_per_user_installs(tmp_path: Path) -> None:
    local = tmp_path / "Local"
    windows = Env(tmp_path / "home", "win32", {"LOCALAPPDATA": str(local)})
    app = local / "Programs" / "Microsoft VS Code" / "resources" / "app"
    app.mkdir(parents=True)
    (app / "package.json").write_text('{"version": "1.105.1"}')
    for name in ("app-0.9.3", "app-0.13.1", "app-0.13.10", "packages"):  # Squirrel's folders: the newest wins
        (local / "AnthropicClaude" / name).mkdir(parents=True)
    assert client_version("vscode", windows) == "1.105.1" and client_version("claude-desktop", windows) == "0.13.10"

    linux = Env(tmp_path / "home", "linux", {}, None, tmp_path / "root")
    (tmp_path / "home" / ".vscode" / "extensions" / "saoudrizwan.claude-dev-3.32.0").mkdir(parents=True)
    (tmp_path / "home" / ".vscode" / "extensions" / "saoudrizwan.claude-dev-3.4.1").mkdir(parents=True)
    (tmp_path / "home" / ".local" / "share" / "claude" / "versions" / "2.0.31").mkdir(parents=True)
    broken = tmp_path / "root" / "usr" / "share" / "code" / "resources" / "app"
    broken.mkdir(parents=True)
    (broken / "package.json").write_text("{not json")
    assert client_version("cline", linux) == "3.32.0" and client_version("claude-code", linux) == "2.0.31"
    assert client_version("vscode", linux) == UNKNOWN  # an unreadable file is no version, not an error
    assert client_version("codex", linux) == UNKNOWN and client_version("gemini", linux) == UNKNOWN
