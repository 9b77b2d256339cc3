"""Every tools/call through the bridge is recorded once, with who called what and what came of it: over real loopback,
the sandbox as Port, the official MCP client (and the stdio shim)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import MCPError, types

from bridge.proxy.jsonrpc import POLICY_REFUSED
from tests.proxy.conftest import call_cut_off, session
from tests.support.net import wait_until_async
from tests.support.recorder import INCIDENT, MemoryRecorder
from tests.support.stack import Stack, running_stack

CURSOR = types.Implementation(name="Cursor", version="1.7.2")


@pytest.fixture(params=["sse", "json"])
def stack(tmp_path: Path, recorder: MemoryRecorder, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """Port answering with SSE streams (the sandbox's default), or with JSON bodies."""
    json_response = request.param == "json"
    with running_stack(tmp_path / "settings.json", seed=3, recorder=recorder, json_response=json_response) as running:
        yield running


async def _set_profile(stack: Stack, **changes: Any) -> None:
    stack.store.set_profile("acme", **changes)
    await wait_until_async(
        lambda: all(getattr(stack.bridge.settings.find_profile("acme"), k) == v for k, v in changes.items()),
        "the bridge read the profile's change",
    )


async def test_an_ok_call_is_recorded_with_profile_organization_client_and_duration(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    async with session(stack, client_info=CURSOR) as s:
        await s.list_tools()
        result = await s.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
        assert not result.is_error
    [record] = recorder.wait(1)  # tools/list and the handshake are no calls: one record
    assert (record.profile_id, record.profile, record.organization) == ("acme", "Acme", "Acme Corp")
    assert (record.client, record.client_version, record.via) == ("Cursor", "1.7.2", "http")
    assert (record.tool, record.action, record.outcome, record.run_id) == ("list_entities", None, "ok", None)
    assert record.arguments is None and record.approval is None  # arguments only when the profile records them
    assert 0 < record.duration_ms < 10_000


async def test_an_action_run_is_recorded_with_its_identifier_and_port_s_run_id(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    await _set_profile(stack, record_arguments=True)
    async with session(stack, client_info=CURSOR) as s:
        result = await s.call_tool("run_action", INCIDENT)
    run_id = json.loads(result.content[0].text)["run"]["id"]  # type: ignore[union-attr]
    [record] = recorder.wait(1)
    assert (record.tool, record.action, record.outcome) == ("run_action", "create_incident", "ok")
    assert record.run_id == run_id and run_id.startswith("r_")
    assert record.arguments == INCIDENT  # the profile records arguments (the activity file redacts them)


async def test_a_tool_error_and_a_json_rpc_error_are_told_apart(stack: Stack, recorder: MemoryRecorder) -> None:
    async with session(stack) as s:
        failed = await s.call_tool("track_action_run", {"runId": "r_nopeNopeNope0000"})
        assert failed.is_error
        with pytest.raises(MCPError):
            await s.call_tool("no_such_tool", {})
    tool_error, error = recorder.wait(2)
    assert (tool_error.tool, tool_error.outcome) == ("track_action_run", "tool_error")
    assert "r_nopeNopeNope0000" in tool_error.detail
    assert (error.tool, error.outcome) == ("no_such_tool", "error") and error.detail


async def test_a_call_refused_by_policy_is_recorded_with_the_rule_and_never_reaches_port(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    await _set_profile(stack, read_only=True)
    async with session(stack) as s:
        with pytest.raises(MCPError) as refused:
            await s.call_tool("run_action", INCIDENT)
        assert refused.value.code == POLICY_REFUSED
    [record] = recorder.wait(1)
    assert (record.outcome, record.detail, record.action) == ("refused", "read-only mode", "create_incident")
    assert stack.sandbox.state.tool_calls["run_action"] == 0


async def test_an_answer_cut_off_after_the_call_went_to_port_is_cut_may_have_run(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    if stack.sandbox.state.config.json_response:
        pytest.skip("the sandbox cuts SSE streams only")
    async with session(stack) as s:
        await call_cut_off(stack, s)  # progress events first: the cut comes after one of them
    [record] = recorder.wait(1)
    assert (record.outcome, record.detail) == ("cut", "may have run")
    assert stack.sandbox.state.tool_calls["describe_user_details"] == 1  # it did reach Port


async def test_port_unreachable_is_an_error_with_the_bridge_s_message(stack: Stack, recorder: MemoryRecorder) -> None:
    async with session(stack) as s:
        stack.sandbox.faults.error_rate = 1.0  # every request answered 503 by a "load balancer"
        with pytest.raises(MCPError) as failed:
            await s.call_tool("list_entities", {"blueprintIdentifier": "service"})
    [record] = recorder.wait(1)
    assert record.outcome == "error" and record.detail == failed.value.message


async def test_calls_without_an_id_and_other_requests_make_no_record(stack: Stack, recorder: MemoryRecorder) -> None:
    async with session(stack) as s:
        await s.list_tools()
        await s.send_ping()
        await s.call_tool("list_blueprints", {})
    assert [r.tool for r in recorder.wait(1)] == ["list_blueprints"]
