"""Every read tool answers the same through the bridge as directly; the sandbox's faults reach the client sanely."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from mcp import MCPError

from tests.proxy.conftest import call_cut_off, session
from tests.sandbox.conftest import machine_token, mcp_session
from tests.support.stack import Stack

# Arguments a model would send to each read tool of Port's current set (builder role sees them all).
READ_CALLS: dict[str, dict[str, Any]] = {
    "list_blueprints": {},
    "list_entities": {
        "blueprintIdentifier": "service",
        "query": {"combinator": "and", "rules": [{"property": "language", "operator": "=", "value": "Java"}]},
        "include": ["test_coverage"],
    },
    "list_scorecards": {"identifiers": ["production_readiness"], "includeResults": True},
    "list_actions": {"identifiers": ["create_incident"]},
    "get_action_permissions": {"actionIdentifier": "create_incident"},
    "list_workflows": {},
    "get_workflow_run": {"runId": "wr_missing"},
    "track_action_run": {"runId": "r_missing"},
    "simulate_blueprint_permissions": {"blueprintIdentifier": "service", "userEmail": "sam@acme.example"},
    "describe_user_details": {},
    "search_port_knowledge_sources": {"query": "scorecard levels"},
    "load_skill": {"name": "create-scorecard"},
    "get_page": {"pageIdentifier": "engineering_overview"},
    "get_sidebar": {},
    "load_widget_schema": {"widgetType": "pie-chart"},
    "list_integrations": {},
    "list_plugins": {},
    "get_integration_sync_metrics": {"integrationIdentifier": "github-ocean"},
    "get_integration_event_logs": {"integrationIdentifier": "github-ocean"},
    "get_integration_kinds_with_examples": {"integrationIdentifier": "github-ocean"},
    "test_integration_mapping": {
        "integrationIdentifier": "github-ocean",
        "kind": "repository",
        "mapping": {
            "selector": {"query": "true"},
            "port": {"entity": {"mappings": {"identifier": ".name", "title": ".name", "blueprint": '"service"'}}},
        },
    },
}


def _stable(result: Any) -> Any:
    return {"isError": result.is_error, "content": [c.model_dump() for c in result.content]}


async def test_every_read_tool_answers_the_same_through_the_bridge(rig: Stack) -> None:
    async with mcp_session(rig.sandbox, machine_token(rig.sandbox)) as direct:
        read_tools = {
            t.name for t in (await direct.list_tools()).tools if t.annotations and t.annotations.read_only_hint
        }
        assert read_tools == set(READ_CALLS), "a read tool was added to the sandbox: give it arguments here"
        expected = {name: _stable(await direct.call_tool(name, args)) for name, args in READ_CALLS.items()}
    async with session(rig) as bridged:
        for name, args in READ_CALLS.items():
            assert _stable(await bridged.call_tool(name, args)) == expected[name], name


async def test_upstream_5xx_reaches_the_client_as_an_error(rig: Stack) -> None:
    async with session(rig) as s:
        rig.sandbox.faults.error_rate = 1.0
        with pytest.raises(MCPError) as refused:
            await s.call_tool("describe_user_details", {})
        # Port's 503 is not an MCP answer: the IDE is told what it means and what to do, with Port's own words.
        assert "HTTP 503" in str(refused.value) and "Try again in a moment" in str(refused.value)
        assert 'Port said: "Sandbox fault: injected 503."' in str(refused.value)
        rig.sandbox.faults.error_rate = 0.0
        assert not (await s.call_tool("describe_user_details", {})).is_error


async def test_upstream_latency_is_passed_on_not_multiplied(rig: Stack) -> None:
    async with session(rig) as s:
        rig.sandbox.faults.latency = 0.4
        start = time.monotonic()
        result = await s.call_tool("describe_user_details", {})
        # Port's delay reaching the client is the contract, so time is what this checks (a lower bound only).
        assert not result.is_error and time.monotonic() - start >= 0.4
        assert json.loads(result.content[0].text)["organization"]["name"] == "Acme Corp (demo)"  # type: ignore[union-attr]


async def test_a_cut_upstream_stream_ends_in_an_error_not_a_hang(rig: Stack) -> None:
    async with session(rig) as s:
        await call_cut_off(rig, s)
        rig.sandbox.faults.slow_tool_seconds = 0
        assert not (await s.call_tool("describe_user_details", {})).is_error
