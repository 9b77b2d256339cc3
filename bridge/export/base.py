"""The interface every client adapter implements. An adapter is data plus two pure functions: where the client's
file is on this machine (`path`) and what our entry looks like in it (`render`). Reading, writing, backups and undo
are the same for all of them (`bridge.export.files`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from bridge.export.formats import Format, JsonFormat
from bridge.export.model import Entry, Env

# Keys that say how to reach a server: ours replace them, so an old stdio or SSE entry under our name is converted.
TRANSPORT_KEYS = frozenset(
    {"url", "serverUrl", "httpUrl", "uri", "type", "transportType", "headers", "command", "args"}
)


class Client:
    id: ClassVar[str]
    name: ClassVar[str]
    section: ClassVar[str] = "mcpServers"  # the map of servers in the file
    jsonc: ClassVar[bool] = False  # the client reads comments in its JSON file, so we may keep them
    owned: ClassVar[frozenset[str]] = TRANSPORT_KEYS  # keys we set and compare; the rest belongs to the user
    tool_limit: ClassVar[int | None] = None  # tools the client (or its models) handles well; the GUI warns above
    tool_limit_note: ClassVar[str] = ""
    after_write: ClassVar[str] = ""  # what the user does next (restart, reload…)
    needs_folder: ClassVar[bool] = False  # the file is in a folder the user chooses (`Env.workspace`)
    carries_key: ClassVar[str] = "an `Authorization: Bearer <key>` header in the file"

    def path(self, env: Env) -> Path:
        raise NotImplementedError

    def detected(self, env: Env) -> bool:
        """Installed (or at least run once): the folder the client keeps its configuration in exists."""
        return self.path(env).parent.is_dir()

    def render(self, entry: Entry) -> dict[str, Any]:
        """Our server entry as the client wants it (pure)."""
        raise NotImplementedError

    def format(self) -> Format:
        return JsonFormat(comments_ok=self.jsonc)

    def link(self, entry: Entry) -> str | None:
        """An install deep link, for clients that have them."""
        return None

    def link_caveat(self, entry: Entry) -> str:
        return ""


def headers(entry: Entry) -> dict[str, Any]:
    """`{"headers": {...}}` with the local key, or nothing when the bridge does not require it."""
    return {"headers": {"Authorization": entry.auth_header}} if entry.auth_header else {}


def base64_config(config: dict[str, Any]) -> str:
    """Cursor and LM Studio: base64 of the compact JSON, `=` percent-encoded so the query string stays valid."""
    raw = base64.b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()
    return quote(raw, safe="")


def url_json(config: dict[str, Any]) -> str:
    return quote(json.dumps(config, separators=(",", ":")), safe="")
