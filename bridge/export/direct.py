"""Entries that reach Port's MCP server directly, as Port's guide writes them: found in a client's server map, so the
bridge's entry can replace them instead of standing beside them (the assistant would see Port's tools twice).

Pure functions over the parsed server map. The forms come from Port's guide (port-docs
`docs/generalTemplates/_mcp-installation.md` and `docs/ai-interfaces/port-mcp-server/token-based-authentication.md`
at 4893974ae; the live installation page, docs.port.io/ai-interfaces/port-mcp-server/overview-and-installation)
and Port's Cursor plugin (`port-labs/cursor-plugin` `mcp.json`): a URL key (`url`, `serverUrl`, `httpUrl`, `uri`),
an `npx mcp-remote <url>` command (also through `wsl`), headers in `headers` / `http_headers`,
`--header "name: value"` arguments and mcp-remote's `MCP_REMOTE_HEADER_<NAME>` variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Port's MCP hosts: EU and US, and the getport.io names Port's guide and plugin have used for them.
PORT_MCP_HOSTS = frozenset({"mcp.port.io", "mcp.us.port.io", "mcp.getport.io", "mcp.us.getport.io"})
READ_ONLY_HEADER = "x-read-only-mode"
ALLOWED_ACTIONS_HEADER = "x-allowed-actions-to-run"
_URL = re.compile(r"https?://[^\s\"'<>]+", re.I)
_ENV_HEADER = "MCP_REMOTE_HEADER_"


@dataclass(frozen=True)
class DirectEntry:
    """A server entry in a client's file that reaches Port without the bridge."""

    name: str
    url: str
    read_only: bool | None = None  # x-read-only-mode: True for "1", False for "0", None when not set
    allowed_actions: tuple[str, ...] | None = None  # x-allowed-actions-to-run; None when not set, () for ""

    @property
    def region(self) -> str:
        """ "us" for Port's US hosts, "eu" for the others (`mcp.port.io`, `mcp.getport.io`)."""
        host = urlsplit(self.url).hostname or ""
        return "us" if host.startswith("mcp.us.") else "eu"

    def describe(self) -> str:
        """`port-eu (uses Port directly: https://mcp.port.io/v1, read-only)`."""
        extra = [self.url]
        if self.read_only:
            extra.append("read-only")
        if self.allowed_actions is not None:
            extra.append(f"allowed actions: {', '.join(self.allowed_actions) or 'none'}")
        return f"{self.name} (uses Port directly: {', '.join(extra)})"


def port_url(text: str) -> str | None:
    """The first URL in `text` whose host is one of Port's MCP hosts."""
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;)")
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host in PORT_MCP_HOSTS:
            return url
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _headers(entry: Mapping[str, Any]) -> dict[str, str]:
    """Every header the entry sends, names lower-cased: header maps, `--header` arguments, mcp-remote variables."""
    found: dict[str, str] = {}
    for key in ("headers", "http_headers"):
        table = entry.get(key)
        if isinstance(table, Mapping):
            found.update({str(k).lower(): str(v) for k, v in table.items() if isinstance(v, str | int)})
    env = entry.get("env")
    if isinstance(env, Mapping):
        for name, value in env.items():
            if str(name).upper().startswith(_ENV_HEADER) and isinstance(value, str):
                found[str(name)[len(_ENV_HEADER) :].replace("_", "-").lower()] = value
    args = entry.get("args")
    if isinstance(args, list):
        words = [a for a in args if isinstance(a, str)]
        for index, word in enumerate(words):
            if word == "--header" and index + 1 < len(words):
                header = words[index + 1]
            elif word.startswith("--header="):
                header = word.removeprefix("--header=")
            else:
                continue
            name, sep, value = header.partition(":")
            if sep:
                found[name.strip().lower()] = value.strip()
    return found


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def direct_entry(name: str, entry: Any) -> DirectEntry | None:
    """`entry` as a `DirectEntry` when any of its strings (URL keys, command, arguments, nested forms such as Zed's
    `command: {path, args}`) names a Port MCP host; None otherwise (the bridge's own entry included)."""
    if not isinstance(entry, Mapping):
        return None
    url = next((u for u in map(port_url, _strings(entry)) if u), None)
    if url is None:
        return None
    headers = _headers(entry)
    read_only = None
    if READ_ONLY_HEADER in headers:
        read_only = _unquote(headers[READ_ONLY_HEADER]) == "1"
    allowed = None
    if ALLOWED_ACTIONS_HEADER in headers:
        raw = _unquote(headers[ALLOWED_ACTIONS_HEADER])
        allowed = tuple(dict.fromkeys(a.strip() for a in raw.split(",") if a.strip()))
    return DirectEntry(name, url, read_only, allowed)


def find_direct(servers: Mapping[str, Any]) -> tuple[DirectEntry, ...]:
    """Every entry of a client's server map that reaches Port directly, in file order."""
    found = (direct_entry(name, entry) for name, entry in servers.items())
    return tuple(d for d in found if d is not None)


@dataclass(frozen=True)
class Carried:
    """What replaced entries ask of the profile: only restrictions are carried (`x-read-only-mode: 0`, every
    snippet's default, never turns the profile's Read-only off)."""

    read_only: bool
    allowed_actions: tuple[str, ...] | None  # None: the entries set no restriction


def carried(entries: tuple[DirectEntry, ...] | list[DirectEntry]) -> Carried:
    """The most restrictive of what `entries` set: read-only if any is, the actions all of them allow."""
    allowed: tuple[str, ...] | None = None
    for entry in entries:
        if entry.allowed_actions is not None:
            allowed = (
                entry.allowed_actions if allowed is None else tuple(a for a in allowed if a in entry.allowed_actions)
            )
    return Carried(any(e.read_only for e in entries), allowed)


def tighten(current: list[str] | None, extra: tuple[str, ...] | None) -> list[str] | None:
    """A profile's allowed actions (None: all) narrowed by `extra` (None: no restriction)."""
    if extra is None:
        return current
    if current is None:
        return list(extra)
    return [a for a in current if a in extra]
