"""Cline (VS Code, JetBrains and CLI share it): `~/.cline/data/settings/cline_mcp_settings.json`, moved by
`CLINE_MCP_SETTINGS_PATH`, `CLINE_DATA_DIR` or `CLINE_DIR`; older extensions only read the copy in VS Code's
globalStorage, used when only that one exists. `type: streamableHttp` is required (no type means SSE)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Cline(Client):
    id = "cline"
    name = "Cline"
    after_write = "Cline watches the file and connects at once."

    def _current(self, env: Env) -> Path:
        if explicit := env.var("CLINE_MCP_SETTINGS_PATH"):
            return explicit
        if data := env.var("CLINE_DATA_DIR"):
            return data / "settings" / "cline_mcp_settings.json"
        return (env.var("CLINE_DIR") or env.home / ".cline") / "data" / "settings" / "cline_mcp_settings.json"

    def _legacy(self, env: Env) -> Path:
        storage = env.app_support / "Code" / "User" / "globalStorage" / "saoudrizwan.claude-dev"
        return storage / "settings" / "cline_mcp_settings.json"

    def path(self, env: Env) -> Path:
        current = self._current(env)
        legacy = self._legacy(env)
        if not current.parent.parent.parent.is_dir() and legacy.is_file():
            return legacy
        return current

    def detected(self, env: Env) -> bool:
        return self._current(env).parent.parent.parent.is_dir() or self._legacy(env).parent.parent.is_dir()

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"type": "streamableHttp", "url": entry.url, **headers(entry)}
