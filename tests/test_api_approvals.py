"""`api.approvals`: the front end's Asker reaches the running bridge at once, and every bridge the facade starts later
(a port move restarts it)."""

from __future__ import annotations

import concurrent.futures

import pytest
from mcp import MCPError

from bridge.api import BridgeApi
from bridge.approvals.model import ApprovalRequest, Asker, Decision
from bridge.auth.localkey import local_key
from bridge.endpoint import check_port
from bridge.proxy.jsonrpc import APPROVAL_DECLINED, APPROVAL_UNAVAILABLE
from tests.support.mcp import mcp_client
from tests.support.net import free_port

CALL = ("run_action", {"actionIdentifier": "create_incident", "entityIdentifier": "order-processing",
                       "properties": {"title": "Down", "severity": "SEV2"}})  # fmt: skip


def _deny(asked: list[ApprovalRequest]) -> Asker:
    def ask(request: ApprovalRequest) -> concurrent.futures.Future[Decision]:
        asked.append(request)
        future: concurrent.futures.Future[Decision] = concurrent.futures.Future()
        future.set_result("deny")
        return future

    return ask


async def _call(api: BridgeApi) -> MCPError:
    headers = {"Authorization": f"Bearer {local_key()}"}
    async with mcp_client(api.snapshot().mcp_url, headers) as session:
        with pytest.raises(MCPError) as refused:
            await session.call_tool(*CALL)
    return refused.value


async def test_set_asker_takes_effect_at_once_and_on_a_bridge_started_later(api: BridgeApi) -> None:
    api.edit_profile("acme", ask_before="actions")
    api.start()
    assert (await _call(api)).code == APPROVAL_UNAVAILABLE  # nobody to ask yet, and the client cannot elicit
    asked: list[ApprovalRequest] = []
    api.approvals.set_asker(_deny(asked))
    assert (await _call(api)).code == APPROVAL_DECLINED and len(asked) == 1
    port = free_port()
    check_port(port)
    api.move_to(port)  # a new bridge on another port: still asks there
    assert api.snapshot().port == port
    assert (await _call(api)).code == APPROVAL_DECLINED and len(asked) == 2
    api.approvals.set_asker(None)
    assert (await _call(api)).code == APPROVAL_UNAVAILABLE and len(asked) == 2
