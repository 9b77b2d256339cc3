"""The bridge's policy as pure functions: which of Port's tools a profile offers, and which calls it lets through.

Port enforces read-only mode and the allowed actions itself (the bridge sends `upstream_headers()`), but the bridge
enforces them again locally: as defence in depth, because a client may call a tool it never listed, and because
Port documents `x-allowed-actions-to-run` for `run_action` only: the bridge applies the selection to every tool that
runs something (`run_action`, `run_<action>`, `trigger_workflow_run`, ...). The same rules decide listing and
calling, so a tool is callable if and only if it would be listed (a call is also checked for what it runs).

    __init__.py   Policy, decisions, execution tools, reasons
    classification.py   read / write / unclassified (`classify`, `is_read_only_tool`, `call_facts`)
    names.py      Port's naming rules: action identifiers, the per-action tools' `run_<x>` names
    schema.py     repairs tool schemas (arrays get `items`)

Standard library only (no Qt, no network stack); fast enough to run on every `tools/list` the proxy forwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bridge.policy.classification import (
    READ_ONLY_PREFIXES,
    WRITE_VERBS,
    ToolClass,
    call_facts,
    classify,
    is_read_only_tool,
)
from bridge.policy.names import LEGACY_MAX_LENGTH, LEGACY_PREFIX, camel_to_snake, is_action_identifier, legacy_name
from bridge.policy.schema import repair_schema

__all__ = [
    "DEFAULT_PROFILE",
    "LEGACY_MAX_LENGTH",
    "LEGACY_PREFIX",
    "READ_ONLY_PREFIXES",
    "RUN_ACTION",
    "TRIGGER_WORKFLOW_RUN",
    "WRITE_VERBS",
    "Decision",
    "Policy",
    "ProfileLike",
    "Setting",
    "ToolClass",
    "ToolMode",
    "action_of_call",
    "call_facts",
    "camel_to_snake",
    "classify",
    "decide_call",
    "decide_tool",
    "execution_keys",
    "filter_tools",
    "is_action_identifier",
    "is_execution_tool",
    "is_read_only_tool",
    "legacy_name",
    "rewrite_tools_list",
]

ToolMode = Literal["all", "allow", "deny"]
Setting = Literal["read_only", "allowed_actions", "tool_exposure", ""]

DEFAULT_PROFILE = "this profile"
RUN_ACTION = "run_action"
TRIGGER_WORKFLOW_RUN = "trigger_workflow_run"

# The tools that run a self-service action or workflow, and the argument(s) naming what they run. `run_action`
# takes `actionIdentifier` (port-docs `docs/ai-interfaces/port-ai/api-interaction.md`); `trigger_workflow_run` runs
# a workflow from one of its self-service trigger nodes (port-docs' live "available tools" page, 2026; its argument
# is not documented: the sandbox's `workflowIdentifier`, or `identifier`). `trigger_run` and any `trigger_<x>_run`
# are a later, undocumented spelling of the same ([I]). The per-action `run_<x>` tools are matched by name.
_EXECUTION_KEYS: dict[str, tuple[str, ...]] = {
    RUN_ACTION: ("actionIdentifier",),
    TRIGGER_WORKFLOW_RUN: ("workflowIdentifier", "identifier"),
    "trigger_run": ("identifier",),
}
_ANY_TRIGGER_KEYS = ("identifier", "workflowIdentifier", "actionIdentifier")
# Every argument that may name what runs: when several are given they must agree, so an allowed identifier in one
# argument cannot carry a disallowed one in another that the server reads instead.
_IDENTIFIER_KEYS = ("actionIdentifier", "workflowIdentifier", "identifier", "action_identifier", "workflow_identifier")

_PLAIN_ARG = re.compile(r"[A-Za-z0-9._@:/+-]+")
_LONG_HINT = 160  # a suggested command longer than this is replaced by a placeholder


# --- policy -------------------------------------------------------------------------------------------------


class _ToolExposureLike(Protocol):
    @property
    def mode(self) -> ToolMode: ...

    @property
    def names(self) -> Sequence[str]: ...


class ProfileLike(Protocol):
    """What `Policy.from_profile` reads; `bridge.settings.Profile` has it (not imported: policy stays standalone)."""

    @property
    def read_only(self) -> bool: ...

    @property
    def allowed_actions(self) -> Sequence[str] | None: ...

    @property
    def tools(self) -> _ToolExposureLike: ...


@dataclass(frozen=True, slots=True)
class Policy:
    """A profile's choices, as the proxy enforces them.

    `allowed_actions`: None allows every self-service action and workflow, an empty set none, otherwise only these
    identifiers (of actions or workflows: a workflow is allowed by its identifier, like an action).
    `tool_mode`/`tool_names`: offer every tool, only the named ones ("allow"), or all but the named ones ("deny").
    """

    read_only: bool = False
    allowed_actions: frozenset[str] | None = None
    tool_mode: ToolMode = "all"
    tool_names: frozenset[str] = frozenset()
    # Legacy `run_<action>` names of the allowed actions, computed once rather than on every tool checked.
    _legacy_allowed: frozenset[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.tool_mode not in ("all", "allow", "deny"):
            raise ValueError(f"Unknown tool exposure mode {self.tool_mode!r}: expected all, allow or deny.")
        # Tolerate lists and sets from callers; the frozensets keep Policy hashable and comparable.
        if not isinstance(self.tool_names, frozenset):
            object.__setattr__(self, "tool_names", frozenset(self.tool_names))
        if self.allowed_actions is not None:
            if not isinstance(self.allowed_actions, frozenset):
                object.__setattr__(self, "allowed_actions", frozenset(self.allowed_actions))
            legacy = frozenset(legacy_name(a) for a in self.allowed_actions)
            object.__setattr__(self, "_legacy_allowed", legacy)

    @classmethod
    def from_profile(cls, profile: ProfileLike) -> Policy:
        actions = profile.allowed_actions
        return cls(
            read_only=bool(profile.read_only),
            allowed_actions=None if actions is None else frozenset(actions),
            tool_mode=profile.tools.mode,
            tool_names=frozenset(profile.tools.names),
        )

    def upstream_headers(self) -> dict[str, str]:
        """The headers that make Port apply the same restrictions (an empty action list means "no action")."""
        headers = {"x-read-only-mode": "1" if self.read_only else "0"}
        if self.allowed_actions is not None:
            headers["x-allowed-actions-to-run"] = ",".join(sorted(self.allowed_actions))
        return headers


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a tool is offered (or a call let through); when not, why, and which setting to change."""

    allowed: bool
    reason: str = ""
    setting: Setting = ""


