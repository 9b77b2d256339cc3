"""The policy's plain functions: read-only classification, listing and calling decisions, headers, schema repair.

The sandbox's tool registry is the ground truth for what is a write, and its `visible_specs()` for what Port hides.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import itertools
import sys
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bridge.policy
import bridge.policy.classification
import bridge.policy.names
import bridge.policy.schema
from bridge.policy import (
    Decision,
    Policy,
    action_of_call,
    call_facts,
    decide_call,
    decide_tool,
    filter_tools,
    is_read_only_tool,
    legacy_name,
    rewrite_tools_list,
)
from bridge.policy.schema import repair_schema
from bridge.sandbox.seed import build_demo_orgs
from bridge.sandbox.tools import REGISTRY, Caller, Era, ToolSpec, _load_all, visible_specs, visible_tools
from bridge.sandbox.tools_legacy import action_tools, legacy_tool_name
from bridge.settings import Profile

ERAS: tuple[Era, ...] = ("current", "legacy")
ACME_ACTIONS = ("scaffold_microservice", "deploy_service")  # two of Acme's seven actions


@cache
def _acme() -> Any:
    return next(org for org in build_demo_orgs().values() if "deploy_service" in org.actions)


def _caller(**kwargs: Any) -> Caller:
    return Caller(org=_acme(), email="builder@acme.example", role="builder", **kwargs)


@cache
def era_specs(era: Era) -> tuple[ToolSpec, ...]:
    """Every tool a builder sees in this era, with no restriction: the legacy era adds one `run_<action>` per action."""
    _load_all()
    specs = list(REGISTRY[era].values())
    if era == "legacy":
        specs += action_tools(_caller())
    return tuple(specs)


def era_tools(era: Era) -> list[dict[str, Any]]:
    return [s.to_tool() for s in era_specs(era)]


# --- read-only classification -------------------------------------------------------------------------------

READ_NAMES = [
    "list_entities",
    "get_blueprint",
    "search_port_knowledge_sources",
    "count_entities",
    "track_action_run",
    "describe_user_details",
    "load_skill",
    "simulate_blueprint_permissions",
]
NEUTRAL_NAMES = ["test_integration_mapping", "ask_port_docs", "listing", "get", "listx_y", "trigger", ""]
WRITE_NAMES = [
    "create_blueprint",
    "update_entity",
    "upsert_entity",
    "delete_x",
    "remove_member",
    "run_action",
    "run_scaffold_microservice",
    "trigger_workflow_run",
    "invoke_ai_agent",
    "move_page",
    "install_library_plugin",
    "duplicate_page",
    "set_owner",
    "add_member",
    "Delete_Entity",
    "RUN_X",
]
ANNOTATIONS: dict[str, dict[str, Any] | None] = {
    "hint true": {"readOnlyHint": True, "destructiveHint": False},
    "hint false": {"readOnlyHint": False},
    "absent": None,
    "no hint": {"title": "Some tool"},
}


def _expected_read_only(name: str, annotation: str) -> bool:
    if name in WRITE_NAMES:
        return False  # a write verb wins over any annotation
    if annotation == "hint true":
        return True
    if annotation == "hint false":
        return False
    return name in READ_NAMES  # no hint: Port's own pattern


@pytest.mark.parametrize(
    ("name", "annotation"), list(itertools.product(READ_NAMES + NEUTRAL_NAMES + WRITE_NAMES, ANNOTATIONS))
)
def test_read_only_classification(name: str, annotation: str) -> None:
    tool: dict[str, Any] = {"name": name, "inputSchema": {"type": "object"}}
    if ANNOTATIONS[annotation] is not None:
        tool["annotations"] = ANNOTATIONS[annotation]
    assert is_read_only_tool(tool) is _expected_read_only(name, annotation)
    assert is_read_only_tool(call_facts(tool)) is _expected_read_only(name, annotation)


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({"name": "delete_x", "annotations": {"readOnlyHint": True}}, False),  # mis-annotated: still a write
        ({"name": "test_integration_mapping", "annotations": {"readOnlyHint": True}}, True),  # Port's annotation
        ({"name": "test_integration_mapping"}, False),  # no annotation, not Port's pattern: counts as a write
        ({"name": "load_skill"}, True),
        ({"name": "simulate_blueprint_permissions"}, True),
        ({"name": "list_x", "annotations": {"readOnlyHint": True, "destructiveHint": True}}, False),  # contradictory
        ({"name": "list_x", "annotations": {"readOnlyHint": "true"}}, False),  # only a JSON true counts
        ({"name": "list_x", "annotations": {"readOnlyHint": None}}, False),
        ({"name": "list_x", "annotations": ["readOnlyHint"]}, True),  # not an object: ignored, the name decides
        ({"name": "ask_x", "annotations": "read-only"}, False),
        ({"annotations": {"readOnlyHint": True}}, False),  # no name: nothing to offer
        ({"name": 7, "annotations": {"readOnlyHint": True}}, False),
    ],
)
def test_read_only_edge_cases(tool: dict[str, Any], expected: bool) -> None:
    assert is_read_only_tool(tool) is expected
    assert is_read_only_tool(call_facts(tool)) is expected  # what the proxy keeps of a listed tool decides alike


@pytest.mark.parametrize("era", ERAS)
def test_sandbox_tools_classify_as_registered(era: Era) -> None:
    specs = era_specs(era)
    assert any(not s.read_only for s in specs) and any(s.read_only for s in specs)
    for spec in specs:
        assert is_read_only_tool(spec.to_tool()) is spec.read_only, spec.name


@pytest.mark.parametrize("era", ERAS)
def test_name_alone_is_never_laxer_than_the_annotations(era: Era) -> None:
    # A tool called before it was listed is classified by name: it may be refused, never wrongly let through.
    for spec in era_specs(era):
        if is_read_only_tool({"name": spec.name}):
            assert spec.read_only, spec.name


# --- actions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        "scaffold_microservice",
        "deployService",
        "createGitHubIssue",
        "HTTPRequest",
        "create-incident",
        "camelCase-with-dash_and_snake",
        "Deploy",
        "v2Deploy",
        "a",
        "",
        "x" * 60,
        "request_temporary_db_access_for_the_whole_week",
        "requestTemporaryDatabaseAccessForTheWholeWeek",
        *ACME_ACTIONS,
    ],
)
def test_legacy_name_agrees_with_sandbox(identifier: str) -> None:
    assert legacy_name(identifier) == legacy_tool_name(identifier)
    assert legacy_name(identifier).startswith("run_") and len(legacy_name(identifier)) <= 40


def test_legacy_name_examples() -> None:
    assert legacy_name("scaffold_microservice") == "run_scaffold_microservice"
    assert legacy_name("deployService") == "run_deploy_service"
    assert legacy_name("create-incident") == "run_create-incident"  # Port kept hyphens
    assert legacy_name("HTTPRequest") == "run_http_request"  # an acronym stays one word


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("run_action", {"actionIdentifier": "deploy_service", "properties": {}}, "deploy_service"),
        ("run_action", {"actionIdentifier": ""}, ""),
        ("run_action", {}, ""),
        ("run_action", None, ""),
        ("run_action", {"actionIdentifier": 5}, ""),
        ("run_action", {"action_identifier": "deploy_service"}, ""),  # the archived server's spelling is not Port's
        ("run_action", ["deploy_service"], ""),
        ("run_scaffold_microservice", {"properties": {}}, "run_scaffold_microservice"),
        ("run_deploy_service", None, "run_deploy_service"),
        ("RUN_X", None, "RUN_X"),
        ("list_entities", {"actionIdentifier": "deploy_service"}, None),
        ("trigger_workflow_run", {"workflowIdentifier": "onboard"}, "onboard"),
        ("trigger_workflow_run", {"identifier": "onboard"}, "onboard"),
        ("trigger_workflow_run", {"workflowIdentifier": "onboard", "identifier": "onboard"}, "onboard"),
        ("trigger_workflow_run", {"workflowIdentifier": "onboard", "identifier": "wipe"}, ""),  # they must agree
        ("trigger_workflow_run", {"workflowIdentifier": "onboard", "actionIdentifier": "wipe"}, ""),
        ("trigger_workflow_run", {"actionIdentifier": "onboard"}, ""),  # not its argument
        ("trigger_workflow_run", {}, ""),
        ("TRIGGER_WORKFLOW_RUN", {"workflowIdentifier": "onboard"}, "onboard"),
        ("trigger_run", {"type": "WORKFLOW", "identifier": "onboard"}, "onboard"),
        ("trigger_self_service_run", {"identifier": "onboard"}, "onboard"),  # a later execution tool
        ("run_action", {"actionIdentifier": "deploy", "identifier": "wipe"}, ""),
        ("trigger_auto_discovery", {"identifier": "x"}, None),
        ("track_action_run", {"runId": "r_1"}, None),
        ("", None, None),
    ],
)
def test_action_of_call(name: str, arguments: Any, expected: str | None) -> None:
    assert action_of_call(name, arguments) == expected


# --- Policy -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "headers"),
    [
        (Policy(), {"x-read-only-mode": "0"}),
        (Policy(read_only=True), {"x-read-only-mode": "1"}),
        (Policy(allowed_actions=frozenset()), {"x-read-only-mode": "0", "x-allowed-actions-to-run": ""}),
        (
            Policy(read_only=True, allowed_actions=frozenset({"rollback", "deploy"})),
            {"x-read-only-mode": "1", "x-allowed-actions-to-run": "deploy,rollback"},
        ),
        (Policy(tool_mode="deny", tool_names=frozenset({"delete_entity"})), {"x-read-only-mode": "0"}),
    ],
)
def test_upstream_headers(policy: Policy, headers: dict[str, str]) -> None:
    assert policy.upstream_headers() == headers


def test_from_profile() -> None:
    profile = Profile(
        id="acme",
        name="Acme",
        region="eu",
        read_only=True,
        allowed_actions=["rollback", "deploy"],
        tools={"mode": "deny", "names": ["delete_entity"]},
    )
    assert Policy.from_profile(profile) == Policy(
        read_only=True,
        allowed_actions=frozenset({"deploy", "rollback"}),
        tool_mode="deny",
        tool_names=frozenset({"delete_entity"}),
    )
    assert Policy.from_profile(Profile(id="plain", name="Plain", region="us")) == Policy()
    empty = Profile(id="none", name="None", region="eu", allowed_actions=[])
    assert Policy.from_profile(empty).allowed_actions == frozenset()


def test_from_profile_is_duck_typed() -> None:
    duck = SimpleNamespace(
        read_only=False, allowed_actions=None, tools=SimpleNamespace(mode="allow", names=["list_entities"])
    )
    assert Policy.from_profile(duck) == Policy(tool_mode="allow", tool_names=frozenset({"list_entities"}))
    duck.tools.mode = "sometimes"
    with pytest.raises(ValueError, match="sometimes"):
        Policy.from_profile(duck)


def test_policy_is_frozen_hashable_and_tolerates_lists() -> None:
    policy = Policy(allowed_actions=["b", "a"], tool_mode="allow", tool_names=["x"])  # type: ignore[arg-type]
    assert policy == Policy(allowed_actions=frozenset({"a", "b"}), tool_mode="allow", tool_names=frozenset({"x"}))
    assert len({policy, Policy(allowed_actions=frozenset({"a", "b"}), tool_mode="allow", tool_names={"x"})}) == 1  # type: ignore[arg-type]
    assert policy != Policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.read_only = True  # type: ignore[misc]


POLICY_MODULES = ("bridge.policy.schema", "bridge.policy.classification", "bridge.policy.names")


@pytest.mark.parametrize(
    "path",
    [
        bridge.policy.__file__,
        bridge.policy.schema.__file__,
        bridge.policy.classification.__file__,
        bridge.policy.names.__file__,
    ],
)
def test_policy_modules_use_only_the_standard_library(path: str) -> None:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules, "no imports found"
    for module in modules:
        allowed = module.split(".")[0] in sys.stdlib_module_names or module in ("__future__", *POLICY_MODULES)
        assert allowed, module


# --- listing and calling: every combination -------------------------------------------------------------------

ALLOW_NAMES = frozenset(
    {
        "list_entities",
        "get_entities",
        "run_action",
        "upsert_entity",
        "create_entity",
        "run_scaffold_microservice",
        "run_create_incident",
        "test_integration_mapping",
    }
)
DENY_NAMES = frozenset(
    {"delete_entity", "run_action", "list_blueprints", "get_blueprints", "run_deploy_service", "load_skill"}
)
READ_ONLY = [False, True]
ACTIONS: list[frozenset[str] | None] = [None, frozenset(), frozenset(ACME_ACTIONS)]
MODES = [("all", frozenset()), ("allow", ALLOW_NAMES), ("deny", DENY_NAMES)]
COMBINATIONS = [
    Policy(read_only=ro, allowed_actions=actions, tool_mode=mode, tool_names=names)  # type: ignore[arg-type]
    for ro, actions, (mode, names) in itertools.product(READ_ONLY, ACTIONS, MODES)
]


EXECUTION_TOOLS = {"run_action", "trigger_workflow_run"}  # the fixtures' `executes` in the sandbox's eras


def _oracle(policy: Policy, spec: ToolSpec) -> str:
    """The setting that should hide `spec`, from the sandbox's own facts; "" if it is offered."""
    if policy.read_only and not spec.read_only:
        return "read_only"
    if policy.allowed_actions is not None:
        if spec.name in EXECUTION_TOOLS and not policy.allowed_actions:
            return "allowed_actions"
        legacy = {legacy_tool_name(a) for a in policy.allowed_actions}
        if spec.name.startswith("run_") and spec.name != "run_action" and spec.name not in legacy:
            return "allowed_actions"
    if policy.tool_mode == "allow" and spec.name not in policy.tool_names:
        return "tool_exposure"
    if policy.tool_mode == "deny" and spec.name in policy.tool_names:
        return "tool_exposure"
    return ""


