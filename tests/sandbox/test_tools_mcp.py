"""The sandbox's tools over real MCP (official client, loopback): roles, headers, eras, the action-run lifecycle."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from bridge.sandbox import Sandbox
from bridge.sandbox.tools_legacy import legacy_tool_name
from tests.sandbox.conftest import BUILDER, DEVELOPER, GLOBEX, machine_token, mcp_session

DEVELOPER_TOOLS = {
    "get_action_permissions", "get_workflow_run", "list_actions", "list_workflows", "run_action", "track_action_run",
    "trigger_workflow_run", "list_blueprints", "list_entities", "simulate_blueprint_permissions",
    "describe_user_details", "load_skill", "search_port_knowledge_sources", "get_page", "get_sidebar",
    "load_widget_schema", "list_scorecards",
}  # fmt: skip
BUILDER_EXTRA = {
    "delete_action", "delete_workflow", "update_action_permissions", "upsert_action", "upsert_workflow",
    "delete_blueprint", "delete_entity", "trigger_auto_discovery", "upsert_blueprint", "upsert_entity",
    "list_integrations", "test_integration_mapping", "get_integration_sync_metrics", "get_integration_event_logs",
    "get_integration_kinds_with_examples", "delete_sidebar_folder", "delete_widget", "move_page",
    "upsert_dashboard_page", "upsert_sidebar_folder", "upsert_widget", "list_plugins", "upsert_plugin",
    "upsert_scorecard", "delete_scorecard",
}  # fmt: skip


def payload(result: Any) -> Any:
    return json.loads(result.content[0].text)


async def tool_names(box: Sandbox, client_id: str, **headers: str) -> set[str]:
    async with mcp_session(box, machine_token(box, client_id), **headers) as s:
        return {t.name for t in (await s.list_tools()).tools}


async def test_tool_set_depends_on_role(sandbox: Sandbox) -> None:
    assert await tool_names(sandbox, DEVELOPER) == DEVELOPER_TOOLS
    assert await tool_names(sandbox, BUILDER) == DEVELOPER_TOOLS | BUILDER_EXTRA


async def test_tools_carry_schemas_and_annotations(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
    for tool in tools.values():
        assert tool.input_schema["type"] == "object"
        assert tool.description and len(tool.description) > 20
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None
        for prop in tool.input_schema["properties"].values():
            if prop.get("type") == "array":
                assert "items" in prop, tool.name
    assert tools["list_entities"].annotations.read_only_hint is True
    assert tools["run_action"].annotations.read_only_hint is False
    assert tools["delete_entity"].annotations.destructive_hint is True
    assert tools["list_entities"].input_schema["required"] == ["blueprintIdentifier"]


async def test_tools_without_annotations_as_ports_docs_show_them(sandbox: Sandbox) -> None:
    sandbox.faults.no_annotations = True
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        tools = (await s.list_tools()).tools
        assert len(tools) == 42 and all(t.annotations is None for t in tools)
        assert not (await s.call_tool("list_blueprints", {})).is_error  # only the listing changes


async def test_read_only_header_hides_and_refuses_write_tools(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    async with mcp_session(sandbox, token, x_read_only_mode="1") as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert names and all(not n.startswith(("upsert_", "delete_", "run_", "trigger_")) for n in names)
        assert "list_entities" in names
        with pytest.raises(MCPError, match="read-only mode"):
            await s.call_tool("upsert_entity", {"blueprintIdentifier": "service", "entity": {"identifier": "x"}})
        with pytest.raises(MCPError, match="read-only mode"):
            await s.call_tool("run_action", {"actionIdentifier": "create_incident"})
    async with mcp_session(sandbox, token, x_read_only_mode="0") as s:
        assert "upsert_entity" in {t.name for t in (await s.list_tools()).tools}


async def test_developer_cannot_call_builder_tools(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox, DEVELOPER)) as s:
        with pytest.raises(MCPError, match="only available to builders"):
            await s.call_tool("delete_blueprint", {"blueprintIdentifier": "service"})
        with pytest.raises(MCPError, match="Unknown tool"):
            await s.call_tool("no_such_tool", {})


async def test_allowed_actions_header(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    incident = {"title": "Checkout is down", "severity": "SEV2"}
    async with mcp_session(sandbox, token, x_allowed_actions_to_run='"create_incident, deploy_service"') as s:
        ok = await s.call_tool(
            "run_action",
            {"actionIdentifier": "create_incident", "entityIdentifier": "order-processing", "properties": incident},
        )
        assert not ok.is_error and payload(ok)["run"]["status"] == "IN_PROGRESS"
        refused = await s.call_tool(
            "run_action", {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "abc"}}
        )
        assert refused.is_error and "x-allowed-actions-to-run" in payload(refused)["error"]
    async with mcp_session(sandbox, token, x_allowed_actions_to_run="") as s:
        assert "run_action" not in {t.name for t in (await s.list_tools()).tools}
        with pytest.raises(MCPError, match="no actions are allowed"):
            await s.call_tool("run_action", {"actionIdentifier": "create_incident"})
    async with mcp_session(sandbox, token) as s:  # absent header: every permitted action
        result = await s.call_tool(
            "run_action", {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "abc-svc"}}
        )
        assert not result.is_error


async def test_action_run_lifecycle_writes_the_catalog(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        started = payload(
            await s.call_tool(
                "run_action",
                {
                    "actionIdentifier": "scaffold_microservice",
                    "properties": {"service_name": "reporting-service", "language": "Python", "team": "data"},
                },
            )
        )["run"]
        assert started["id"].startswith("r_") and len(started["id"]) == 18
        assert started["status"] == "IN_PROGRESS"
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(p: float, total: float | None, message: str | None) -> None:
            progress.append((p, total, message))

        done = payload(
            await s.call_tool(
                "track_action_run", {"runId": started["id"], "waitForCompletion": True}, progress_callback=on_progress
            )
        )["run"]
        assert done["status"] == "SUCCESS" and done["endedAt"]
        assert progress, "waiting for a run reports progress"
        again = payload(await s.call_tool("track_action_run", {"runId": started["id"]}))["run"]
        assert again["status"] == "SUCCESS"
        service = payload(
            await s.call_tool("list_entities", {"blueprintIdentifier": "service", "identifiers": ["reporting-service"]})
        )["entities"][0]
        assert service["team"] == ["data"] and service["properties"]["language"] == "Python"
        # Scaffolding it again fails at run time, the way a real pipeline would.
        second = payload(
            await s.call_tool(
                "run_action",
                {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "reporting-service"}},
            )
        )["run"]
        failed = payload(await s.call_tool("track_action_run", {"runId": second["id"], "waitForCompletion": True}))
        assert failed["run"]["status"] == "FAILURE" and "already exists" in failed["run"]["summary"]
        bad = await s.call_tool("run_action", {"actionIdentifier": "scaffold_microservice", "properties": {}})
        assert bad.is_error and "service_name" in payload(bad)["error"]
        missing = await s.call_tool("track_action_run", {"runId": "r_doesnotexist0000"})
        assert missing.is_error


async def test_upserts_persist_and_filters_work(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        entity = {"identifier": "ledger-v2", "title": "Ledger v2", "team": ["payments"],
                  "properties": {"language": "Go", "type": "microservice", "tier": "tier-2"}}  # fmt: skip
        saved = await s.call_tool("upsert_entity", {"blueprintIdentifier": "service", "entity": entity})
        assert not saved.is_error
        go = {"property": "language", "operator": "=", "value": "Go"}
        payments = {"property": "$team", "operator": "containsAny", "value": ["payments"]}
        query = {"combinator": "and", "rules": [go, payments]}
        found = payload(await s.call_tool("list_entities", {"blueprintIdentifier": "service", "query": query}))
        assert "ledger-v2" in {e["identifier"] for e in found["entities"]}
        assert all(e["properties"]["language"] == "Go" for e in found["entities"])
        bad = await s.call_tool(
            "upsert_entity",
            {"blueprintIdentifier": "service", "entity": {"identifier": "y", "properties": {"nope": 1}}},
        )
        assert bad.is_error and "not defined" in payload(bad)["error"]
        deleted = await s.call_tool(
            "delete_entity", {"blueprintIdentifier": "service", "entityIdentifier": "ledger-v2"}
        )
        assert not deleted.is_error
        gone = payload(await s.call_tool("list_entities", {"blueprintIdentifier": "service", "query": query}))
        assert "ledger-v2" not in {e["identifier"] for e in gone["entities"]}


async def test_each_org_has_its_own_catalog(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox, GLOBEX)) as s:
        me = payload(await s.call_tool("describe_user_details", {}))
        assert me["organization"]["name"] == "Globex (demo)"
        services = payload(await s.call_tool("list_entities", {"blueprintIdentifier": "service", "limit": 500}))
        assert "order-processing" not in {e["identifier"] for e in services["entities"]}


async def test_legacy_era_has_one_tool_per_action(sandbox: Sandbox) -> None:
    sandbox.state.config.era = "legacy"
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert {"get_blueprints", "get_entities", "get_entity", "create_entity", "invoke_ai_agent"} <= names
        assert "run_scaffold_microservice" in names and "run_create_incident" in names
        assert "run_action" not in names
        result = await s.call_tool(
            "run_create_incident",
            {"entity_identifier": "order-processing", "properties": {"title": "Slow", "severity": "SEV3"}},
        )
        assert payload(result)["action_run"]["status"] == "IN_PROGRESS"
        entity = payload(
            await s.call_tool(
                "get_entity", {"blueprint_identifier": "service", "entity_identifier": "order-processing"}
            )
        )
        assert entity["entity"]["title"] == "OrderProcessing"
    async with mcp_session(sandbox, machine_token(sandbox), x_allowed_actions_to_run="create_incident") as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert "run_create_incident" in names and "run_scaffold_microservice" not in names
    assert legacy_tool_name("scaffoldMicroservice") == "run_scaffold_microservice"
    assert len(legacy_tool_name("a" * 80)) == 40


async def test_schema_bug_option_reproduces_array_without_items(sandbox: Sandbox) -> None:
    sandbox.state.config.schema_bug = True
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
    assert tools["upsert_action"].input_schema["properties"]["tags"] == {"type": "array", "description": "Tags"}
    sandbox.state.config.schema_bug = False
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
    assert "tags" not in tools["upsert_action"].input_schema["properties"]


async def test_prompts_static_and_from_the_catalog(sandbox: Sandbox) -> None:
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        names = {p.name for p in (await s.list_prompts()).prompts}
        assert {"troubleshoot_integration", "incident_summary"} <= names
        prompt = await s.get_prompt("troubleshoot_integration", {"integration": "github-ocean"})
        assert "github-ocean" in prompt.messages[0].content.text
        with pytest.raises(MCPError, match="needs the arguments"):
            await s.get_prompt("incident_summary", {})


async def test_modern_stateless_era_passes(sandbox: Sandbox) -> None:
    """A 2026-07-28 client (`server/discover`, no session id) works against the same endpoint."""
    headers = {"Authorization": f"Bearer {machine_token(sandbox)}", "x-read-only-mode": "1"}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(sandbox.mcp_url, http_client=http), cache=None) as client,
    ):
        assert client.protocol_version == "2026-07-28"
        names = {t.name for t in (await client.list_tools()).tools}
        assert "list_entities" in names and "run_action" not in names
        result = await client.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
        assert json.loads(result.content[0].text)["count"] >= 36
