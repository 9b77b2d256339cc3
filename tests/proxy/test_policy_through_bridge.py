"""Every combination of the profile's policy settings, applied by the bridge to what Port (the sandbox) offers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from mcp import MCPError

from bridge.policy import Policy, filter_tools
from bridge.policy.schema import repair_schema
from bridge.proxy.jsonrpc import POLICY_REFUSED
from tests.proxy.conftest import session
from tests.sandbox.conftest import machine_token, mcp_session
from tests.support.mcp import cancel_once_under_way
from tests.support.net import wait_until_async
from tests.support.stack import Stack

READ_ONLY = [False, True]
ACTIONS: list[list[str] | None] = [None, [], ["create_incident"]]
EXPOSURE = [("all", []), ("allow", ["list_entities", "run_action", "upsert_entity"]), ("deny", ["list_entities"])]


async def test_every_policy_combination(rig: Stack) -> None:
    async with mcp_session(rig.sandbox, machine_token(rig.sandbox)) as direct:
        offered = [t.model_dump(by_alias=True, exclude_none=True) for t in (await direct.list_tools()).tools]
    for read_only, actions, (mode, names) in itertools.product(READ_ONLY, ACTIONS, EXPOSURE):
        rig.store.set_profile(
            "acme", read_only=read_only, allowed_actions=actions, tools={"mode": mode, "names": names}
        )
        policy = Policy(read_only, None if actions is None else frozenset(actions), mode, frozenset(names))  # type: ignore[arg-type]

        def applied(policy: Policy = policy) -> bool:
            return rig.bridge.resolve(None).policy == policy  # type: ignore[union-attr]

        await wait_until_async(applied, f"the bridge applied {policy}")
        # Port applies the headers too, so what it lists is already narrower; the bridge must not widen it.
        async with mcp_session(rig.sandbox, machine_token(rig.sandbox), **_headers(policy)) as direct:
            upstream_view = [t.model_dump(by_alias=True, exclude_none=True) for t in (await direct.list_tools()).tools]
        expected = [repair_schema(t)["name"] for t in filter_tools(policy, upstream_view)]
        async with session(rig) as s:
            seen = [t.name for t in (await s.list_tools()).tools]
            assert seen == expected, (read_only, actions, mode)
            for tool in offered:
                if tool["name"] in seen:
                    continue
                with pytest.raises(MCPError) as refused:
                    await s.call_tool(tool["name"], {})
                assert refused.value.code == POLICY_REFUSED or "not available" in refused.value.message


def _headers(policy: Policy) -> dict[str, Any]:
    return {k.replace("-", "_"): v for k, v in policy.upstream_headers().items()}


async def test_cancellation_passes_and_the_session_survives(rig: Stack) -> None:
    rig.sandbox.faults.slow_tool_seconds = 5
    async with session(rig) as s:
        await cancel_once_under_way(s, "describe_user_details")
        rig.sandbox.faults.slow_tool_seconds = 0
        assert not (await s.call_tool("describe_user_details", {})).is_error


async def _allow(rig: Stack, actions: list[str] | None) -> None:
    rig.store.set_profile("acme", allowed_actions=actions)

    def applied() -> bool:
        policy = rig.bridge.resolve(None).policy  # type: ignore[union-attr]
        return policy.allowed_actions == (None if actions is None else frozenset(actions))

    await wait_until_async(applied, f"the bridge allows {actions}")


async def test_workflows_follow_the_allowed_actions(rig: Stack) -> None:
    # Port documents x-allowed-actions-to-run for run_action only (the sandbox, like Port, lets workflows run under
    # it); the bridge applies the selection to trigger_workflow_run too, refusing locally with its reason.
    await _allow(rig, [])
    async with session(rig) as s:
        listed = {t.name for t in (await s.list_tools()).tools}
        assert "trigger_workflow_run" not in listed and "run_action" not in listed and "list_workflows" in listed
        with pytest.raises(MCPError) as refused:
            await s.call_tool("trigger_workflow_run", {"workflowIdentifier": "onboard_engineer"})
        assert refused.value.code == POLICY_REFUSED
        assert "allows no self-service actions or workflows for profile 'Acme'" in refused.value.message
    await _allow(rig, ["create_incident"])
    async with session(rig) as s:
        with pytest.raises(MCPError) as refused:
            await s.call_tool("trigger_workflow_run", {"workflowIdentifier": "onboard_engineer", "inputs": {}})
        assert refused.value.code == POLICY_REFUSED and "workflow 'onboard_engineer'" in refused.value.message
    await _allow(rig, ["onboard_engineer"])
    async with session(rig) as s:
        flows = await s.call_tool("list_workflows", {})
        assert "onboard_engineer" in flows.content[0].text  # type: ignore[union-attr]
        inputs = {"email": "ada@acme.example", "team": "platform"}
        ran = await s.call_tool("trigger_workflow_run", {"workflowIdentifier": "onboard_engineer", "inputs": inputs})
        assert not ran.is_error, ran.content


async def test_an_action_identifier_with_port_symbols_can_be_allowed_and_run(rig: Stack) -> None:
    identifier = "deploy@eu.prod:v2"  # Port's API allows letters, digits and @ _ . + : = -
    async with mcp_session(rig.sandbox, machine_token(rig.sandbox)) as direct:
        made = await direct.call_tool("upsert_action", {"action": {"identifier": identifier, "title": "Deploy EU"}})
        assert not made.is_error, made.content
    await _allow(rig, [identifier])
    async with session(rig) as s:
        ran = await s.call_tool("run_action", {"actionIdentifier": identifier, "properties": {}})
        assert not ran.is_error, ran.content
        assert identifier in ran.content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError) as refused:
            await s.call_tool("run_action", {"actionIdentifier": "create_incident", "properties": {}})
        assert refused.value.code == POLICY_REFUSED and identifier in refused.value.message
