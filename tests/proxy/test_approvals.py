"""Approvals over real loopback: the front end's dialog (a test Asker), the IDE's own question (elicitation, answered
by the official MCP client), and the refusal that says how to approve; the sandbox counts what reached "Port"."""

from __future__ import annotations

import concurrent.futures
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import MCPError, types
from mcp.client.context import ClientRequestContext

from bridge.approvals.model import ApprovalRequest, Decision
from bridge.proxy.jsonrpc import APPROVAL_DECLINED, APPROVAL_UNAVAILABLE
from tests.proxy.conftest import session
from tests.support.net import wait_until_async
from tests.support.recorder import INCIDENT, MemoryRecorder
from tests.support.stack import Stack, running_stack

CURSOR = types.Implementation(name="Cursor", version="1.7.2")


class TestAsker:
    """A front end that answers each request with the next of `answers` (None: never answers)."""

    __test__ = False

    def __init__(self, *answers: Decision | None) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []
        self.futures: list[concurrent.futures.Future[Decision]] = []
        self.threads: set[str] = set()

    def __call__(self, request: ApprovalRequest) -> concurrent.futures.Future[Decision]:
        self.threads.add(threading.current_thread().name)
        self.requests.append(request)
        future: concurrent.futures.Future[Decision] = concurrent.futures.Future()
        self.futures.append(future)
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            future.set_result(answer)
        return future


