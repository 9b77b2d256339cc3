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
