"""Which of Port's tools only read: the rule read-only mode, the proxy and the Tools page share.

Three classes, not two: a tool is known to read, known to write, or unclassified (neither its name nor a hint says).
Read-only mode treats an unclassified tool as a write (safety first); the Tools page says it could not classify it,
rather than calling it a write outright. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

ToolClass = Literal["read", "write", "unclassified"]

# A name starting with one of these verbs changes data, whatever its annotations say: annotations come from the
# server and a wrong `readOnlyHint` must not open a write tool in read-only mode. `run`/`trigger` cover Port's
# execution tools (`run_action`, `run_<action>`, `trigger_workflow_run`); `invoke_ai_agent` starts an agent.
WRITE_VERBS = frozenset(
    {
        "create",
        "update",
        "upsert",
        "delete",
        "remove",
        "run",
        "trigger",
        "invoke",
        "move",
        "install",
        "duplicate",
        "set",
        "add",
    }
)
# Port's read-only pattern `^(list|get|search|count|track|describe)_` (port-docs
# `docs/ai-interfaces/port-ai/api-interaction.md`, "Read-only Operations"), plus `load_` and `simulate_`, whose
# tools (`load_skill`, `load_widget_schema`, `simulate_blueprint_permissions`) only read. A prefix tuple:
# str.startswith with a tuple is faster than a regex on the hot path.
READ_ONLY_PREFIXES = ("list_", "get_", "search_", "count_", "track_", "describe_", "load_", "simulate_")


def classify(tool: Mapping[str, Any]) -> ToolClass:
    """How a tool (as in a `tools/list` result) is classified. The rule, first match wins:

    1. A name whose first word is a write verb (`create update upsert delete remove run trigger invoke move install
       duplicate set add`, then `_`) is a write, whatever its annotations say: a mis-annotated `delete_x` stays a write.
    2. Otherwise the `readOnlyHint` annotation decides when present: only `true` is read-only, and `true` together
       with `destructiveHint: true` is contradictory and a write. So `test_integration_mapping` (it validates only)
       reads when Port annotates it so.
    3. Without a hint, the read-only prefixes: `list_ get_ search_ count_ track_ describe_ load_ simulate_`.
    4. Anything else is unclassified (and read-only mode treats it as a write).
    """
    name = tool.get("name")
    if not isinstance(name, str):
        return "unclassified"
    verb, underscore, _ = name.partition("_")
    if underscore and verb.lower() in WRITE_VERBS:
        return "write"
    annotations = tool.get("annotations")
    if isinstance(annotations, Mapping) and "readOnlyHint" in annotations:
        reads = annotations["readOnlyHint"] is True and annotations.get("destructiveHint") is not True
        return "read" if reads else "write"
    return "read" if name.startswith(READ_ONLY_PREFIXES) else "unclassified"


def is_read_only_tool(tool: Mapping[str, Any]) -> bool:
    """Whether read-only mode offers this tool: only tools known to read (`classify` says "read")."""
    return classify(tool) == "read"


# The annotations `classify` can tell apart, as shared constants: all a listed tool's annotations come to.
_NO_HINT = None
_READ_ONLY_HINT = {"readOnlyHint": True}
_WRITE_HINT = {"readOnlyHint": False}


def call_facts(tool: Mapping[str, Any]) -> dict[str, Any]:
    """What `decide_call` needs of a listed tool, in a few bytes: its name and its annotations reduced to what
    `classify` reads (the proxy keeps one per listed tool, for every profile, for as long as it runs).
    `decide_call(policy, name, args, call_facts(tool))` decides exactly as with the whole tool."""
    annotations = tool.get("annotations")
    hint: dict[str, bool] | None = _NO_HINT
    if isinstance(annotations, Mapping) and "readOnlyHint" in annotations:
        read_only = annotations["readOnlyHint"] is True and annotations.get("destructiveHint") is not True
        hint = _READ_ONLY_HINT if read_only else _WRITE_HINT
    return {"name": tool.get("name"), "annotations": hint}
