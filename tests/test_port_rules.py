"""Port's own rules, held as data from Port's sources, against the policy and the sandbox (each on its own: the
fixtures are the truth, not one side's agreement with the other).

- `tests/fixtures/port_tools/<era>.json`: Port's tool lists of each era, with their source, commit and date.
- The per-action tools' names: Port's `_camel_to_snake` (port-labs/port-mcp-server `src/tools/action/
  dynamic_actions.py` at fbd4398) and its unit tests' cases (`tests/unit/tools/action/test_dynamic_actions.py`).
- Action identifiers: port-docs `static/apispec.yaml` (POST /v1/actions, `identifier` pattern) at 4893974ae.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import SettingsError
from bridge.policy import Policy, classify, decide_call, decide_tool, is_action_identifier, is_execution_tool
from bridge.policy.names import camel_to_snake, legacy_name
from bridge.sandbox.catalog import CatalogError, Organization
from bridge.sandbox.tools import REGISTRY, _load_all
from bridge.sandbox.tools_legacy import legacy_tool_name
from bridge.settings.values import validate_action_ids

FIXTURES = Path(__file__).parent / "fixtures" / "port_tools"
ERAS = ("archived_server", "per_action", "dec2025_feb2026", "current")


@cache
def era(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _listed(entry: dict[str, Any]) -> dict[str, Any]:
    """The tool as Port lists it, as far as the source tells: its name, and its annotations where known."""
    tool: dict[str, Any] = {"name": entry["name"]}
    if "annotations" in entry:
        tool["annotations"] = entry["annotations"]
    return tool


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [(name, entry) for name in ERAS for entry in era(name)["tools"]]


# --- the fixtures themselves --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ERAS)
def test_each_fixture_names_its_source(name: str) -> None:
    data = era(name)
    assert data["source"] and data["date"] and data["note"] and data["tools"]
    assert data["commit"] is None or len(data["commit"]) >= 7
    names = [t["name"] for t in data["tools"]]
    assert len(names) == len(set(names)), "a tool listed twice"
    for tool in data["tools"]:
        assert tool["read_only"] in (True, False, None) and tool["bridge_class"] in ("read", "write", "unclassified")
        assert set(tool["roles"]) <= {"developer", "builder"}


def test_todays_list_has_17_developer_and_42_builder_tools() -> None:
    tools = era("current")["tools"]
    assert sum("developer" in t["roles"] for t in tools) == 17
    assert sum("builder" in t["roles"] for t in tools) == 42


# --- classification -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("era_name", "entry"), _cases(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_the_policy_classifies_each_tool_as_the_fixture_says(era_name: str, entry: dict[str, Any]) -> None:
    tool = _listed(entry)
    assert classify(tool) == entry["bridge_class"]
    if entry["read_only"] is True:
        assert entry["bridge_class"] == "read"  # never hide what Port says only reads
    if entry["read_only"] is False:
        assert entry["bridge_class"] == "write"  # never offer in read-only mode what Port says writes
    # Read-only mode offers known reads only: an unclassified tool is treated as a write.
    offered = decide_tool(Policy(read_only=True), tool).allowed
    assert offered is (entry["bridge_class"] == "read")


@pytest.mark.parametrize(("era_name", "entry"), _cases(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_the_allowed_actions_govern_every_execution_tool(era_name: str, entry: dict[str, Any]) -> None:
    assert is_execution_tool(entry["name"]) is entry["executes"]
    none = Policy(allowed_actions=frozenset())
    assert decide_tool(none, _listed(entry)).allowed is not entry["executes"]
    if entry["executes"]:
        refused = decide_call(none, entry["name"], {"actionIdentifier": "x", "workflowIdentifier": "x"}, None)
        assert refused.setting == "allowed_actions" and "no self-service actions or workflows" in refused.reason


def test_unclassified_tools_are_said_to_be() -> None:
    unclassified = {t["name"] for t in era("current")["tools"] if t["bridge_class"] == "unclassified"}
    assert unclassified == {"test_integration_mapping"}  # Port's docs give it no read-only word; its name none
    assert classify({"name": "test_integration_mapping", "annotations": {"readOnlyHint": True}}) == "read"
    assert classify({"name": "ask_port_docs"}) == "unclassified" and classify({}) == "unclassified"


# --- the sandbox against today's list -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["developer", "builder"])
def test_the_sandbox_offers_todays_tools_per_role(role: str) -> None:
    _load_all()
    sandbox = {name for name, spec in REGISTRY["current"].items() if role == "builder" or not spec.builder_only}
    assert sandbox == {t["name"] for t in era("current")["tools"] if role in t["roles"]}


def test_the_sandbox_annotates_as_port_says() -> None:
    _load_all()
    specs = REGISTRY["current"]
    for entry in era("current")["tools"]:
        spec = specs[entry["name"]]
        if entry["read_only"] is not None:
            assert spec.read_only is entry["read_only"], entry["name"]
        if entry["bridge_class"] == "write":
            assert not spec.read_only, entry["name"]  # a write verb: the sandbox must not call it read-only


# --- per-action tool names: Port's `_camel_to_snake` and its unit tests --------------------------------------

# port-mcp-server tests/unit/tools/action/test_dynamic_actions.py, TestCamelToSnake (fbd4398), as given there.
PORT_CAMEL_TO_SNAKE = [
    ("CamelCase", "camel_case"),
    ("SimpleTest", "simple_test"),
    ("test", "test"),
    ("Test", "test"),
    ("testAPI2", "test_api2"),
    ("createJiraIssue", "create_jira_issue"),
    ("test_action", "test_action"),
    ("TestAction_Name", "test_action__name"),
    ("XMLHttpRequest", "xml_http_request"),
    ("HTMLParser", "html_parser"),
]
# The same file's tool names, and the examples (Port's rule against the product's former one).
PORT_TOOL_NAMES = [
    ("createJiraIssue", "run_create_jira_issue"),
    ("thisIsAVeryLongActionIdentifierThatExceedsFortyCharacters", "run_this_is_a_very_long_action_identifie"),
    ("action1", "run_action1"),
    ("HTTPRequest", "run_http_request"),  # not run_h_t_t_p_request
    ("create-incident", "run_create-incident"),  # not run_create_incident: Port kept hyphens
    ("deploy@eu.prod:v2", "run_deploy@eu.prod:v2"),
]


@pytest.mark.parametrize(("identifier", "snake"), PORT_CAMEL_TO_SNAKE)
def test_camel_to_snake_is_ports(identifier: str, snake: str) -> None:
    assert camel_to_snake(identifier) == snake


@pytest.mark.parametrize(("identifier", "tool"), PORT_TOOL_NAMES)
def test_per_action_tool_names_are_ports(identifier: str, tool: str) -> None:
    assert legacy_name(identifier) == tool
    assert legacy_tool_name(identifier) == tool  # the sandbox's legacy era names them the same way
    assert len(tool) <= 40


# --- action identifiers -------------------------------------------------------------------------------------

# Port's pattern `^(?!\.{1,2}$)[\p{L}0-9@_.+:=-]+$`: what it accepts and refuses.
VALID = ["deploy", "deploy_service", "create-incident", "HTTPRequest", "deploy@eu.prod:v2", "a+b=c", "...", "v1.2"]
INVALID = ["", ".", "..", "has space", "a,b", "a/b", "a#b", "semi;colon", "quote'", "new\nline"]


@pytest.mark.parametrize("identifier", VALID)
def test_ports_identifiers_can_be_allowed(identifier: str) -> None:
    assert is_action_identifier(identifier)
    assert validate_action_ids([f" {identifier} "]) == [identifier]
    assert decide_call(Policy(allowed_actions=frozenset({identifier})), "run_action", {"actionIdentifier": identifier},
                       None).allowed  # fmt: skip


@pytest.mark.parametrize("identifier", INVALID)
def test_what_port_refuses_cannot_be_allowed(identifier: str) -> None:
    assert not is_action_identifier(identifier)
    with pytest.raises(SettingsError, match="not a valid action identifier"):
        validate_action_ids([identifier])


def test_non_ascii_letters_port_accepts_but_a_header_cannot_carry() -> None:
    # Port's \p{L} takes any letter; the bridge sends the identifiers in an HTTP header, which is ASCII.
    assert not is_action_identifier("déployer")
    org = Organization(id="t", name="t")
    assert org.upsert_action({"identifier": "déployer"})["identifier"] == "déployer"  # the sandbox is Port


@pytest.mark.parametrize("identifier", INVALID[1:])
def test_the_sandbox_refuses_what_port_refuses(identifier: str) -> None:
    with pytest.raises(CatalogError, match="not a valid action identifier"):
        Organization(id="t", name="t").upsert_action({"identifier": identifier})