def _call_arguments(policy: Policy, name: str) -> dict[str, Any]:
    allowed = sorted(policy.allowed_actions or ())
    if name == "trigger_workflow_run":
        return {"workflowIdentifier": allowed[0] if allowed else "onboard_engineer"}
    if name != "run_action":
        return {}
    return {"actionIdentifier": allowed[0] if allowed else "deploy_service", "properties": {}}


FLAGS = {
    "read_only": ["--read-write"],
    "allowed_actions": ["--allowed-actions", "--all-actions"],
    "tool_exposure": ["--tools-allow", "--tools-deny", "--all-tools"],
}


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("policy", COMBINATIONS, ids=repr)
def test_listing_and_calling_agree(era: Era, policy: Policy) -> None:
    specs = era_specs(era)
    tools = era_tools(era)
    before = copy.deepcopy(tools)

    listed = filter_tools(policy, tools)
    assert [t["name"] for t in listed] == [s.name for s in specs if not _oracle(policy, s)]
    for spec, tool in zip(specs, tools, strict=True):
        listing = decide_tool(policy, tool, profile="Acme")
        calling = decide_call(policy, spec.name, _call_arguments(policy, spec.name), tool, profile="Acme")
        assert calling.allowed == listing.allowed == any(t is tool for t in listed), spec.name
        facts = decide_call(policy, spec.name, _call_arguments(policy, spec.name), call_facts(tool), profile="Acme")
        assert facts == calling, spec.name
        assert calling.setting == listing.setting == _oracle(policy, spec), spec.name
        if calling.allowed:
            assert calling == Decision(True, "", "")
        else:
            assert f"'{spec.name}'" in calling.reason and "'Acme'" in calling.reason
            assert all(flag in calling.reason for flag in FLAGS[calling.setting]), calling.reason
    assert tools == before


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("read_only", READ_ONLY)
@pytest.mark.parametrize("actions", ACTIONS, ids=repr)
def test_bridge_hides_what_port_hides(era: Era, read_only: bool, actions: frozenset[str] | None) -> None:
    # The sandbox mimics Port's handling of the two headers; the bridge's local filter hides the same, and with no
    # action allowed also the workflow trigger, which Port documents the header for `run_action` only.
    port = [s.name for s in visible_specs(_caller(read_only=read_only, allowed_actions=actions), era)]
    bridge_side = filter_tools(Policy(read_only=read_only, allowed_actions=actions), era_tools(era))
    added = {"trigger_workflow_run"} if actions == frozenset() else set()
    assert sorted(t["name"] for t in bridge_side) == sorted(set(port) - added)


