"""Kiro (IDE and kiro-cli share it): `~/.kiro/settings/mcp.json`, `mcpServers`, `url` + `headers`. A literal key,
because Kiro expands `${VAR}` only for variables the user approved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Kiro(Client):
    id = "kiro"
    name = "Kiro"
    after_write = "Kiro reconnects when the file changes; its MCP panel shows the port server's status."

    def path(self, env: Env) -> Path:
        return env.home / ".kiro" / "settings" / "mcp.json"

    def detected(self, env: Env) -> bool:
        return (env.home / ".kiro").is_dir()

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"url": entry.url, **headers(entry)}
