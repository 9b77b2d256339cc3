"""The SSE splitter finds every event however the bytes are chunked."""

from __future__ import annotations

import random

import pytest

from bridge.proxy import sse

EVENTS = [
    b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\n',
    b'id: 7\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n',
    b": keep-alive comment\r\r",
    b"data: line one\r\ndata: line two\r\n\r\n",
]
STREAM = b"".join(EVENTS)


@pytest.mark.parametrize("seed", range(40))
def test_events_survive_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(STREAM)), rng.randint(1, 30)))
    chunks = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)], strict=True)]
    splitter = sse.EventSplitter()
    out = [event for chunk in chunks for event in splitter.feed(chunk)]
    assert out == EVENTS and splitter.rest() == b""


def test_every_single_byte_boundary() -> None:
    splitter = sse.EventSplitter()
    out = [event for i in range(len(STREAM)) for event in splitter.feed(STREAM[i : i + 1])]
    assert out == EVENTS


def test_unterminated_tail_is_kept() -> None:
    splitter = sse.EventSplitter()
    assert list(splitter.feed(EVENTS[0] + b"data: partial")) == [EVENTS[0]]
    assert splitter.rest() == b"data: partial"


def test_event_data_and_replace() -> None:
    assert sse.event_data(EVENTS[3]) == "line one\nline two"
    assert sse.event_data(EVENTS[2]) is None
    replaced = sse.replace_data(EVENTS[1], {"ok": True})
    assert replaced.startswith(b"id: 7\r\nevent: message\r\n") and sse.event_data(replaced) == '{"ok":true}'


@pytest.mark.parametrize(
    ("event", "data"),
    [
        (EVENTS[0], b'{"jsonrpc":"2.0","method":"notifications/progress"}'),
        (EVENTS[1], b'{"jsonrpc":"2.0","id":1,"result":{}}'),
        (b"data:x\n\n", b"x"),  # no space after the colon
        (b"id: 1\rdata: z\r\r", b"z"),  # CR line endings
        (b"id: data:1\ndata: y\n\n", b"y"),  # "data:" inside another field is not the data field
        (b"data: last line unterminated", b"last line unterminated"),
    ],
)
def test_data_span_finds_a_single_data_line(event: bytes, data: bytes) -> None:
    span = sse.data_span(event)
    assert span is not None and event[span[0] : span[1]] == data


@pytest.mark.parametrize("event", [EVENTS[2], EVENTS[3], b"event: x\n\n", b"data: a\rdata: b\r\r"])
def test_data_span_leaves_no_data_and_multi_line_data_to_event_data(event: bytes) -> None:
    assert sse.data_span(event) is None


@pytest.mark.parametrize("seed", range(20))
def test_splitting_agrees_with_the_boundary_regex_on_mixed_line_endings(seed: int) -> None:
    import re

    rng = random.Random(seed)
    stream = b"".join(rng.choice([b"a", b"data: x", b"\r", b"\n", b"\r\n"]) for _ in range(400))
    expected = []
    start = 0
    for match in re.finditer(rb"\r\n\r\n|\n\n|\r\r", stream):
        expected.append(stream[start : match.end()])
        start = match.end()
    splitter = sse.EventSplitter()
    cuts = sorted(rng.sample(range(1, len(stream)), 25))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert [event for chunk in chunks for event in splitter.feed(chunk)] == expected
    assert splitter.rest() == stream[start:]
