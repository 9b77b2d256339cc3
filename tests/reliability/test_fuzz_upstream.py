"""Property-based fuzzing of the other direction, Port -> bridge: a fake Port on loopback answers each request with
something generated (JSON-RPC of any shape, `tools/list` results with odd tools, SSE framed every way, wrong lengths,
chunks cut anywhere, broken encodings, documents nested 100,000 deep, megabytes) or hangs up part-way. Whatever it
sends, the bridge never answers 500 with a traceback (uvicorn logs no exception), stays up (`/healthz`), and a
well-behaved profile served beside it gets exactly its own answers (nothing of the hostile one leaks into them).

`FUZZ_EXAMPLES` / 4 upstream answers (the default run: 375; `python3 dev.py soak`: 2,500).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.auth.tokens import StaticTokenProvider
from bridge.proxy.service import BridgeService
from bridge.settings import SettingsStore
from tests.support.stack import ACCEPT
from tests.support.upstream import read_request

EXAMPLES = max(int(os.environ.get("FUZZ_EXAMPLES", "1500")) // 4, 20)
pytestmark = pytest.mark.timeout(900)

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                     st.text(max_size=30))  # fmt: skip
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10),
                     inner, max_size=4), max_leaves=16)  # fmt: skip
_tool = st.one_of(
    _json,
    st.fixed_dictionaries({"name": st.one_of(st.sampled_from(["list_entities", "delete_entity", "run_x", ""]), _json)},
                          optional={"annotations": _json, "inputSchema": _json, "description": _json}),
)  # fmt: skip


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def _payload(draw: st.DrawFn, msg_id: int) -> bytes:
    """The answer's body before framing: mostly JSON-RPC for the request `msg_id`, sometimes anything."""
    kind = draw(st.sampled_from(["list", "list", "message", "batch", "deep", "huge", "junk", "bytes"]))
    an_id: Any = draw(st.sampled_from([msg_id, msg_id, msg_id + 1, None, "x", [msg_id]]))
    if kind == "list":
        tools: Any = draw(st.one_of(st.lists(_tool, max_size=6), _json))
        text = json.dumps({"jsonrpc": "2.0", "id": an_id, "result": {"tools": tools}})
    elif kind == "message":
        text = json.dumps({"jsonrpc": draw(st.sampled_from(["2.0", "1.0", None])), "id": an_id,
                           draw(st.sampled_from(["result", "error", "method"])): draw(_json)})  # fmt: skip
    elif kind == "batch":
        text = json.dumps(draw(st.lists(_json, max_size=4)))
    elif kind == "deep":
        depth = draw(st.sampled_from([900, 5_000, 100_000]))
        where = draw(st.sampled_from(["tools", "schema", "id"]))
        nested = _deep(depth)
        if where == "id":
            text = f'{{"jsonrpc":"2.0","id":{nested},"result":{{"tools":[]}}}}'
        elif where == "tools":
            text = f'{{"jsonrpc":"2.0","id":{msg_id},"result":{{"tools":{nested}}}}}'
        else:
            text = f'{{"jsonrpc":"2.0","id":{msg_id},"result":{{"tools":[{{"name":"a","inputSchema":{nested}}}]}}}}'
    elif kind == "huge":
        size = draw(st.sampled_from([300_000, 1_500_000, 4_500_000]))
        tool = {"name": "t", "description": "a" * size}
        text = json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": {"tools": [tool]}})
    elif kind == "junk":
        text = draw(st.text(max_size=200))
    else:
        return draw(st.binary(max_size=300))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "broken"]))
    if encoding == "broken":
        return text.encode("utf-8", "surrogatepass")[:-1] + b"\xff\xfe\x80"
    return text.encode(encoding, "replace") if encoding == "latin-1" else text.encode(encoding, "surrogatepass")


@st.composite
def _sse(draw: st.DrawFn, payload: bytes) -> bytes:
    """`payload` as SSE: line endings of every kind, data split over lines, comments, ids, no final blank line."""
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    cuts = sorted({int(f * len(payload)) for f in draw(st.lists(st.floats(0, 1), max_size=3))})  # several data lines
    lines = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]
    event = b"".join(b"data: " + line + eol for line in lines)
    if draw(st.booleans()):
        event = b"event: message" + eol + b"id: 7" + eol + event
    prefix = draw(st.sampled_from([b"", b": keep-alive" + eol + eol, b"retry: 10" + eol + eol, b"data:" + eol + eol]))
    end = draw(st.sampled_from([eol, eol, b""]))
    return prefix + event + end


