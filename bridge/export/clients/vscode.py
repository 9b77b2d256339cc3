"""VS Code (Copilot agent mode): the user profile's `mcp.json` (`Code/User/mcp.json` under Application Support,
%APPDATA% or ~/.config), `servers`, `type: http` (required). Install link: `vscode:mcp/install?<urlencoded JSON>`.
VS Code Insiders: the same under `Code - Insiders`, link `vscode-insiders:mcp/install?...`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.errors import ExportError
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

    def link(self, entry: Entry) -> str | None:
        return f"vscode:mcp/install?{url_json({'name': entry.name, **self.render(entry)})}"


class VSCodeInsiders(VSCode):
    """VS Code Insiders: the same format in its own folder (`Code - Insiders`), and its own link scheme."""

    id = "vscode-insiders"
    name = "VS Code Insiders"

    def path(self, env: Env) -> Path:
        return env.app_support / "Code - Insiders" / "User" / "mcp.json"

    def link(self, entry: Entry) -> str | None:
        return f"vscode-insiders:mcp/install?{url_json({'name': entry.name, **self.render(entry)})}"


class VSCodeWorkspace(VSCode):
    """A workspace's `.vscode/mcp.json`, in a folder the user chooses (`Env.workspace`): the same format as the user
    profile's. VS Code's install links always go to the user profile, so there is none here."""

    id = "vscode-workspace"
    name = "VS Code (workspace folder)"
    needs_folder = True
    after_write = (
        "VS Code offers to start the server when the folder is open. The file holds your local key: keep "
        ".vscode/mcp.json out of version control (or turn the local key off)."
    )

    def detected(self, env: Env) -> bool:
        return env.workspace is not None and super().detected(env)  # a folder is chosen, not found

    def path(self, env: Env) -> Path:
        if env.workspace is None:
            raise ExportError("Choose the workspace folder first.", title="No workspace folder")
        return env.workspace / ".vscode" / "mcp.json"

    def link(self, entry: Entry) -> None:
        return None