_ALLOWED = Decision(True)


# --- execution tools -----------------------------------------------------------------------------------------


def execution_keys(name: str) -> tuple[str, ...] | None:
    """The arguments naming what a tool runs if it runs a self-service action or workflow by identifier (`run_action`,
    `trigger_workflow_run`, `trigger_run`, `trigger_<x>_run`), else None. Case-insensitive, like the verb check."""
    keys = _EXECUTION_KEYS.get(name)
    if keys is not None:
        return keys
    lower = name.lower()
    keys = _EXECUTION_KEYS.get(lower)
    if keys is not None:
        return keys
    if lower.startswith("trigger_") and lower.endswith("_run"):
        return _ANY_TRIGGER_KEYS
    return None


def is_execution_tool(name: str) -> bool:
    """Whether calling this tool runs a self-service action or workflow (so the allowed actions govern it)."""
    return execution_keys(name) is not None or _runs_action(name)


def action_of_call(name: str, arguments: Mapping[str, Any] | None) -> str | None:
    """The self-service action or workflow a call would run, or None if it runs none.

    An execution tool (`run_action`, `trigger_workflow_run`, ...) -> the identifier its arguments name ("" when
    none is named, it is not a string, or two arguments name different ones, so a restricted profile refuses it);
    a per-action `run_<x>` tool -> the tool name itself (compare it with `legacy_name(action)`).
    """
    keys = execution_keys(name)
    if keys is None:
        return name if _runs_action(name) else None
    if not isinstance(arguments, Mapping) or not any(k in arguments for k in keys):
        return ""
    named = [arguments[k] for k in _IDENTIFIER_KEYS if k in arguments]
    first = named[0]
    if not isinstance(first, str) or any(value != first for value in named):
        return ""
    return first


def _runs_action(name: str) -> bool:
    # Case-insensitive like the write-verb check, so a `RUN_X` cannot slip past the allowed actions.
    return name[:4].lower() == LEGACY_PREFIX


# --- decisions ----------------------------------------------------------------------------------------------


def _refused_by(policy: Policy, name: str, tool: Mapping[str, Any]) -> Setting:
    """The setting that hides this tool, or "" if it is offered. The hot path: no strings built."""
    if policy.read_only and not is_read_only_tool(tool):
        return "read_only"
    if policy.allowed_actions is not None:
        if execution_keys(name) is not None:
            if not policy.allowed_actions:
                return "allowed_actions"
        elif _runs_action(name) and (policy._legacy_allowed is None or name not in policy._legacy_allowed):
            return "allowed_actions"
    if policy.tool_mode == "allow":
        if name not in policy.tool_names:
            return "tool_exposure"
    elif policy.tool_mode == "deny" and name in policy.tool_names:
        return "tool_exposure"
    return ""


def decide_tool(policy: Policy, tool: Mapping[str, Any], *, profile: str = DEFAULT_PROFILE) -> Decision:
    """Whether `tools/list` offers this tool."""
    raw = tool.get("name")
    name = raw if isinstance(raw, str) else ""
    setting = _refused_by(policy, name, tool)
    if not setting:
        return _ALLOWED
    return Decision(False, _reason(policy, setting, name, profile), setting)


