"""`outcome.complete`: what came of a call, read from Port's raw answer (off the request path)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge.activity.outcome import complete
from bridge.activity.record import CallRecord


def _record(outcome: Any = "ok", detail: str = "") -> CallRecord:
    return CallRecord(time=1.0, profile_id="p", profile="P", organization="Acme", client="Cursor", client_version="1",
                      tool="run_action", outcome=outcome, detail=detail, action="deploy")  # fmt: skip


def _answer(result: Any = None, error: Any = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": 7}
    if error is not None:
        message["error"] = error
    else:
        message["result"] = result
    return json.dumps(message).encode()


def _text(value: Any) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": json.dumps(value)}]}


def test_a_result_is_ok_without_a_run_id_when_it_has_none() -> None:
    done = complete(_record(), _answer(_text({"entities": [{"identifier": "r_notarunatall1234"}]})))
    assert (done.outcome, done.run_id, done.detail) == ("ok", None, "")


def test_run_action_answer_gives_the_run_id() -> None:
    run = {"id": "r_Q0YotCZMKxDLdlaU", "link": ["https://app.port.io/organization/run?runId=r_Q0YotCZMKxDLdlaU"]}
    done = complete(_record(), _answer(_text({"ok": True, "run": run})))
    assert (done.outcome, done.run_id) == ("ok", "r_Q0YotCZMKxDLdlaU")


def test_workflow_run_and_structured_content_and_links() -> None:
    workflow = complete(_record(), _answer(_text({"ok": True, "workflowRun": {"id": "wr_AbCdEf0123456789"}})))
    assert workflow.run_id == "wr_AbCdEf0123456789"
    structured = complete(_record(), _answer({"content": [], "structuredContent": {"runId": "r_ZZZZ1111yyyy2222"}}))
    assert structured.run_id == "r_ZZZZ1111yyyy2222"
    linked = complete(_record(), _answer(_text({"link": "https://app.port.io/organization/run?runId=r_LINK00001111"})))
    assert linked.run_id == "r_LINK00001111"


def test_is_error_is_a_tool_error_with_its_text_short() -> None:
    done = complete(_record(), _answer({"content": [{"type": "text", "text": "No such action\n" + "x" * 500}],
                                        "isError": True}))  # fmt: skip
    assert done.outcome == "tool_error"
    assert done.detail.startswith("No such action x")
    assert len(done.detail) <= 200


def test_a_json_rpc_error_is_an_error_with_its_message() -> None:
    done = complete(_record(), _answer(error={"code": -32602, "message": "Unknown tool: run_nope"}))
    assert (done.outcome, done.detail) == ("error", "Unknown tool: run_nope")


@pytest.mark.parametrize("outcome", ["refused", "declined", "cut", "error"])
def test_decided_outcomes_pass_through(outcome: Any) -> None:
    record = _record(outcome, "may have run")
    assert complete(record, _answer(error={"code": 1, "message": "other"})) is record


@pytest.mark.parametrize("answer", [None, b"", b"not json", b"[1, 2]", b'{"jsonrpc": "2.0", "id": 1}', b"[[[[" * 5000])
def test_no_usable_answer_leaves_the_record(answer: bytes | None) -> None:
    record = _record()
    assert complete(record, answer) is record