# --- calls ----------------------------------------------------------------------------------------------------

RESTRICTED = Policy(allowed_actions=frozenset({"deploy", "rollback"}))


def test_run_action_with_an_action_not_allowed() -> None:
    decision = decide_call(RESTRICTED, "run_action", {"actionIdentifier": "delete_service"}, None, profile="Acme")
    assert not decision.allowed and decision.setting == "allowed_actions"
    assert "'delete_service'" in decision.reason and "deploy, rollback" in decision.reason
    assert "`port-mcp-bridge profiles set Acme --allowed-actions deploy,rollback,delete_service`" in decision.reason
    assert "--all-actions" in decision.reason
    assert decide_call(RESTRICTED, "run_action", {"actionIdentifier": "rollback"}, None).allowed


@pytest.mark.parametrize("arguments", [None, {}, {"actionIdentifier": ""}, {"actionIdentifier": ["deploy"]}])
def test_run_action_without_an_action_is_refused_when_restricted(arguments: Any) -> None:
    decision = decide_call(RESTRICTED, "run_action", arguments, None)
    assert not decision.allowed and decision.setting == "allowed_actions"
    assert "actionIdentifier" in decision.reason and "deploy, rollback" in decision.reason
    assert decide_call(Policy(), "run_action", arguments, None).allowed  # unrestricted: Port decides


