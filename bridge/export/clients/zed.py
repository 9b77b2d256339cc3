"""Zed: `settings.json` (JSONC, usually with comments) in `~/.config/zed` on macOS, `$FLATPAK_XDG_CONFIG_HOME` or
`$XDG_CONFIG_HOME`/zed on Linux, `%APPDATA%\\Zed` on Windows; `context_servers`, `url` + `headers`. We splice one
member into the text, so every comment and the rest of the settings stay as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Zed(Client):
    id = "zed"
    name = "Zed"
    section = "context_servers"
    jsonc = True
    after_write = "Zed starts the server shortly after the settings are saved."

    def path(self, env: Env) -> Path:
        if env.system == "win32":
            return env.appdata / "Zed" / "settings.json"
        if env.system == "darwin":
            return env.home / ".config" / "zed" / "settings.json"
        return (env.var("FLATPAK_XDG_CONFIG_HOME") or env.xdg_config) / "zed" / "settings.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"url": entry.url, **headers(entry)}
