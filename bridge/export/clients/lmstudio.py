"""LM Studio (0.3.17+): `~/.lmstudio/mcp.json` (`%USERPROFILE%\\.lmstudio` on Windows), Cursor's notation:
`mcpServers`, `url` + `headers`. Install link: `lmstudio://add_mcp?name=…&config=<base64 JSON>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, base64_config, headers
from bridge.export.model import Entry, Env


class LMStudio(Client):
    id = "lmstudio"
    name = "LM Studio"
    after_write = "LM Studio reloads mcp.json when it changes."

    def path(self, env: Env) -> Path:
        return env.home / ".lmstudio" / "mcp.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"url": entry.url, **headers(entry)}

    def link(self, entry: Entry) -> str:
        return f"lmstudio://add_mcp?name={entry.name}&config={base64_config(self.render(entry))}"