def test_no_actions_allowed() -> None:
    policy = Policy(allowed_actions=frozenset())
    for name, arguments in [("run_action", {"actionIdentifier": "deploy"}), ("run_deploy", None)]:
        decision = decide_call(policy, name, arguments, None, profile="Acme")
        assert not decision.allowed and decision.setting == "allowed_actions"
        assert "allows no self-service actions" in decision.reason
        assert "--allowed-actions" in decision.reason and "--all-actions" in decision.reason
    assert not decide_tool(policy, {"name": "run_action"}).allowed


def test_legacy_action_tools_follow_the_allowed_actions() -> None:
    policy = Policy(allowed_actions=frozenset({"deployService", "create-incident"}))
    assert decide_call(policy, "run_deploy_service", {}, None).allowed
    assert decide_call(policy, "run_create-incident", {}, None).allowed  # Port's name kept the hyphen
    assert not decide_call(policy, "run_create_incident", {}, None).allowed
    refused = decide_call(policy, "run_rollback_deployment", {}, None, profile="Acme")
    assert not refused.allowed and refused.setting == "allowed_actions"
    assert "create-incident, deployService" in refused.reason and "--allowed-actions" in refused.reason
    assert not decide_call(policy, "RUN_DEPLOY_SERVICE", {}, None).allowed  # not Port's spelling: refused


