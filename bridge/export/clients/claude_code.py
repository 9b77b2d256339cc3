"""Claude Code: user scope, top-level `mcpServers` in `~/.claude.json` (`$CLAUDE_CONFIG_DIR/.claude.json` when set),
`type: http` (mandatory for URL entries) + `headers`. The file is Claude Code's own state: we splice one entry and
leave every other byte alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class ClaudeCode(Client):
    id = "claude-code"
    name = "Claude Code"
    after_write = "Run /mcp in Claude Code (or start a new session) to connect."

    def path(self, env: Env) -> Path:
        return (env.var("CLAUDE_CONFIG_DIR") or env.home) / ".claude.json"

    def detected(self, env: Env) -> bool:
        return self.path(env).is_file() or (env.home / ".claude").is_dir()

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"type": "http", "url": entry.url, **headers(entry)}
