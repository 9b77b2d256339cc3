"""Arguments as the activity file may hold them: the logs' redaction on every string, and whatever sits under a key
that names a secret (`password`, `apiKey`, `Authorization`, `client_secret`, …) replaced whole.

Pure: a copy is returned, the call's own arguments are not touched (the proxy may still be forwarding them).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from bridge.system.logs import redact

REDACTED = "[redacted]"
_DEPTH_MAX = 32  # deeper than any tool's arguments: what lies below is dropped, not walked
# Keys whose values are secrets whatever they look like. Compared with separators and case ignored, so `api_key`,
# `apiKey`, `API-Key` and `x_api_key` all match.
_SECRET_KEY = re.compile(
    r"token|secret|passw(?:or)?d|passphrase|authorization|apikey|accesskey|privatekey|credential|cookie|sessionid"
    r"|signature|localkey"
)


@functools.lru_cache(maxsize=1024)  # a tool's argument names repeat call after call
def secret_key(key: str) -> bool:
    """Whether a value under `key` is taken for a secret."""
    return bool(_SECRET_KEY.search(re.sub(r"[^a-z0-9]", "", key.lower())))


def redact_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """A redacted copy of a call's arguments."""
    walked: dict[str, Any] = _walk(arguments, 0)  # a dict in, a dict out
    return walked


def _walk(value: Any, depth: int) -> Any:
    if depth > _DEPTH_MAX:
        return REDACTED
    if isinstance(value, dict):
        return {
            str(key): REDACTED if secret_key(str(key)) and item not in (None, "") else _walk(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_walk(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value  # numbers, booleans, None
