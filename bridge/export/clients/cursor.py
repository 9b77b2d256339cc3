"""Cursor: `~/.cursor/mcp.json` on every platform (`%USERPROFILE%\\.cursor` on Windows), `mcpServers`, `url` +
`headers`. Install link: `cursor://anysphere.cursor-deeplink/mcp/install?name=…&config=<base64 JSON>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, base64_config, headers
from bridge.export.model import Entry, Env


class Cursor(Client):
    id = "cursor"
    name = "Cursor"
    jsonc = True  # Cursor reads mcp.json with VS Code's JSONC parser
    tool_limit = 40
    tool_limit_note = "Cursor sends only the first 40 tools to the agent (later versions warn above 80)."
    after_write = "Cursor picks the change up in new chats; if the server does not appear, reload the window."

    def path(self, env: Env) -> Path:
        return env.home / ".cursor" / "mcp.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"url": entry.url, **headers(entry)}

    def link(self, entry: Entry) -> str:
        return f"cursor://anysphere.cursor-deeplink/mcp/install?name={entry.name}&config={base64_config(self.render(entry))}"