def test_read_only_reason() -> None:
    decision = decide_call(Policy(read_only=True), "upsert_entity", {}, None, profile="Acme EU")
    assert decision == Decision(
        False,
        "Port MCP Bridge is in read-only mode for profile 'Acme EU', so 'upsert_entity' is not available. Turn "
        'read-only off in Port MCP Bridge\'s menu or with `port-mcp-bridge profiles set "Acme EU" --read-write`.',
        "read_only",
    )
    default = decide_tool(Policy(read_only=True), {"name": "delete_entity"})
    assert "profile 'this profile'" in default.reason and "profiles set <profile> --read-write" in default.reason


def test_read_only_wins_over_the_other_settings() -> None:
    policy = Policy(read_only=True, allowed_actions=frozenset(), tool_mode="deny", tool_names=frozenset({"run_action"}))
    assert decide_call(policy, "run_action", {"actionIdentifier": "x"}, None).setting == "read_only"


def test_unlisted_tool_is_classified_by_name() -> None:
    policy = Policy(read_only=True)
    assert decide_call(policy, "get_unknown_thing", None, None).allowed
    assert not decide_call(policy, "ask_port_docs", None, None).allowed
    mapping = {"name": "test_integration_mapping", "annotations": {"readOnlyHint": True}}
    assert not decide_call(policy, "test_integration_mapping", None, None).allowed
    assert decide_call(policy, "test_integration_mapping", None, mapping).allowed
    # A known tool under another name says nothing about this one.
    listed = {"name": "list_entities", "annotations": {"readOnlyHint": True}}
    assert not decide_call(policy, "delete_entity", None, listed).allowed


