"""Gemini CLI: `~/.gemini/settings.json` (comments allowed), `mcpServers`, `httpUrl` + `headers`.
`httpUrl` is read by every version (a bare `url` meant SSE in older ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Gemini(Client):
    id = "gemini"
    name = "Gemini CLI"
    jsonc = True  # settings are read with strip-json-comments
    after_write = "Run /mcp reload in Gemini CLI, or start it again."

    def path(self, env: Env) -> Path:
        return env.home / ".gemini" / "settings.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"httpUrl": entry.url, **headers(entry)}
