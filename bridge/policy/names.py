"""Port's naming rules that the policy relies on: which action identifiers Port accepts, and what the per-action
tools of its older server were called.

Standard library only, like the rest of the policy.
"""

from __future__ import annotations

import re

LEGACY_PREFIX = "run_"
LEGACY_MAX_LENGTH = 40  # Port truncated its per-action tool names to 40 characters

# Port's archived server (port-labs/port-mcp-server `src/tools/action/dynamic_actions.py`, `_camel_to_snake`, at
# fbd4398): two substitutions, then lower case. Hyphens and any other character are kept as they are.
_CAMEL_WORD = re.compile("(.)([A-Z][a-z]+)")
_CAMEL_TAIL = re.compile("([a-z0-9])([A-Z])")

# Port's API: an action's `identifier` matches `^(?!\.{1,2}$)[\p{L}0-9@_.+:=-]+$` (port-docs `static/apispec.yaml`,
# POST /v1/actions, at 4893974ae). The bridge takes the ASCII letters only: the identifiers travel in the
# `x-allowed-actions-to-run` header, and an HTTP header value is ASCII (RFC 9110 §5.5: other bytes are opaque).
ACTION_IDENTIFIER_SYMBOLS = "@_.+:=-"
_ACTION_IDENTIFIER = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9@_.+:=\-]+\Z")


def camel_to_snake(name: str) -> str:
    """Port's own conversion: `HTTPRequest` -> `http_request`, `create-incident` -> `create-incident`."""
    return _CAMEL_TAIL.sub(r"\1_\2", _CAMEL_WORD.sub(r"\1_\2", name)).lower()


def legacy_name(action_identifier: str) -> str:
    """The tool Port's per-action servers generated for an action: `run_<camel_to_snake(identifier)>`, at most 40
    characters (port-mcp-server `dynamic_actions.py`; the remote server did the same until 2025-12-28)."""
    return f"{LEGACY_PREFIX}{camel_to_snake(action_identifier)}"[:LEGACY_MAX_LENGTH]


def is_action_identifier(value: str) -> bool:
    """Whether Port would accept `value` as an action identifier (and the bridge can send it in a header)."""
    return bool(_ACTION_IDENTIFIER.match(value))
