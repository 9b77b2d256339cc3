"""`bridge/proxy/jsonrpc.py` as plain functions: which bodies may be sent twice."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.proxy.jsonrpc import safe_to_repeat


def request(method: str, msg_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method}


@pytest.mark.parametrize(
    "messages",
    [
        [request("initialize")],
        [request("tools/list")],
        [request("resources/read"), request("prompts/get", 2)],
        [{"jsonrpc": "2.0", "method": "notifications/initialized"}],
        [{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}],
        [{"jsonrpc": "2.0", "id": 7, "result": {"action": "accept"}}],  # an answer to the server's elicitation
        [],
    ],
)
def test_reads_notifications_and_answers_may_be_sent_twice(messages: list[Any]) -> None:
    assert safe_to_repeat(messages)


@pytest.mark.parametrize(
    "messages",
    [
        [request("tools/call")],
        [request("tools/list"), request("tools/call", 2)],  # a batch is as unsafe as its worst message
        [request("tasks/cancel")],  # a method the bridge does not know: not assumed harmless
        [request("something/new")],
        ["not a message"],
    ],
)
def test_tool_calls_and_unknown_requests_are_never_sent_twice(messages: list[Any]) -> None:
    assert not safe_to_repeat(messages)
