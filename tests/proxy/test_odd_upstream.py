"""Upstreams that misbehave: one that answers a tools/list with something that is not JSON, under a JSON content type
(the client gets that answer as it is, not a 500), and one that drops a reused connection without answering."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.endpoint import bind
from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.system.loopback import LoopbackServer
from tests.support.stack import ACCEPT, bridge_before
from tests.support.upstream import read_request, serving


async def broken(request: Request) -> Response:
    return Response(b'{"jsonrpc": "2.0", "id": 1, "result": {"tools": [', media_type="application/json")


def test_a_truncated_json_answer_is_passed_on_not_a_500(tmp_path: object) -> None:
    sock = bind(0)
    upstream = LoopbackServer(Starlette(routes=[Route("/v1", broken, methods=["POST"])]), sock, name="odd")
    upstream.start()
    bridge = bridge_before(sock.getsockname()[1])
    try:
        answer = httpx2.post(
            f"{bridge.url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": "Bearer k", **ACCEPT},
        )
        assert answer.status_code == 200 and answer.content.startswith(b'{"jsonrpc": "2.0", "id": 1, "result"')
        assert httpx2.get(f"{bridge.url}/healthz").json()["ok"]
    finally:
        bridge.stop()
        upstream.stop()


async def test_a_tool_call_the_upstream_dropped_is_not_sent_twice_a_list_is(tmp_path: object) -> None:
    """Each upstream connection answers its first request, then reads the next one and hangs up without a byte of
    answer (what a server's idle timeout or crash looks like). A `tools/call` caught that way gets a clear error and
    reached Port once: it may have run an action, which must not run twice. A `tools/list` is sent again."""
    seen: list[bytes] = []

    async def first_answer_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answered in (True, False):
            request = await read_request(reader)
            body = request.split(b"\r\n\r\n", 1)[1]
            seen.append(body)
            if answered:
                payload = b'{"jsonrpc":"2.0","id":%d,"result":{"tools":[]}}' % json.loads(body)["id"]
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                             % len(payload) + payload)  # fmt: skip
                await writer.drain()

    async with serving(first_answer_only) as upstream:
        bridge = bridge_before(upstream.port)
        headers = {"Authorization": "Bearer k", **ACCEPT}
        try:
            async with httpx2.AsyncClient(headers=headers, timeout=10) as http:

                async def post(msg_id: int, method: str) -> dict[str, Any]:
                    params = {"name": "list_entities"} if method == "tools/call" else {}
                    message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
                    return (await http.post(f"{bridge.url}/mcp", json=message)).json()

                assert "result" in await post(1, "tools/list")  # a new connection: answered
                dropped = await post(2, "tools/call")  # the same connection, reused: dropped
                assert dropped["error"]["code"] == UPSTREAM_UNAVAILABLE
                assert "doctor" in dropped["error"]["message"]
                assert "result" in await post(3, "tools/list")  # a new connection: answered
                assert "result" in await post(4, "tools/list")  # reused, dropped, sent again on a new one
        finally:
            bridge.stop()
    ids = [json.loads(body)["id"] for body in seen]
    assert ids == [1, 2, 3, 4, 4]  # the tools/call reached the upstream once, the list twice
    assert upstream.connections == 3


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_an_answer_that_breaks_off_is_cut_for_the_client_too_and_logged_in_one_line(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    """Port's connection dies in the middle of an answer (a laptop asleep, a VPN reconnecting). An SSE answer already
    under way is cut for the client as well (a half answer must not end like a whole one: the client may resume or
    retry); a JSON answer not yet relayed becomes a JSON-RPC error for its request. The log gets one warning, not
    uvicorn's "Exception in ASGI application" traceback, and the bridge carries on."""
    relayed = asyncio.Event()  # the client has the stream's first event

    async def dies_mid_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.loads((await read_request(reader)).split(b"\r\n\r\n", 1)[1])
        if body["method"] == "tools/call":  # one event of the stream, then the connection dies
            event = b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\r\n\r\n'
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                         b"%x\r\n%s\r\n" % (len(event), event))  # fmt: skip
            await writer.drain()
            await asyncio.wait_for(relayed.wait(), 10)  # under way for the client too: then reset
            writer.transport.abort()
        else:  # a JSON answer announced at 200 bytes, dead after 20: closed (a reset could overtake those 20 bytes)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
                         b'{"jsonrpc":"2.0","id"')  # fmt: skip
            await writer.drain()

    uvicorn_log = _Records()
    async with serving(dies_mid_answer) as upstream:
        bridge = bridge_before(upstream.port)
        logging.getLogger("uvicorn.error").addHandler(uvicorn_log)  # after the start: uvicorn's set-up drops handlers
        headers = {"Authorization": "Bearer k", **ACCEPT}
        try:
            with caplog.at_level(logging.WARNING, logger="bridge.proxy.forward"):
                async with httpx2.AsyncClient(headers=headers, timeout=10) as http:
                    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}
                    received = b""
                    with pytest.raises(httpx2.RemoteProtocolError):  # cut, not ended as if whole
                        async with http.stream("POST", f"{bridge.url}/mcp", json=call) as answer:
                            async for chunk in answer.aiter_bytes():
                                received += chunk
                                if b"notifications/progress" in received:
                                    relayed.set()
                    assert b"notifications/progress" in received

                    listing = await http.post(
                        f"{bridge.url}/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
                    )
                    error = listing.json()
                    assert error["id"] == 2 and error["error"]["code"] == UPSTREAM_UNAVAILABLE
                    assert "broke off" in error["error"]["message"] and "doctor" in error["error"]["message"]
                    assert (await http.get(f"{bridge.url}/healthz")).json()["ok"]
        finally:
            bridge.stop()
            logging.getLogger("uvicorn.error").removeHandler(uvicorn_log)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bridge.proxy.forward"]
    assert any("broke off (ReadError)" in w for w in warnings), warnings
    assert not [r for r in uvicorn_log.records if r.exc_info], [r.getMessage() for r in uvicorn_log.records]