def test_tool_exposure_reasons() -> None:
    allow = Policy(tool_mode="allow", tool_names=frozenset({"list_entities"}))
    decision = decide_call(allow, "delete_entity", None, None, profile="Acme")
    assert not decision.allowed and decision.setting == "tool_exposure"
    assert "allow-list" in decision.reason
    assert "`port-mcp-bridge profiles set Acme --tools-allow list_entities,delete_entity`" in decision.reason
    assert "--all-tools" in decision.reason and "--tools-deny" in decision.reason

    deny = Policy(tool_mode="deny", tool_names=frozenset({"delete_entity", "delete_blueprint"}))
    decision = decide_call(deny, "delete_entity", None, None, profile="Acme")
    assert not decision.allowed and decision.setting == "tool_exposure"
    assert "deny-list" in decision.reason
    assert "`port-mcp-bridge profiles set Acme --tools-deny delete_blueprint`" in decision.reason
    assert "--all-tools" in decision.reason and "--tools-allow" in decision.reason
    assert decide_call(deny, "list_entities", None, None).allowed

    only = Policy(tool_mode="deny", tool_names=frozenset({"delete_entity"}))
    reason = decide_call(only, "delete_entity", None, None, profile="Acme").reason
    assert "`port-mcp-bridge profiles set Acme --all-tools`" in reason
    assert "--tools-deny" in reason and "--tools-allow" in reason


def test_long_lists_are_not_spelled_out() -> None:
    many = frozenset(f"action_number_{i:02}" for i in range(30))
    reason = decide_call(Policy(allowed_actions=many), "run_action", {"actionIdentifier": "other"}, None).reason
    assert "and 20 more" in reason and "--allowed-actions <ids>" in reason
    tools = frozenset(f"list_thing_number_{i:02}" for i in range(30))
    reason = decide_call(Policy(tool_mode="allow", tool_names=tools), "delete_entity", None, None).reason
    assert "--tools-allow <tools>" in reason


def test_decisions_do_not_change_their_inputs() -> None:
    tool = {"name": "run_action", "annotations": {"readOnlyHint": False}, "inputSchema": {"type": "object"}}
    arguments = {"actionIdentifier": "x", "properties": {"a": [1]}}
    before = copy.deepcopy((tool, arguments))
    for policy in COMBINATIONS:
        decide_tool(policy, tool)
        decide_call(policy, "run_action", arguments, tool)
    assert (tool, arguments) == before


# --- filter_tools and rewrite_tools_list ----------------------------------------------------------------------


def test_filter_tools_keeps_order_and_objects() -> None:
    tools = era_tools("current")
    kept = filter_tools(Policy(read_only=True), tools)
    assert kept and len(kept) < len(tools)
    positions = [next(i for i, t in enumerate(tools) if t is k) for k in kept]
    assert positions == sorted(positions)
    assert filter_tools(Policy(), tools) == tools
    assert filter_tools(Policy(), [{"name": "list_x"}, "not a tool", None, 3]) == [{"name": "list_x"}]


