"""Goose: `config.yaml` in `~/.config/goose` (macOS and Linux, `$XDG_CONFIG_HOME` honoured) or
`%APPDATA%\\Block\\goose\\config`; `extensions` map, `type: streamable_http`, `uri` (not url) + `headers`.
Install link: `goose://extension?url=…&type=streamable_http&id=…&name=…&description=…` — it cannot carry headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bridge.export.base import Client, headers
from bridge.export.formats import Format, YamlFormat
from bridge.export.model import Entry, Env

_OWNED = frozenset({"enabled", "type", "uri", "headers", "cmd", "args"})  # enabled: a write means "use it"


class Goose(Client):
    id = "goose"
    name = "Goose"
    section = "extensions"
    owned = _OWNED
    after_write = "Restart Goose (it reads config.yaml at start)."

    def path(self, env: Env) -> Path:
        if env.system == "win32":
            return env.appdata / "Block" / "goose" / "config" / "config.yaml"
        return env.xdg_config / "goose" / "config.yaml"

    def format(self) -> Format:
        return YamlFormat()

    def render(self, entry: Entry) -> dict[str, Any]:
        return {
            "enabled": True,
            "type": "streamable_http",
            "name": entry.name,
            "description": f"Port through Port MCP Bridge ({entry.label})",
            "uri": entry.url,
            **headers(entry),
            "timeout": 300,
        }

    def link(self, entry: Entry) -> str:
        query = {"url": entry.url, "type": "streamable_http", "id": entry.name, "name": entry.name,
                 "description": f"Port through Port MCP Bridge ({entry.label})"}  # fmt: skip
        return "goose://extension?" + urlencode(query)

    def link_caveat(self, entry: Entry) -> str:
        if entry.key:
            return ("Goose's links cannot carry the local key, so the bridge would refuse Goose. "
                    "Use `--write` instead (or turn the local key off).")  # fmt: skip
        return ""