@st.composite
def upstream_answer(draw: st.DrawFn, msg_id: int) -> list[bytes]:
    """The bytes of one HTTP answer, as the writes the fake Port makes (then it closes the connection)."""
    payload = draw(_payload(msg_id))
    sse = draw(st.booleans())
    body = draw(_sse(payload)) if sse else payload
    status = draw(st.sampled_from([b"200 OK"] * 6 + [b"202 Accepted", b"400 Bad Request", b"404 Not Found",
                                                     b"500 Internal Server Error", b"503 Unavailable"]))  # fmt: skip
    kind = b"text/event-stream" if sse else draw(st.sampled_from([b"application/json", b"application/json; charset=x",
                                                                   b"text/html", b""]))  # fmt: skip
    head = b"HTTP/1.1 " + status + b"\r\n" + (b"content-type: " + kind + b"\r\n" if kind else b"")
    if draw(st.integers(0, 5)) == 0:
        head += b"content-encoding: gzip\r\n"
    framing = draw(st.sampled_from(["length", "chunked", "close", "short", "long", "cut"]))
    if framing == "chunked":
        cuts = sorted(int(f * len(body)) for f in draw(st.lists(st.floats(0, 1), max_size=4)))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p) + b"0\r\n\r\n"
        head += b"transfer-encoding: chunked\r\n"
    elif framing == "close":
        head += b"connection: close\r\n"
    else:
        length = len(body) + {"length": 0, "short": -1, "long": 10, "cut": 0}[framing]
        head += b"content-length: %d\r\n" % max(length, 0)
        if framing == "cut":
            body = body[: len(body) // 2]
    whole = head + b"\r\n" + body
    cuts = sorted(int(f * len(whole)) for f in draw(st.lists(st.floats(0, 1), max_size=3)))
    return [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]


def good_tool(msg_id: int) -> dict[str, Any]:
    """The one tool the well-behaved profile lists, named after the request (a schema the bridge keeps as it is)."""
    return {"name": f"good-{msg_id}", "inputSchema": {"type": "object", "properties": {}}}


class FakePort:
    """A loopback server on its own thread: requests for `/good` get a proper answer to their id, every other request
    gets `answer` (the writes of one generated HTTP answer), then the connection is closed."""

    def __init__(self) -> None:
        self.answer: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-port", daemon=True)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request.startswith(b"POST /good"):
                msg_id = json.loads(request.split(b"\r\n\r\n", 1)[1])["id"]
                body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": {"tools": [good_tool(msg_id)]}})
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (len(body), body.encode()))  # fmt: skip
            else:
                for piece in self.answer:
                    writer.write(piece)
                    await writer.drain()
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> FakePort:
        self._thread.start()

        async def start() -> None:
            self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()  # each connection is closed by its handler once answered

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def bridge_before_fake_port(port: int) -> Iterator[tuple[BridgeService, _Errors]]:
    store = SettingsStore()
    store.add_profile("Odd", f"http://127.0.0.1:{port}/v1", auth_mode="token", make_active=True)
    store.add_profile("Good", f"http://127.0.0.1:{port}/good", auth_mode="token")
    bridge = BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider("t"), key="k").start()
    errors = _Errors()
    logging.getLogger("uvicorn.error").addHandler(errors)  # after the start: uvicorn's set-up drops handlers
    try:
        yield bridge, errors
    finally:
        bridge.stop()
        logging.getLogger("uvicorn.error").removeHandler(errors)
    assert not errors.records, [r.getMessage() for r in errors.records]  # no "Exception in ASGI application"


def test_whatever_port_answers_the_bridge_stays_up_and_other_sessions_get_their_own_answers() -> None:
    seen: dict[int, int] = {}
    with FakePort() as fake, bridge_before_fake_port(fake.port) as (bridge, errors), httpx2.Client(timeout=60) as http:
        headers = {"Authorization": "Bearer k", **ACCEPT}

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(data=st.data(), method=st.sampled_from(["tools/list", "tools/list", "tools/call", "ping"]),
               batch=st.booleans())  # fmt: skip
        def one(data: st.DataObject, method: str, batch: bool) -> None:
            errors.records.clear()  # each example on its own (hypothesis runs a failing one again to shrink it)
            msg_id = data.draw(st.integers(1, 1 << 40)) * 2
            fake.answer = data.draw(upstream_answer(msg_id))
            message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
            if method == "tools/call":
                message["params"] = {"name": "list_entities", "arguments": {}}
            try:
                answer = http.post(f"{bridge.url}/mcp", json=[message] if batch else message, headers=headers)
            except httpx2.RemoteProtocolError:
                status = -1  # an answer that broke off after its start was relayed is cut for the client too
            else:
                status = answer.status_code
                assert status != 500 or b"Internal Server Error" not in answer.content[:100], answer.content[:300]
                assert b"Traceback" not in answer.content
            seen[status] = seen.get(status, 0) + 1
            assert not errors.records, [r.getMessage() for r in errors.records]
            good = http.post(f"{bridge.url}/p/good/mcp", json={"jsonrpc": "2.0", "id": msg_id + 1,
                                                                "method": "tools/list"}, headers=headers)  # fmt: skip
            assert good.status_code == 200
            assert good.json() == {"jsonrpc": "2.0", "id": msg_id + 1, "result": {"tools": [good_tool(msg_id + 1)]}}

        one()
        assert http.get(f"{bridge.url}/healthz").json()["ok"]
    assert seen.get(200, 0) > 0 and sum(seen.values()) >= EXAMPLES, seen
