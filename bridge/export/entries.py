"""Pure functions: which entries a profile choice gives, how an entry merges into what a client already has, and
whether what it has is current or stale (and why)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from bridge.endpoint import mcp_url
from bridge.export.model import ACTIVE_NAME, Entry, EntryStatus, State
from bridge.settings import Settings

_URL_KEYS = frozenset({"url", "serverUrl", "httpUrl", "uri"})
_KEY_KEYS = frozenset({"headers", "http_headers", "bearer_token_env_var", "env_http_headers"})


def entry_name(profile_id: str | None) -> str:
    return f"{ACTIVE_NAME}-{profile_id}" if profile_id else ACTIVE_NAME


def make_entry(
    settings: Settings,
    key: str | None,
    profile: str | None = None,
    *,
    key_env: str | None = None,
    program: str | None = None,
) -> Entry:
    """The entry for the active profile (`profile` None) or for one pinned profile (id or name, must exist).
    `key` is left out when the bridge does not require the local key."""
    profile_id = settings.get_profile(profile).id if profile else None
    carried = key if settings.require_local_key else None
    env = key_env if settings.require_local_key else None
    return Entry(entry_name(profile_id), mcp_url(settings.local_port, profile_id), carried, profile_id, env, program)


def merge(existing: Mapping[str, Any] | None, wanted: Mapping[str, Any], owned: Iterable[str]) -> dict[str, Any]:
    """`wanted` laid over `existing`: keys we own are set (or removed when we no longer want them); anything else
    the user or the client added (timeouts, auto-approve lists, `enabled`) is kept, defaults filled in if absent."""
    if not isinstance(existing, Mapping):
        return dict(wanted)
    out = dict(existing)
    owned = frozenset(owned)
    for key in owned - wanted.keys():
        out.pop(key, None)
    for key, value in wanted.items():
        if key in owned or key not in out:
            out[key] = value
    return out


def compare(name: str, existing: Any, wanted: Mapping[str, Any], owned: Iterable[str]) -> EntryStatus:
    """Is the client's entry `name` absent, current, or stale? Reasons never contain the key itself."""
    if existing is None:
        return EntryStatus(name, State.ABSENT)
    if not isinstance(existing, Mapping):
        return EntryStatus(name, State.STALE, ("not a server entry",))
    reasons: list[str] = []
    for key in sorted(frozenset(owned)):
        have, want = existing.get(key), wanted.get(key)
        if have == want:
            continue
        if key in _URL_KEYS:
            reasons.append(_url_reason(have, want))
        elif key in _KEY_KEYS:
            reasons.append("no key" if want and not have else "wrong key")
        elif key == "command":
            reasons.append("wrong program")
        elif key == "args":
            reasons.append("wrong arguments")
        elif key in ("type", "transportType"):
            reasons.append("wrong transport")
        else:
            reasons.append(f"{key} differs")
    if not reasons:
        return EntryStatus(name, State.CURRENT)
    return EntryStatus(name, State.STALE, tuple(dict.fromkeys(reasons)))


def _url_reason(have: Any, want: Any) -> str:
    if want is None:
        return "old URL field"
    if not isinstance(have, str):
        return "no URL"
    h, w = urlsplit(have), urlsplit(want)
    if (h.hostname, h.scheme) != (w.hostname, w.scheme):
        return "not the bridge"
    if h.port != w.port:
        return "wrong port"
    if h.path.rstrip("/") != w.path.rstrip("/"):
        return "wrong profile"
    return "wrong URL"