async def test_a_no_content_answer_with_a_stray_length_is_passed_on_without_one(tmp_path: object) -> None:
    """A 204 has no body whatever its Content-Length says: the bridge passes the 204 on, not the stray length (which
    its server would refuse to send with no body)."""

    async def no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n")
            await writer.drain()

    async with serving(no_content) as upstream:
        bridge = bridge_before(upstream.port)
        try:
            async with httpx2.AsyncClient(headers={"Authorization": "Bearer k"}, timeout=10) as http:
                note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
                for _ in range(2):  # and the connection stays usable
                    answer = await http.post(f"{bridge.url}/mcp", json=note)
                    assert answer.status_code == 204 and answer.content == b""
        finally:
            bridge.stop()


async def test_an_error_page_instead_of_an_mcp_answer_becomes_an_error_that_says_what_to_do(tmp_path: object) -> None:
    """A firewall's web page (403), a load balancer's plain 503 or a wrong address's 404 reach the IDE as a JSON-RPC
    error for each request that says what the status usually means, not as a page of HTML. An MCP error (JSON-RPC) and
    a 404 for a session that ended upstream pass as they came: the client acts on those itself."""

    def answer(status: bytes, content_type: bytes, body: bytes) -> bytes:
        return b"HTTP/1.1 %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n%s" % (
            status,
            content_type,
            len(body),
            body,
        )

    answers = {
        1: answer(b"403 Forbidden", b"text/html", b"<html><body>Blocked by Corp Proxy</body></html>"),
        2: answer(b"503 Service Unavailable", b"text/plain", b"upstream connect error 111"),
        3: answer(b"404 Not Found", b"text/plain", b"Not Found"),
        4: answer(
            b"400 Bad Request",
            b"application/json",
            b'{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"Bad args"}}',
        ),
        5: answer(b"404 Not Found", b"text/plain", b"Not Found"),
    }

    async def erring(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            body = json.loads((await read_request(reader)).split(b"\r\n\r\n", 1)[1])
            writer.write(answers[body["id"]])
            await writer.drain()

    async with serving(erring) as upstream:
        bridge = bridge_before(upstream.port)
        bridge.sessions.bind("s-1", "odd")  # a session the bridge saw created
        headers = {"Authorization": "Bearer k", **ACCEPT}
        try:
            async with httpx2.AsyncClient(headers=headers, timeout=10) as http:

                async def post(msg_id: int, **extra: str) -> httpx2.Response:
                    message = {"jsonrpc": "2.0", "id": msg_id, "method": "tools/call", "params": {"name": "x"}}
                    return await http.post(f"{bridge.url}/mcp", json=message, headers=extra)

                blocked = await post(1)
                status = (await http.get(f"{bridge.url}/status")).json()
                assert "answered HTTP 403" in status["profiles"][0]["last_error"]  # the tray shows it
                busy, missing, mcp_error = [await post(n) for n in (2, 3, 4)]
                ended = await post(5, **{"Mcp-Session-Id": "s-1"})
        finally:
            bridge.stop()
    for answer, msg_id, words in (
        (blocked, 1, ["HTTP 403", "VPN, firewall or proxy", "doctor"]),
        (busy, 2, ["HTTP 503", "Try again in a moment", 'Port said: "upstream connect error 111"']),
        (missing, 3, ["HTTP 404", "no MCP endpoint at http://127.0.0.1:", "profiles set odd --region"]),
    ):
        assert answer.status_code == 200
        error = answer.json()
        assert error["id"] == msg_id and error["error"]["code"] == UPSTREAM_UNAVAILABLE
        assert all(word in error["error"]["message"] for word in words), error["error"]["message"]
        assert "<html>" not in answer.text
    assert mcp_error.status_code == 400 and mcp_error.json()["error"]["message"] == "Bad args"
    assert ended.status_code == 404 and ended.text == "Not Found"  # the client starts a new session


DEEP_LIST = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "event",
    [
        b'event: message\ndata: {"jsonrpc":"2.0","id":1,\ndata: "result":{"tools":' + DEEP_LIST + b"}}\n\n",
        b'data: {"jsonrpc":"2.0","id":[1],\ndata: "result":{"tools":[]}}\n\n',  # found by the upstream fuzzer
    ],
    ids=["nested-100000-deep", "id-is-a-list"],
)
async def test_a_tools_list_event_nested_too_deeply_passes_as_it_came(tmp_path: object, event: bytes) -> None:
    """A `tools/list` answer as an SSE event whose data spans several lines and nests 100,000 deep (or whose id is a
    list): was a RecursionError (a TypeError) out of `toolslist.rewrite_event`, a cut answer and a traceback. It
    passes as it came (the bridge cannot tell whose answer it is to give an error instead), and the bridge carries
    on."""

    async def deep_list(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n%s"
                         % (len(event), event))  # fmt: skip
            await writer.drain()

    uvicorn_log = _Records()
    async with serving(deep_list) as upstream:
        bridge = bridge_before(upstream.port)
        logging.getLogger("uvicorn.error").addHandler(uvicorn_log)
        try:
            async with httpx2.AsyncClient(headers={"Authorization": "Bearer k", **ACCEPT}, timeout=10) as http:
                listing = await http.post(f"{bridge.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
                assert listing.status_code == 200 and listing.content == event
                assert (await http.get(f"{bridge.url}/healthz")).json()["ok"]
        finally:
            bridge.stop()
            logging.getLogger("uvicorn.error").removeHandler(uvicorn_log)
    assert not [r for r in uvicorn_log.records if r.exc_info], [r.getMessage() for r in uvicorn_log.records]


async def test_a_tool_call_port_received_but_never_answered_may_have_run_one_never_sent_did_not() -> None:
    """Port drops the connection after it has read a `tools/call` (or its answer breaks off): the IDE is told the call
    may have run and how to check, not "Cannot reach Port … check your network", which invites a retry that could
    run an action twice. A call whose connection never opened was never sent: that one is "Cannot reach Port"."""

    async def reads_then_hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.loads((await read_request(reader)).split(b"\r\n\r\n", 1)[1])
        if body["id"] == 2:  # an error answer (read whole before anything is relayed) that breaks off
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
                         b'{"jsonrpc"')  # fmt: skip
            await writer.drain()

    call = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "run_action", "arguments": {}}}
    headers = {"Authorization": "Bearer k", **ACCEPT}
    bridge = None
    try:
        async with httpx2.AsyncClient(headers=headers, timeout=10) as http:
            async with serving(reads_then_hangs_up) as upstream:
                bridge = bridge_before(upstream.port)
                dropped = (await http.post(f"{bridge.url}/mcp", json={**call, "id": 1})).json()["error"]
                cut = (await http.post(f"{bridge.url}/mcp", json={**call, "id": 2})).json()["error"]
            # Nothing listens there any more: the call never leaves.
            never_sent = (await http.post(f"{bridge.url}/mcp", json={**call, "id": 3})).json()["error"]
    finally:
        if bridge is not None:
            bridge.stop()
    for error in (dropped, cut):
        assert error["code"] == UPSTREAM_UNAVAILABLE and error["data"]["may_have_run"] is True
        assert "received the request" in error["message"] and "may have run" in error["message"]
        assert "status of its run" in error["message"] and "network" not in error["message"]
    assert "connection ended before Port answered" in dropped["message"] and "broke off" in cut["message"]
    assert never_sent["message"].startswith("Cannot reach Port") and "network" in never_sent["message"]
    assert "may_have_run" not in never_sent["data"]
