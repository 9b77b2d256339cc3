"""OpenAI Codex (CLI, IDE extension and desktop app share it): `$CODEX_HOME/config.toml` (default `~/.codex`),
`[mcp_servers.<name>]` with `url`.

The key goes in `http_headers` by default: Codex starts from IDEs and app launchers that do not see a shell's
environment, so a variable the user has to export would make "one click" a lie, and the key only opens a loopback
port on this machine. With `--key-env VAR`, `bearer_token_env_var = "VAR"` is written instead and the file holds no
secret (Codex then needs VAR in its environment). Codex rejects an inline `bearer_token` for HTTP servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.export.base import Client
from bridge.export.formats import Format, TomlFormat
from bridge.export.model import Entry, Env

_OWNED = frozenset({"url", "command", "args", "env", "http_headers", "env_http_headers", "bearer_token_env_var",
                    "bearer_token"})  # fmt: skip


class Codex(Client):
    id = "codex"
    name = "Codex"
    section = "mcp_servers"
    owned = _OWNED
    after_write = "Start a new Codex session (it reads config.toml at start)."
    carries_key = "`http_headers` in config.toml, or `bearer_token_env_var` with --key-env"

    def path(self, env: Env) -> Path:
        return (env.var("CODEX_HOME") or env.home / ".codex") / "config.toml"

    def format(self) -> Format:
        return TomlFormat()

    def render(self, entry: Entry) -> dict[str, Any]:
        if entry.key_env:
            return {"url": entry.url, "bearer_token_env_var": entry.key_env}
        if entry.auth_header:
            return {"url": entry.url, "http_headers": {"Authorization": entry.auth_header}}
        return {"url": entry.url}
