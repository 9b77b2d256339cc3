"""Calls through the stdio shim (a real process, driven by the official MCP client) are recorded as such, with the
client's own name, and an approval asked inside the IDE goes through the shim both ways."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import ClientSession, MCPError, types
from mcp.client.context import ClientRequestContext
from mcp.client.stdio import StdioServerParameters, stdio_client

from bridge.proxy.jsonrpc import APPROVAL_DECLINED
from bridge.settings import SettingsStore
from tests.support.recorder import INCIDENT, MemoryRecorder
from tests.support.stack import Stack, running_stack
from tests.test_stdio import ROOT, shim_env

pytestmark = pytest.mark.timeout(60)
CLAUDE = types.Implementation(name="claude-code", version="2.0.1")


@pytest.fixture
def stack(tmp_path: Path, recorder: MemoryRecorder) -> Iterator[tuple[Stack, dict[str, str]]]:
    with running_stack(tmp_path / "settings.json", seed=3, recorder=recorder) as running:
        env = shim_env(tmp_path / "shim")
        SettingsStore(Path(env["PORT_MCP_BRIDGE_HOME"]) / "settings.json").update(
            lambda s: setattr(s, "local_port", running.bridge.port)
        )
        yield running, env


def _params(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "bridge", "stdio"], env=env, cwd=ROOT)


async def test_a_call_through_the_shim_is_recorded_via_stdio_with_the_client_s_name(
    stack: tuple[Stack, dict[str, str]], recorder: MemoryRecorder
) -> None:
    running, env = stack
    async with stdio_client(_params(env)) as (read, write), ClientSession(read, write, client_info=CLAUDE) as s:
        await s.initialize()
        assert not (await s.call_tool("list_blueprints", {})).is_error
    [record] = recorder.wait(1)
    assert (record.via, record.client, record.client_version) == ("stdio", "claude-code", "2.0.1")
    assert (record.tool, record.outcome, record.profile_id) == ("list_blueprints", "ok", "acme")
    assert running.sandbox.state.tool_calls["list_blueprints"] == 1


async def test_an_approval_asked_in_the_ide_goes_through_the_shim_both_ways(
    stack: tuple[Stack, dict[str, str]], recorder: MemoryRecorder
) -> None:
    running, env = stack
    running.store.set_profile("acme", ask_before="actions")
    running.bridge.apply_settings(running.store.load())
    answers = [types.ElicitResult(action="accept", content={"decision": "once"}), types.ElicitResult(action="decline")]
    asked: list[str] = []

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return answers.pop(0)

    async with (
        stdio_client(_params(env)) as (read, write),
        ClientSession(read, write, client_info=CLAUDE, elicitation_callback=on_elicit) as s,
    ):
        await s.initialize()
        allowed = await s.call_tool("run_action", INCIDENT)
        assert json.loads(allowed.content[0].text)["run"]["id"]  # type: ignore[union-attr]
        with pytest.raises(MCPError) as declined:
            await s.call_tool("run_action", INCIDENT)
        assert declined.value.code == APPROVAL_DECLINED
    assert len(asked) == 2 and "claude-code" in asked[0]
    assert running.sandbox.state.tool_calls["run_action"] == 1  # the declined one never reached Port
    assert [(r.via, r.outcome, r.approval) for r in recorder.wait(2)] == [
        ("stdio", "ok", "once"), ("stdio", "declined", "denied")]  # fmt: skip
