"""Which calls wait for the user's yes: the profile's "Ask before", as a pure rule over the classification read-only
mode and the allowed actions use (`bridge.policy`), so the three settings agree on what a write and an action are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.policy import classify, is_execution_tool


def needs_approval(
    ask_before: str, name: str, arguments: Mapping[str, Any] | None, known_tool_facts: Mapping[str, Any] | None
) -> bool:
    """Whether a `tools/call` of `name` must be approved before it goes to Port.

    "never": no call. "actions": calls that run a self-service action or workflow (`run_action`, `run_<action>`,
    `trigger_workflow_run`, ...: what the allowed actions govern). "writes": every tool not known to read, as
    read-only mode decides it (an unclassified tool counts as a write). `known_tool_facts` is the tool as Port last
    listed it (`call_facts`); without it the name alone decides, which is stricter. `arguments` are not needed by
    today's rule (a tool that runs something needs approval whatever it names) but belong to the call it judges.
    """
    if ask_before == "actions":
        return is_execution_tool(name)
    if ask_before == "writes":
        facts = known_tool_facts if known_tool_facts is not None and known_tool_facts.get("name") == name else None
        return is_execution_tool(name) or classify(facts or {"name": name}) != "read"
    return False  # "never", or a value this version does not know (the settings reject those on load)
