"""What the organization offers, asked of Port directly: its tools (for the Tools page and the tool-count check) and
its self-service actions (for the Actions page).

Straight to Port, not through the bridge: the Tools page must also show what the profile does *not* expose. Read-only
mode applies as Port applies it; allowed actions do not, so every action can be listed, allowed or not.
"""

from __future__ import annotations

import json
from typing import Any

from bridge.api.views import ActionInfo, ToolInfo, ToolKind
from bridge.auth.tokens import TokenProvider
from bridge.errors import BridgeError
from bridge.mcp_client import mcp_session
from bridge.policy import Policy, is_read_only_tool
from bridge.settings import Profile


async def _headers(profile: Profile, tokens: TokenProvider) -> dict[str, str]:
    token = await tokens.token()  # SignInRequired says what to do
    headers = {"Authorization": f"Bearer {token}", **Policy.from_profile(profile).upstream_headers()}
    headers.pop("x-allowed-actions-to-run", None)  # the Actions page lists every action, allowed or not
    return headers


async def fetch_tools(profile: Profile, tokens: TokenProvider) -> list[ToolInfo]:
    """The tools Port offers this profile, each marked with whether the profile's tool selection exposes it."""
    async with mcp_session(profile.mcp_url, await _headers(profile, tokens)) as session:
        listed = await session.list_tools()
    return [
        ToolInfo(
            name=tool.name,
            title=(tool.annotations.title if tool.annotations and tool.annotations.title else tool.title) or tool.name,
            description=(tool.description or "").strip(),
            kind=_kind(tool),
            exposed=profile.tools.exposes(tool.name),
        )
        for tool in listed.tools
    ]


async def fetch_actions(profile: Profile, tokens: TokenProvider) -> list[ActionInfo]:
    """The organization's self-service actions (Port's `list_actions` tool), marked allowed or not."""
    async with mcp_session(profile.mcp_url, await _headers(profile, tokens)) as session:
        result = await session.call_tool("list_actions", {})
    if result.is_error:
        text = " ".join(getattr(c, "text", "") for c in result.content)
        raise BridgeError(f"Port could not list the actions: {text}", title="Actions unavailable")
    allowed = profile.allowed_actions
    return [
        ActionInfo(
            identifier=a["identifier"],
            title=a.get("title") or a["identifier"],
            blueprint=a.get("blueprint", ""),
            allowed=allowed is None or a["identifier"] in allowed,
        )
        for a in _actions_from(result)
    ]


def _kind(tool: Any) -> ToolKind:
    """The badge: the same rule read-only mode uses (policy.is_read_only_tool), then the destructive hint."""
    described = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    if is_read_only_tool(described):
        return "read"
    hints = tool.annotations
    return "destructive" if hints is not None and hints.destructive_hint else "write"


def _actions_from(result: Any) -> list[dict[str, Any]]:
    """Port's `list_actions` answers JSON text (and structured content in newer servers)."""
    data = result.structured_content
    if not data:
        for content in result.content:
            text = getattr(content, "text", None)
            if text:
                try:
                    data = json.loads(text)
                    break
                except ValueError:
                    continue
    items = data.get("actions", []) if isinstance(data, dict) else data or []
    out = []
    for item in items:
        if isinstance(item, dict) and item.get("identifier"):
            trigger = item.get("trigger") or {}
            out.append({**item, "blueprint": item.get("blueprint") or trigger.get("blueprintIdentifier", "")})
    return out
