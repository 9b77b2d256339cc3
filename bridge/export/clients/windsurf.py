"""Windsurf (Cascade): `~/.codeium/windsurf/mcp_config.json` (`%USERPROFILE%\\.codeium\\windsurf` on Windows),
`mcpServers`, `serverUrl` (older builds ignore `url`) + `headers`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Windsurf(Client):
    id = "windsurf"
    name = "Windsurf"
    tool_limit = 100
    tool_limit_note = "Cascade has a limit of 100 tools in total (50 in older versions)."
    after_write = "Press the refresh button in Windsurf's MCP panel."

    def path(self, env: Env) -> Path:
        return env.home / ".codeium" / "windsurf" / "mcp_config.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"serverUrl": entry.url, **headers(entry)}
