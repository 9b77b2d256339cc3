"""A client that hangs up: before Port's answer came (the call may have run: "cut"), or while the user is being asked
(the dialog is told to close, and the call never goes to Port). Raw HTTP, so the test decides when the client leaves."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bridge.approvals.model import ApprovalRequest, Decision
from tests.support.net import wait_until_async
from tests.support.recorder import INCIDENT, MemoryRecorder
from tests.support.stack import Stack, running_stack


@pytest.fixture
def stack(tmp_path: Path, recorder: MemoryRecorder) -> Iterator[Stack]:
    with running_stack(tmp_path / "settings.json", seed=3, recorder=recorder, approval_timeout=30) as running:
        yield running


@asynccontextmanager
async def _session(stack: Stack) -> AsyncIterator[tuple[httpx2.AsyncClient, dict[str, str]]]:
    """A raw client with an initialized MCP session: the headers to send on it."""
    headers = {**stack.headers(), "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    async with httpx2.AsyncClient(timeout=20) as http:
        init = await http.post(stack.url, headers=headers, json={"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                                                  "params": hello})  # fmt: skip
        headers["Mcp-Session-Id"] = init.headers["mcp-session-id"]
        headers["MCP-Protocol-Version"] = "2025-11-25"
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        done = await http.post(stack.url, headers=headers, json=initialized)
        assert done.status_code == 202
        yield http, headers


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments, "_meta": {"progressToken": "p1"}}
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}


async def test_a_client_gone_before_port_answered_is_cut_may_have_run(stack: Stack, recorder: MemoryRecorder) -> None:
    stack.sandbox.faults.slow_tool_seconds = 5  # progress every half second, the answer after 5 s
    async with _session(stack) as (http, headers):
        request = http.build_request("POST", stack.url, headers=headers, json=_call("describe_user_details", {}))
        response = await http.send(request, stream=True)
        async for line in response.aiter_lines():
            if line.startswith("data:") and "notifications/progress" in line:
                break  # under way at Port: now hang up
        await response.aclose()
    [record] = recorder.wait(1)
    assert (record.tool, record.client, record.outcome, record.detail) == (
        "describe_user_details", "raw", "cut", "may have run")  # fmt: skip
    assert stack.sandbox.state.tool_calls["describe_user_details"] == 1


async def test_a_client_gone_while_the_dialog_is_open_closes_it_and_sends_nothing(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    stack.store.set_profile("acme", ask_before="actions")
    stack.bridge.apply_settings(stack.store.load())
    asked: list[concurrent.futures.Future[Decision]] = []

    def never_answers(request: ApprovalRequest) -> concurrent.futures.Future[Decision]:
        asked.append(concurrent.futures.Future())
        return asked[-1]

    stack.bridge.approvals.set_asker(never_answers)
    async with _session(stack) as (http, headers):
        request = http.build_request("POST", stack.url, headers=headers, json=_call("run_action", INCIDENT))
        task = asyncio.ensure_future(http.send(request, stream=True))
        await wait_until_async(lambda: asked, "the dialog to be asked")
        task.cancel()  # the client gives up: its connection closes
        with pytest.raises(asyncio.CancelledError):
            await task
    [record] = recorder.wait(1)
    assert (record.outcome, record.detail, record.approval) == ("declined", "the client went away", None)
    await wait_until_async(lambda: asked[0].cancelled(), "the dialog to be told to close")
    assert stack.sandbox.state.tool_calls["run_action"] == 0