def test_rewrite_tools_list() -> None:
    result = {
        "tools": [
            {"name": "upsert_action", "inputSchema": {"type": "object", "properties": {"tags": {"type": "array"}}}},
            {"name": "list_entities", "inputSchema": {"type": "object", "properties": {}}},
            {"name": "delete_entity", "inputSchema": {"type": "object"}},
            {"name": "get_page"},
        ],
        "nextCursor": "page-2",
        "_meta": {"trace": "t-1"},
    }
    before = copy.deepcopy(result)
    out = rewrite_tools_list(Policy(tool_mode="deny", tool_names=frozenset({"delete_entity"})), result)
    assert out == {
        "tools": [
            {
                "name": "upsert_action",
                "inputSchema": {"type": "object", "properties": {"tags": {"type": "array", "items": {}}}},
            },
            {"name": "list_entities", "inputSchema": {"type": "object", "properties": {}}},
            {"name": "get_page", "inputSchema": {"type": "object", "properties": {}}},
        ],
        "nextCursor": "page-2",
        "_meta": {"trace": "t-1"},
    }
    assert out["tools"][1] is result["tools"][1]  # nothing to repair: not copied
    assert result == before


@pytest.mark.parametrize("result", [{}, {"tools": None}, {"tools": "x"}, {"nextCursor": "c"}])
def test_rewrite_tools_list_without_a_tool_list(result: dict[str, Any]) -> None:
    assert rewrite_tools_list(Policy(read_only=True), result) is result


def test_rewrite_repairs_the_sandbox_schema_bug() -> None:
    # The sandbox reproduces Port's Sept-2025 `array` without `items`, which VS Code rejected.
    tools = visible_tools(_caller(schema_bug=True))
    assert any(_arrays_without_items(t["inputSchema"]) for t in tools)
    out = rewrite_tools_list(Policy(), {"tools": tools})["tools"]
    assert [t["name"] for t in out] == [t["name"] for t in tools]
    assert not any(_arrays_without_items(t["inputSchema"]) for t in out)


# --- repair_schema --------------------------------------------------------------------------------------------

A = {"type": "array"}
FIXED = {"type": "array", "items": {}}
STRING = {"type": "string", "description": "A string"}


def _arrays_without_items(schema: Any) -> list[Any]:
    """A strict client's check, written independently: every subschema that is an array must have `items`."""
    found = []
    if isinstance(schema, dict):
        kind = schema.get("type")
        if (kind == "array" or (isinstance(kind, list) and "array" in kind)) and "items" not in schema:
            found.append(schema)
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
                for sub in value.values():
                    found += _arrays_without_items(sub)
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems") or (key == "items" and isinstance(value, list)):
                for sub in value:
                    found += _arrays_without_items(sub)
            elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
                found += _arrays_without_items(value)
    return found


