"""VS Code (Copilot agent mode): the user profile's `mcp.json` (`Code/User/mcp.json` under Application Support,
%APPDATA% or ~/.config), `servers`, `type: http` (required). Install link: `vscode:mcp/install?<urlencoded JSON>`.
VS Code Insiders: the same under `Code - Insiders`, link `vscode-insiders:mcp/install?...`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers, url_json
from bridge.export.model import Entry, Env


class VSCode(Client):
    id = "vscode"
    name = "VS Code"
    section = "servers"
    jsonc = True
    tool_limit = 128
    tool_limit_note = "VS Code refuses more than 128 tools per request."
    after_write = "Start (or restart) the server from MCP: List Servers; VS Code asks once whether to trust it."

    def path(self, env: Env) -> Path:
        return env.app_support / "Code" / "User" / "mcp.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"type": "http", "url": entry.url, **headers(entry)}

    def link(self, entry: Entry) -> str:
        return f"vscode:mcp/install?{url_json({'name': entry.name, **self.render(entry)})}"


class VSCodeInsiders(VSCode):
    """VS Code Insiders: the same format in its own folder (`Code - Insiders`), and its own link scheme."""

    id = "vscode-insiders"
    name = "VS Code Insiders"

    def path(self, env: Env) -> Path:
        return env.app_support / "Code - Insiders" / "User" / "mcp.json"

    def link(self, entry: Entry) -> str:
        return f"vscode-insiders:mcp/install?{url_json({'name': entry.name, **self.render(entry)})}"
