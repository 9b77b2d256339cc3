"""Claude Desktop: `claude_desktop_config.json` in Claude's folder (Application Support, %APPDATA%, or
$XDG_CONFIG_HOME for Linux community builds). Its file takes stdio servers only (URL entries are skipped), so the
entry starts our own `port-mcp-bridge stdio` by absolute path: no Node.js, and the key stays in the keychain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.errors import ExportError
from bridge.export.base import TRANSPORT_KEYS, Client
from bridge.export.model import Entry, Env


class ClaudeDesktop(Client):
    id = "claude-desktop"
    name = "Claude Desktop"
    owned = TRANSPORT_KEYS | {"env"}  # an old mcp-remote entry's env held a key: it goes with the entry
    after_write = "Quit Claude Desktop completely and start it again."
    carries_key = "no key in the file: `port-mcp-bridge stdio` reads it from the keychain"

    def path(self, env: Env) -> Path:
        return env.app_support / "Claude" / "claude_desktop_config.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        if not entry.program:
            raise ExportError(
                "Claude Desktop starts the bridge as a command, and the `port-mcp-bridge` program was not found. "
                "Install Port MCP Bridge (or activate its virtualenv) and run the export again.",
                title="Program not found",
            )
        return {"command": entry.program, "args": entry.stdio_args}