def decide_call(
    policy: Policy,
    name: str,
    arguments: Mapping[str, Any] | None,
    known_tool: Mapping[str, Any] | None,
    *,
    profile: str = DEFAULT_PROFILE,
) -> Decision:
    """Whether a `tools/call` may go to Port.

    `known_tool` is the tool as Port last listed it; without it (never listed, or listed under another name) the
    tool is classified by its name alone, which is stricter: an unknown `ask_x` counts as a write in read-only mode.
    """
    tool = known_tool if known_tool is not None and known_tool.get("name") == name else {"name": name}
    decision = decide_tool(policy, tool, profile=profile)
    if not decision.allowed or policy.allowed_actions is None:
        return decision
    keys = execution_keys(name)
    if keys is None:
        return decision
    action = action_of_call(name, arguments) or ""
    if action in policy.allowed_actions:
        return decision
    return Decision(False, _action_reason(policy, name, keys[0], action, profile), "allowed_actions")


def filter_tools(policy: Policy, tools: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tools `tools/list` offers, in their original order (the same objects; nothing is changed)."""
    out = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue  # not a tool: nothing could call it
        raw = tool.get("name")
        if not _refused_by(policy, raw if isinstance(raw, str) else "", tool):
            out.append(tool)
    return out


def rewrite_tools_list(policy: Policy, result: dict[str, Any]) -> dict[str, Any]:
    """A `tools/list` result with the policy applied and schemas repaired; other keys (`nextCursor`) are kept."""
    tools = result.get("tools")
    if not isinstance(tools, list):
        return result
    kept = [repair_schema(t) for t in filter_tools(policy, tools)]
    if len(kept) == len(tools) and all(a is b for a, b in zip(kept, tools, strict=True)):
        return result  # nothing hidden or repaired: the caller can pass the original bytes on untouched
    return {**result, "tools": kept}


# --- reasons (read by a person, inside their IDE) -----------------------------------------------------------


def _cli_arg(value: str) -> str:
    if _PLAIN_ARG.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _command(profile: str, flags: str) -> str:
    target = "<profile>" if profile == DEFAULT_PROFILE else _cli_arg(profile)
    return f"`port-mcp-bridge profiles set {target} {flags}`"


def _listing(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _csv_hint(names: Iterable[str], placeholder: str) -> str:
    joined = ",".join(names)
    return joined if joined and len(joined) <= _LONG_HINT else placeholder


def _reason(policy: Policy, setting: Setting, name: str, profile: str) -> str:
    tool = f"'{name}'"
    where = f"profile '{profile}'"
    if setting == "read_only":
        return (
            f"Port MCP Bridge is in read-only mode for {where}, so {tool} is not available. Turn read-only off in "
            f"Port MCP Bridge's menu or with {_command(profile, '--read-write')}."
        )
    if setting == "allowed_actions":
        if execution_keys(name) is not None or not policy.allowed_actions:
            return (
                f"Port MCP Bridge allows no self-service actions or workflows for {where}, so {tool} is not "
                "available. Allow some in Settings → Actions or with "
                f"{_command(profile, '--allowed-actions <ids>')} (or `--all-actions`)."
            )
        allowed = sorted(policy.allowed_actions)
        return (
            f"{tool} runs a self-service action that {where} does not allow (allowed: {_listing(allowed)}). "
            f"Change the allowed actions in Settings → Actions or with {_command(profile, '--allowed-actions <ids>')} "
            "(or `--all-actions`)."
        )
    if policy.tool_mode == "allow":
        names = _csv_hint([*sorted(policy.tool_names), name], "<tools>")
        return (
            f"Port MCP Bridge offers only the tools on the allow-list of {where}, and {tool} is not on it. Change "
            f"it in Settings → Tools or with {_command(profile, '--tools-allow ' + names)}, or offer every tool with "
            "`--all-tools` (`--tools-deny` hides only the tools you name)."
        )
    rest = sorted(policy.tool_names - {name})
    if not rest:
        return (
            f"{tool} is on the deny-list of {where}, so Port MCP Bridge does not offer it. Offer it again in "
            f"Settings → Tools or with {_command(profile, '--all-tools')} (`--tools-deny`/`--tools-allow` pick tools)."
        )
    command = _command(profile, "--tools-deny " + _csv_hint(rest, "<tools>"))
    return (
        f"{tool} is on the deny-list of {where}, so Port MCP Bridge does not offer it. Change it in Settings → Tools "
        f"or with {command}, or offer every tool with `--all-tools` (`--tools-allow` offers only the tools you name)."
    )


def _action_reason(policy: Policy, name: str, key: str, action: str, profile: str) -> str:
    allowed = sorted(policy.allowed_actions or ())
    where = f"profile '{profile}'"
    if not action:
        return (
            f"'{name}' was called without a {key} (or with arguments naming different ones), and Port MCP Bridge "
            f"only runs the self-service actions and workflows {where} allows ({_listing(allowed)}). Name one of "
            f"them in {key}."
        )
    noun = "workflow" if name == TRIGGER_WORKFLOW_RUN else "action" if name == RUN_ACTION else "action or workflow"
    hint = _csv_hint([*allowed, action], "<ids>")
    return (
        f"Port MCP Bridge does not run the self-service {noun} '{action}' for {where}: it allows only "
        f"{_listing(allowed)}. Allow it in Settings → Actions or with {_command(profile, '--allowed-actions ' + hint)} "
        "(or `--all-actions`)."
    )
