"""What the organization offers, asked of Port directly: its tools (for the Tools page and the tool-count check) and
its self-service actions and workflows (for the Actions page: the allowed actions govern both).

Straight to Port, not through the bridge: the Tools page must also show what the profile does *not* expose. Read-only
mode applies as Port applies it; allowed actions do not, so every action and workflow can be listed, allowed or not.
"""

from __future__ import annotations

import json
from typing import Any

from bridge.api.views import ActionInfo, RunnableKind, ToolInfo, ToolKind
from bridge.auth.tokens import TokenProvider
from bridge.errors import BridgeError
from bridge.mcp_client import mcp_session
from bridge.policy import Policy, classify
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
    """The organization's self-service actions (Port's `list_actions` tool) and, where Port offers `list_workflows`,
    its workflows after them, each marked allowed or not (a workflow is allowed by its identifier, like an action)."""
    async with mcp_session(profile.mcp_url, await _headers(profile, tokens)) as session:
        offered = {tool.name for tool in (await session.list_tools()).tools}
        listed: list[tuple[RunnableKind, dict[str, Any]]] = [
            ("action", item) for item in _items(await _call(session, "list_actions", "actions"), "actions")
        ]
        if "list_workflows" in offered:  # Port's 2026 tools; earlier eras had none
            flows = await _call(session, "list_workflows", "workflows")
            listed += [("workflow", item) for item in _items(flows, "workflows")]
    allowed = profile.allowed_actions
    return [
        ActionInfo(
            identifier=item["identifier"],
            title=item.get("title") or item["identifier"],
            blueprint=item.get("blueprint", ""),
            allowed=allowed is None or item["identifier"] in allowed,
            kind=kind,
            destructive=_deletes(item),
        )
        for kind, item in listed
    ]


def _deletes(item: dict[str, Any]) -> bool:
    """An action whose trigger's operation is DELETE (CREATE, DAY-2, DELETE: port-mcp-server
    `src/models/actions/action.py` `ActionTrigger.operation`); `list_actions` may give it flat (compacted) or in the
    trigger."""
    trigger = item.get("trigger")
    operation = item.get("operation") or (trigger.get("operation") if isinstance(trigger, dict) else None)
    return isinstance(operation, str) and operation.upper() == "DELETE"


async def _call(session: Any, tool: str, noun: str) -> Any:
    result = await session.call_tool(tool, {})
    if result.is_error:
        text = " ".join(getattr(c, "text", "") for c in result.content)
        raise BridgeError(f"Port could not list the {noun}: {text}", title="Actions unavailable")
    return result


def _kind(tool: Any) -> ToolKind:
    """The badge: the same rule read-only mode uses (`policy.classify`), then the destructive hint for writes."""
    described = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    found = classify(described)
    if found != "write":
        return found  # "read", or "unclassified": read-only mode hides it as it hides writes
    hints = tool.annotations
    return "destructive" if hints is not None and hints.destructive_hint else "write"


def _items(result: Any, key: str) -> list[dict[str, Any]]:
    """Port's `list_actions` / `list_workflows` answer JSON text (and structured content in newer servers)."""
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
    items = data.get(key, []) if isinstance(data, dict) else data or []
    out = []
    for item in items:
        if isinstance(item, dict) and item.get("identifier"):
            trigger = item.get("trigger") or {}
            out.append({**item, "blueprint": item.get("blueprint") or trigger.get("blueprintIdentifier", "")})
    return out