def _obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(_obj(tags=A, name=STRING), _obj(tags=FIXED, name=STRING), id="property"),
        pytest.param(_obj(a=_obj(b=_obj(c=A))), _obj(a=_obj(b=_obj(c=FIXED))), id="nested"),
        pytest.param(
            _obj(m={"type": "array", "items": A}), _obj(m={"type": "array", "items": FIXED}), id="array-of-arrays"
        ),
        pytest.param(
            _obj(t={"type": "array", "items": [A, STRING]}),
            _obj(t={"type": "array", "items": [FIXED, STRING]}),
            id="tuple-items",
        ),
        pytest.param(
            _obj(x={"anyOf": [A, {"type": "null"}]}), _obj(x={"anyOf": [FIXED, {"type": "null"}]}), id="anyOf"
        ),
        pytest.param(
            _obj(x={"oneOf": [STRING, _obj(y=A)]}, z={"allOf": [A]}),
            _obj(x={"oneOf": [STRING, _obj(y=FIXED)]}, z={"allOf": [FIXED]}),
            id="oneOf-allOf",
        ),
        pytest.param(
            {**_obj(ref={"$ref": "#/$defs/Tags"}), "$defs": {"Tags": A}, "definitions": {"Old": A}},
            {**_obj(ref={"$ref": "#/$defs/Tags"}), "$defs": {"Tags": FIXED}, "definitions": {"Old": FIXED}},
            id="defs",
        ),
        pytest.param(
            _obj(labels={"type": "object", "additionalProperties": A}),
            _obj(labels={"type": "object", "additionalProperties": FIXED}),
            id="additionalProperties",
        ),
        pytest.param(
            _obj(maybe={"type": ["array", "null"]}),
            _obj(maybe={"type": ["array", "null"], "items": {}}),
            id="type-list",
        ),
        pytest.param(_obj(items=A, type=STRING), _obj(items=FIXED, type=STRING), id="properties-named-like-keywords"),
        pytest.param(
            _obj(p={"type": "array", "prefixItems": [A]}, q={"not": A, "if": A, "then": A, "else": A}),
            _obj(
                p={"type": "array", "prefixItems": [FIXED], "items": {}},
                q={"not": FIXED, "if": FIXED, "then": FIXED, "else": FIXED},
            ),
            id="other-keywords",
        ),
        pytest.param({"properties": {"tags": A}}, _obj(tags=FIXED), id="root-without-type"),
        pytest.param({"properties": {}}, _obj(), id="root-without-type-only"),
        pytest.param({}, {"type": "object"}, id="root-empty"),
        pytest.param(A, FIXED, id="root-array"),  # not an object schema, but no longer invalid either
    ],
)
def test_repair_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    tool = {"name": "upsert_action", "description": "d", "inputSchema": schema}
    before = copy.deepcopy(tool)
    out = repair_schema(tool)
    assert out == {"name": "upsert_action", "description": "d", "inputSchema": expected}
    assert out is not tool and tool == before
    assert not _arrays_without_items(out["inputSchema"])


@pytest.mark.parametrize("schema", [None, "object", [], 3, True])
def test_repair_schema_missing_or_invalid_root(schema: Any) -> None:
    tool: dict[str, Any] = {"name": "list_x"}
    if schema is not None:
        tool["inputSchema"] = schema
    before = copy.deepcopy(tool)
    assert repair_schema(tool) == {"name": "list_x", "inputSchema": {"type": "object", "properties": {}}}
    assert tool == before


def test_repair_schema_shares_what_it_did_not_change() -> None:
    untouched = _obj(deep=_obj(x=STRING))
    tool = {"name": "t", "inputSchema": {"type": "object", "properties": {"keep": untouched, "fix": A}}}
    out = repair_schema(tool)
    assert out["inputSchema"]["properties"]["keep"] is untouched
    assert out["inputSchema"]["properties"]["fix"] == FIXED and tool["inputSchema"]["properties"]["fix"] == A


@pytest.mark.parametrize(
    "schema",
    [
        _obj(),
        _obj(tags={"type": "array", "items": {"type": "string"}}, n=STRING),
        {"type": "object"},
        # Data keywords hold values, not schemas: an array-looking value there is left alone.
        {**_obj(x={**STRING, "examples": [A]}), "default": A, "enum": [A], "const": {"a": A}},
        {**_obj(), "additionalProperties": True, "required": ["a"]},
    ],
)
def test_repair_schema_returns_the_same_object_when_valid(schema: dict[str, Any]) -> None:
    tool = {"name": "t", "inputSchema": schema}
    assert repair_schema(tool) is tool


@pytest.mark.parametrize("era", ERAS)
def test_sandbox_schemas_need_no_repair(era: Era) -> None:
    for tool in era_tools(era):
        assert repair_schema(tool) is tool, tool["name"]


def test_repair_schema_survives_a_hostile_depth() -> None:
    schema: dict[str, Any] = A
    for _ in range(5000):
        schema = {"type": "object", "properties": {"a": schema}}
    tool = {"name": "deep", "inputSchema": schema}
    assert repair_schema(tool)["name"] == "deep"  # no RecursionError; beyond the depth limit nothing is touched
