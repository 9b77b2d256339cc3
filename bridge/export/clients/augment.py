"""Augment Code: Auggie (its CLI) reads `~/.augment/settings.json` (`%USERPROFILE%\\.augment` on Windows),
`mcpServers`, remote entries `{"type": "http", "url": …, "headers": {…}}` — the shape `auggie mcp add --transport
http --header …` writes (docs.augmentcode.com/cli/integrations; third-party summaries, not checked against Augment's
code). Port's guide names Augment Code (in VS Code) and, when its OAuth fails, an `npx mcp-remote` entry
(docs.port.io/ai-interfaces/port-mcp-server/overview-and-installation, "How do I connect from Augment Code if OAuth
fails?"): the bridge needs neither OAuth in Augment nor Node.js."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client, headers
from bridge.export.model import Entry, Env


class Augment(Client):
    id = "augment"
    name = "Augment Code"
    after_write = "Start a new Auggie session (or reload the Augment extension's window) to load the server."

    def path(self, env: Env) -> Path:
        return env.home / ".augment" / "settings.json"

    def render(self, entry: Entry) -> dict[str, Any]:
        return {"type": "http", "url": entry.url, **headers(entry)}
