"""`needs_approval`: the profile's "Ask before" over the classification read-only mode uses."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.approvals.rule import needs_approval
from bridge.policy import call_facts

READ_HINT = call_facts({"name": "ask_port", "annotations": {"readOnlyHint": True}})
WRITE_HINT = call_facts({"name": "list_ish", "annotations": {"readOnlyHint": False}})


@pytest.mark.parametrize(
    ("ask_before", "name", "arguments", "facts", "expected"),
    [
        ("never", "run_action", {"actionIdentifier": "deploy"}, None, False),
        ("never", "delete_entity", {}, None, False),
        ("actions", "run_action", {"actionIdentifier": "deploy"}, None, True),
        ("actions", "run_action", None, None, True),  # no identifier named: still runs something
        ("actions", "run_scaffold_microservice", {}, None, True),  # a per-action tool of Port's older servers
        ("actions", "RUN_Deploy", {}, None, True),
        ("actions", "trigger_workflow_run", {"workflowIdentifier": "onboard"}, None, True),
        ("actions", "trigger_onboarding_run", {}, None, True),
        ("actions", "delete_entity", {}, None, False),  # a write, but no action: "actions" lets it through
        ("actions", "list_entities", {}, None, False),
        ("writes", "run_action", {"actionIdentifier": "deploy"}, None, True),
        ("writes", "delete_entity", {}, None, True),
        ("writes", "upsert_entity", {}, None, True),
        ("writes", "list_entities", {}, None, False),
        ("writes", "get_entity", {}, None, False),
        ("writes", "track_action_run", {}, None, False),
        ("writes", "ask_port", {}, None, True),  # unclassified by its name: counts as a write, as in read-only mode
        ("writes", "ask_port", {}, READ_HINT, False),  # Port annotated it read-only
        ("writes", "list_ish", {}, WRITE_HINT, True),  # Port says it writes, whatever its name
        ("writes", "delete_entity", {}, call_facts({"name": "delete_entity", "annotations": {"readOnlyHint": True}}),
         True),  # a mis-annotated delete stays a write
        ("writes", "ask_port", {}, call_facts({"name": "other", "annotations": {"readOnlyHint": True}}), True),
        ("bogus", "run_action", {}, None, False),
    ],
)  # fmt: skip
def test_needs_approval(ask_before: str, name: str, arguments: Any, facts: Any, expected: bool) -> None:
    assert needs_approval(ask_before, name, arguments, facts) is expected
