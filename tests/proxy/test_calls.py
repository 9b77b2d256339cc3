"""`CallBook`: which event of Port's SSE answer answers which call, told by bytes alone (no JSON decoding)."""

from __future__ import annotations

from typing import Any

from bridge.policy import Policy
from bridge.proxy.calls import CallBook
from bridge.proxy.state import ClientInfo, Upstream
from bridge.settings import Profile
from bridge.settings.values import Region
from tests.support.recorder import MemoryRecorder


def _book(recorder: MemoryRecorder, *ids: Any, record_arguments: bool = False) -> CallBook:
    profile = Profile(id="acme", name="Acme", organization="Acme Corp", region=Region.EU,
                      record_arguments=record_arguments)  # fmt: skip
    book = CallBook(recorder, Upstream(profile, None, Policy()), ClientInfo("Cursor", "1"), "http", batch=len(ids) > 1)  # type: ignore[arg-type]
    for msg_id in ids:
        book.add({"jsonrpc": "2.0", "id": msg_id, "method": "tools/call",
                  "params": {"name": f"tool_{msg_id}", "arguments": {"k": "v"}}})  # fmt: skip
    return book


def _event(data: bytes) -> bytes:
    return b"id: 3\r\nevent: message\r\ndata: " + data + b"\r\n\r\n"


def test_a_batch_s_events_go_to_their_calls_by_id_compact_or_spaced() -> None:
    recorder = MemoryRecorder()
    book = _book(recorder, 1, "b")
    book.note_event(_event(b'{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1}}'))
    book.note_event(_event(b'{"jsonrpc": "2.0", "id": "b", "result": {"content": [], "isError": true}}'))
    book.note_event(_event(b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}'))
    book.finish()
    assert [(r.tool, r.outcome) for r in recorder.records] == [("tool_b", "tool_error"), ("tool_1", "ok")]
    assert recorder.records[0].arguments is None  # not recorded unless the profile says so


def test_a_server_request_is_not_an_answer_even_with_the_same_id_but_a_quoted_method_in_text_is() -> None:
    recorder = MemoryRecorder()
    book = _book(recorder, 0, record_arguments=True)
    book.note_event(_event(b'{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}'))  # Port asks
    assert recorder.records == []
    answer = b'{"jsonrpc":"2.0","id":0,"result":{"content":[{"type":"text","text":"{\\"method\\": \\"x\\"}"}]}}'
    book.note_event(_event(answer))
    [record] = recorder.records
    assert record.outcome == "ok" and recorder.answers == [answer] and record.arguments == {"k": "v"}


def test_a_stream_that_ends_without_the_answer_or_is_cut_records_cut() -> None:
    recorder = MemoryRecorder()
    book = _book(recorder, 5)
    book.cut = book.waiting()
    book.finish()
    assert [(r.outcome, r.detail) for r in recorder.records] == [("cut", "may have run")]
    book.finish()  # once only
    assert len(recorder.records) == 1