@pytest.fixture(params=["sse", "json"])
def stack(tmp_path: Path, recorder: MemoryRecorder, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """Port answering with SSE streams (the sandbox's default), or with JSON bodies (relayed as one event after an
    elicitation)."""
    json_response = request.param == "json"
    with running_stack(tmp_path / "settings.json", seed=3, recorder=recorder, approval_timeout=0.5,
                       json_response=json_response) as running:  # fmt: skip
        running.store.set_profile("acme", ask_before="actions")
        running.bridge.apply_settings(running.store.load())  # the watcher would too, a moment later
        yield running


def _runs(stack: Stack) -> int:
    return stack.sandbox.state.tool_calls["run_action"]


async def _not_run(stack: Stack, **client: Any) -> MCPError:
    """The error a new session's `run_action` gets (the session made with `client`'s options)."""
    async with session(stack, **client) as s:
        with pytest.raises(MCPError) as error:
            await s.call_tool("run_action", INCIDENT)
    return error.value


async def test_allow_once_forwards_the_call_after_the_dialog_said_yes(stack: Stack, recorder: MemoryRecorder) -> None:
    asker = TestAsker("once")
    stack.bridge.approvals.set_asker(asker)
    async with session(stack, client_info=CURSOR) as s:
        result = await s.call_tool("run_action", INCIDENT)
        assert not result.is_error
        listed = await s.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
        assert not listed.is_error  # reads are not asked about under "actions"
    [request] = asker.requests
    assert (request.profile_id, request.profile, request.organization) == ("acme", "Acme", "Acme Corp")
    assert (request.client, request.tool, request.action) == ("Cursor", "run_action", "create_incident")
    assert request.arguments == INCIDENT and request.timeout == 0.5
    assert len(asker.threads) == 1 and threading.current_thread().name not in asker.threads  # the bridge's loop
    assert _runs(stack) == 1
    record = recorder.wait(2)[0]
    assert (record.outcome, record.approval, record.client) == ("ok", "once", "Cursor")
    assert record.run_id == json.loads(result.content[0].text)["run"]["id"]  # type: ignore[union-attr]


async def test_allow_for_this_session_is_remembered_for_that_session_only(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    asker = TestAsker("session", "deny")
    stack.bridge.approvals.set_asker(asker)
    async with session(stack) as s:
        await s.call_tool("run_action", INCIDENT)
        await s.call_tool("run_action", INCIDENT)  # same tool and action, same session: not asked again
        assert len(asker.requests) == 1
    async with session(stack) as other:  # another session is asked again (and this time the answer is Deny)
        with pytest.raises(MCPError) as declined:
            await other.call_tool("run_action", INCIDENT)
        assert declined.value.code == APPROVAL_DECLINED
    assert len(asker.requests) == 2 and _runs(stack) == 2
    assert [r.approval for r in recorder.wait(3)] == ["session", "remembered", "denied"]


async def test_deny_answers_the_assistant_that_the_user_declined_and_port_never_hears_of_it(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    stack.bridge.approvals.set_asker(TestAsker("deny"))
    declined = await _not_run(stack)
    assert declined.code == APPROVAL_DECLINED
    assert "declined" in declined.message and "Port MCP Bridge" in declined.message
    assert _runs(stack) == 0
    [record] = recorder.wait(1)
    assert (record.outcome, record.approval, record.detail) == ("declined", "denied", "denied")


async def test_no_answer_in_time_is_deny_and_the_dialog_is_told_to_close(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    asker = TestAsker(None)
    stack.bridge.approvals.set_asker(asker)
    declined = await _not_run(stack)
    assert declined.code == APPROVAL_DECLINED and "0.5 s" in declined.message
    assert asker.futures[0].cancelled()  # the dialog closes itself
    assert _runs(stack) == 0
    [record] = recorder.wait(1)
    assert (record.outcome, record.approval, record.detail) == ("declined", "timed_out", "timed out")


async def test_a_client_without_elicitation_and_no_dialog_is_told_how_to_approve(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    refused = await _not_run(stack)
    assert refused.code == APPROVAL_UNAVAILABLE
    message = refused.message
    assert "open Port MCP Bridge" in message and "Ask before" in message and "Settings → Profiles" in message
    assert "--ask-before never" in message
    assert _runs(stack) == 0
    [record] = recorder.wait(1)
    assert (record.outcome, record.detail, record.approval) == ("declined", "could not ask", None)


def _answering(*answers: types.ElicitResult) -> tuple[Any, list[types.ElicitRequestParams]]:
    asked: list[types.ElicitRequestParams] = []
    queue = list(answers)

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        return queue.pop(0)

    return on_elicit, asked


async def test_elicitation_accept_forwards_and_relays_port_s_answer_on_the_same_stream(
    stack: Stack, recorder: MemoryRecorder
) -> None:
    on_elicit, asked = _answering(types.ElicitResult(action="accept", content={"decision": "once"}))
    async with session(stack, client_info=CURSOR, elicitation_callback=on_elicit) as s:
        result = await s.call_tool("run_action", INCIDENT)
    assert not result.is_error and json.loads(result.content[0].text)["run"]["id"]  # type: ignore[union-attr]
    [params] = asked
    assert isinstance(params, types.ElicitRequestFormParams)
    for shown in ("Cursor", "run_action", "create_incident", "Acme", "Acme Corp", "order-processing"):
        assert shown in params.message
    assert params.requested_schema["properties"]["decision"]["enum"] == ["once", "session"]
    assert _runs(stack) == 1
    [record] = recorder.wait(1)
    assert (record.outcome, record.approval) == ("ok", "once") and record.run_id


async def test_elicitation_for_this_session_then_remembered(stack: Stack, recorder: MemoryRecorder) -> None:
    on_elicit, asked = _answering(types.ElicitResult(action="accept", content={"decision": "session"}))
    async with session(stack, elicitation_callback=on_elicit) as s:
        await s.call_tool("run_action", INCIDENT)
        await s.call_tool("run_action", INCIDENT)
    assert len(asked) == 1 and _runs(stack) == 2
    assert [r.approval for r in recorder.wait(2)] == ["session", "remembered"]


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_elicitation_decline_or_cancel_is_declined_and_never_reaches_port(
    stack: Stack, recorder: MemoryRecorder, action: Any
) -> None:
    on_elicit, asked = _answering(types.ElicitResult(action=action))
    async with session(stack, elicitation_callback=on_elicit) as s:
        with pytest.raises(MCPError) as declined:
            await s.call_tool("run_action", INCIDENT)
        assert declined.value.code == APPROVAL_DECLINED
        assert not (await s.call_tool("list_blueprints", {})).is_error  # the session goes on
    assert len(asked) == 1 and _runs(stack) == 0
    assert [(r.tool, r.outcome, r.approval) for r in recorder.wait(2)] == [
        ("run_action", "declined", "denied"), ("list_blueprints", "ok", None)]  # fmt: skip


async def test_an_elicitation_left_unanswered_times_out_as_declined(stack: Stack, recorder: MemoryRecorder) -> None:
    import anyio

    async def never(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        await anyio.sleep_forever()
        raise AssertionError

    declined = await _not_run(stack, elicitation_callback=never)
    assert declined.code == APPROVAL_DECLINED and _runs(stack) == 0
    [record] = recorder.wait(1)
    assert (record.outcome, record.approval) == ("declined", "timed_out")


async def test_the_dialog_comes_first_when_both_could_ask(stack: Stack) -> None:
    on_elicit, asked = _answering()
    stack.bridge.approvals.set_asker(TestAsker("once"))
    async with session(stack, elicitation_callback=on_elicit) as s:
        assert not (await s.call_tool("run_action", INCIDENT)).is_error
    assert asked == [] and _runs(stack) == 1


async def test_writes_asks_before_every_tool_not_known_to_read(stack: Stack, recorder: MemoryRecorder) -> None:
    stack.store.set_profile("acme", ask_before="writes")
    await wait_until_async(lambda: stack.bridge.settings.find_profile("acme").ask_before == "writes",  # type: ignore[union-attr]
                           "the bridge read Ask before")  # fmt: skip
    asker = TestAsker("deny")
    stack.bridge.approvals.set_asker(asker)
    async with session(stack) as s:
        await s.list_tools()
        assert not (await s.call_tool("list_blueprints", {})).is_error
        with pytest.raises(MCPError):
            await s.call_tool("delete_entity", {"blueprintIdentifier": "service", "entityIdentifier": "cart"})
    assert [r.tool for r in asker.requests] == ["delete_entity"]
    assert stack.sandbox.state.tool_calls["delete_entity"] == 0 and stack.sandbox.state.tool_calls["list_blueprints"]
