"""The local servers' limits as a request arrives (bridge/system/http_limits.py), over real sockets: an endless header,
a flood of headers and a huge URL are refused having read no more than the limit; a connection that says nothing, or
never finishes its head, is closed; beyond the connection cap the longest idle one makes room, and when none is idle a
request is turned away with 503."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.auth.callback import RedirectListener
from bridge.endpoint import bind
from bridge.system import http_limits
from bridge.system.http_limits import LimitedHttpTools, Limits
from bridge.system.loopback import LoopbackServer
from tests.support.hostile import long_value, many_headers, stream_head
from tests.support.net import wait_until

HEAD = Limits().head_bytes
READ_SLACK = 256 * 1024  # one read of the event loop (uvloop's and asyncio's): handed over whole, refused unparsed


class Served:
    """A LoopbackServer with a tiny app; `read` counts the bytes the server took from its connections."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.release = threading.Event()  # /slow answers once set
        self.read = 0

        async def hello(request: Request) -> Response:
            return PlainTextResponse("hello")

        async def slow(request: Request) -> Response:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return PlainTextResponse("slow")

        sock = bind(0, "127.0.0.1")
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/", hello), Route("/slow", slow)])
        self.server = LoopbackServer(app, sock, name="limits", limits=limits)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    yield from _serve(monkeypatch, None)


def _serve(monkeypatch: pytest.MonkeyPatch, limits: Limits | None) -> Iterator[Served]:
    box = Served(limits)
    received = LimitedHttpTools.data_received

    def counting(self: LimitedHttpTools, data: bytes) -> None:
        box.read += len(data)
        received(self, data)

    monkeypatch.setattr(LimitedHttpTools, "data_received", counting)
    box.server.start()
    try:
        yield box
    finally:
        box.release.set()
        box.server.stop()


def get(port: int, path: str = "/") -> httpx2.Response:
    return httpx2.get(f"http://127.0.0.1:{port}{path}", timeout=30)


@pytest.mark.parametrize(
    ("first", "filler", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: ", long_value, 431),  # one header value without end (8 MiB)
        (b"GET / HTTP/1.1\r\nHost: x\r\n", many_headers, 431),  # 200,000 small headers (1.6 MB)
        (b"GET /", long_value, 414),  # a 1 MiB URL
    ],
    ids=["endless-value", "200k-headers", "1MiB-url"],
)
def test_an_oversized_head_is_refused_having_read_no_more_than_the_limit(
    served: Served, first: bytes, filler: object, status: int
) -> None:
    total = {431: 8 << 20, 414: 1 << 20}[status] if filler is long_value else 200_000 * 8
    outcome = stream_head(served.port, first, filler, total=total)  # type: ignore[arg-type]
    assert outcome.status == status, outcome.answer[:200]
    assert outcome.closed
    assert b"connection: close" in outcome.answer
    assert served.read <= HEAD + READ_SLACK  # the rest was never read, let alone kept
    assert outcome.sent < total / 2  # the client could not push it all: the connection was closed under it
    assert get(served.port).text == "hello"  # and the server serves on


def test_a_head_within_the_limits_is_served(served: Served) -> None:
    headers = {f"x-h{i}": "v" * 300 for i in range(90)}  # 90 headers, ~30 KB
    answer = httpx2.get(f"http://127.0.0.1:{served.port}/?{'q' * 8000}", headers=headers, timeout=30)
    assert answer.status_code == 200


def test_a_silent_connection_is_closed_and_an_unfinished_head_gets_408(served: Served) -> None:
    deadline = Limits().head_timeout + 10  # generous: a busy machine; the server's own deadline is what is tested
    with (
        socket.create_connection(("127.0.0.1", served.port)) as silent,
        socket.create_connection(("127.0.0.1", served.port)) as partial,
    ):
        partial.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        silent.settimeout(deadline)
        partial.settimeout(deadline)
        assert silent.recv(100) == b""  # closed by the server, nothing said
        answer = partial.recv(1000)
        assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_slow_head_is_held_to_its_deadline_however_it_trickles(served: Served) -> None:
    """A byte now and then keeps no deadline away: the head's deadline runs from its first byte."""
    outcome = stream_head(served.port, b"GET / HTTP/1.1\r\nX: ", lambda n: b"a", total=4000)
    assert outcome.status == 408


@pytest.fixture
def crowded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    yield from _serve(monkeypatch, Limits(max_requests=4))  # so at most 8 connections


def test_at_the_most_connections_the_longest_idle_one_makes_room(crowded: Served) -> None:
    idle = [socket.create_connection(("127.0.0.1", crowded.port)) for _ in range(8)]
    try:
        wait_until(lambda: _open_connections(crowded) >= 8, "the server has the eight idle connections")
        assert get(crowded.port).text == "hello"  # a ninth, accepted once the oldest had been idle for 0.5 s
        idle[-1].setblocking(False)
        with pytest.raises(BlockingIOError):  # the newest is still open: not the 5 s head deadline closing them all
            idle[-1].recv(10)
        idle[0].settimeout(10)
        assert idle[0].recv(10) == b""  # the oldest was closed for it
    finally:
        for conn in idle:
            conn.close()


def test_when_no_connection_is_idle_a_request_is_turned_away_with_503_and_the_server_recovers(crowded: Served) -> None:
    results: list[int] = []

    def slow() -> None:
        results.append(get(crowded.port, "/slow").status_code)

    threads = [threading.Thread(target=slow) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: _requests_under_way(crowded) >= 4, "four requests under way")
        refused = get(crowded.port)
        assert refused.status_code == 503
        assert refused.headers["connection"] == "close"
        assert "Too many connections" in refused.text
    finally:
        crowded.release.set()
        for thread in threads:
            thread.join(30)
    assert results == [200] * 4
    assert get(crowded.port).text == "hello"


def _protocols(served: Served) -> list[LimitedHttpTools]:
    return [p for p in served.server.connections() if isinstance(p, LimitedHttpTools)]


def _open_connections(served: Served) -> int:
    return sum(1 for p in _protocols(served) if not p.transport.is_closing())


def _requests_under_way(served: Served) -> int:
    return sum(1 for p in _protocols(served) if not p.idle())


async def test_the_sign_in_redirect_listener_has_the_same_limits() -> None:
    async with RedirectListener("limits-profile", "state-1") as listener:
        outcome = await asyncio.to_thread(stream_head, listener.port, b"GET /callback?code=", long_value, total=1 << 20)
    assert outcome.status == 414


def test_refusals_are_logged_at_most_once_a_minute_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    quiet = http_limits._Quiet(every=60)
    with caplog.at_level("WARNING", logger=http_limits.__name__):
        for _ in range(1000):
            quiet.warn("431", "Refused a request")
    assert len(caplog.records) == 1
