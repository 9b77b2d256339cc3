"""TLS session resumption (`bridge/proxy/tls_sessions.py`, in `http11.Pool`): a new connection offers the session an
earlier connection to the same origin received, and only to that origin. Real TLS on loopback (a CA of the test's
own, tests/support/certs.py), asserted where it shows: the server's `session_reused` on each connection it accepted,
and the client's."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.proxy import http11
from bridge.proxy.warm import Warm
from tests.support.certs import make_ca, server_context
from tests.support.net import wait_until_async
from tests.support.upstream import Server, read_request, serving

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
HEAD = http11.request_head(b"GET", b"/v1", [(b"host", b"127.0.0.1")])


class Resumptions:
    """A server's handler answering every request 200 `{}` on a kept-alive connection, recording for each connection
    whether its TLS session was resumed, and how many have ended."""

    def __init__(self) -> None:
        self.resumed: list[bool] = []
        self.ended = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.resumed.append(writer.get_extra_info("ssl_object").session_reused)
        try:
            while True:
                await read_request(reader)
                writer.write(OK)
                await writer.drain()
        finally:
            self.ended += 1

    async def all_ended(self) -> None:
        """Every connection's handler has seen its end (none is left for the loop's end to cancel)."""
        await wait_until_async(lambda: self.ended == len(self.resumed), "every connection ended at the server")


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[ssl.SSLContext, tuple[Path, Path]]]:
    """A client context trusting the test's CA (as httpx2's trusts the system's), and the server's certificate."""
    ca, cert, key = make_ca(tmp_path)
    yield ssl.create_default_context(cafile=str(ca)), (cert, key)


def key(server: Server) -> http11.Key:
    return ("https", "127.0.0.1", server.port)


async def answered(pool: http11.Pool, server: Server) -> bool:
    """One request on a new connection to `server`, its answer read whole (the connection then idle in the pool);
    whether the client resumed a session on it."""
    conn = await pool.open(key(server), 5)
    response = await pool.exchange(conn, HEAD, b"", 5)
    assert (response.status, await response.aread()) == (200, b"{}")
    await response.aclose()
    assert conn.transport is not None
    return bool(conn.transport.get_extra_info("ssl_object").session_reused)


async def test_a_second_connection_to_an_origin_resumes_the_first_ones_session(
    tls: tuple[ssl.SSLContext, tuple[Path, Path]],
) -> None:
    client, pair = tls
    handler = Resumptions()
    pool = http11.Pool(client)
    async with serving(handler, tls=server_context(*pair)) as server:
        assert await answered(pool, server) is False  # nothing to offer yet: a full handshake
        assert await answered(pool, server) is True
        assert await answered(pool, server) is True  # and again, with the session the resumed one received
        assert handler.resumed == [False, True, True]
        await pool.aclose()
        await handler.all_ended()


def test_resumption_on_uvloop_the_bridges_loop(tls: tuple[ssl.SSLContext, tuple[Path, Path]]) -> None:
    """The session goes through `create_connection`'s `ssl` argument on uvloop as well as on asyncio's loop."""
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(test_a_second_connection_to_an_origin_resumes_the_first_ones_session(tls))


async def test_a_session_is_offered_to_its_own_origin_only(tls: tuple[ssl.SSLContext, tuple[Path, Path]]) -> None:
    """Two servers sharing one TLS context (and so one ticket key): each would resume the other's session if it were
    offered; another port is another origin, and its first connection does a full handshake."""
    client, pair = tls
    shared = server_context(*pair)
    first, second = Resumptions(), Resumptions()
    pool = http11.Pool(client)
    async with serving(first, tls=shared) as one, serving(second, tls=shared) as other:
        assert await answered(pool, one) is False
        assert await answered(pool, one) is True
        assert await answered(pool, other) is False
        assert await answered(pool, other) is True
        assert (first.resumed, second.resumed) == ([False, True], [False, True])
        await pool.aclose()
        await first.all_ended()
        await second.all_ended()


async def test_a_server_that_gives_no_sessions_gets_full_handshakes(
    tls: tuple[ssl.SSLContext, tuple[Path, Path]],
) -> None:
    client, pair = tls
    stingy = server_context(*pair)
    stingy.num_tickets = 0  # TLS 1.3: no NewSessionTicket, nothing a client could resume
    handler = Resumptions()
    pool = http11.Pool(client)
    async with serving(handler, tls=stingy) as server:
        assert await answered(pool, server) is False
        assert await answered(pool, server) is False
        assert handler.resumed == [False, False]
        assert pool._sessions.newest == {}  # a session without a ticket is not kept
        await pool.aclose()
        await handler.all_ended()


async def test_a_session_the_server_no_longer_knows_falls_back_to_a_full_handshake(
    tls: tuple[ssl.SSLContext, tuple[Path, Path]],
) -> None:
    """The server restarted (new ticket keys) where it was: the session offered is refused, the connection is made
    with a full handshake and answers, and the next one resumes the new server's session."""
    client, pair = tls
    before, after = Resumptions(), Resumptions()
    pool = http11.Pool(client)
    async with serving(before, tls=server_context(*pair)) as server:
        assert await answered(pool, server) is False
        for conn in pool.idle(key(server)):
            conn.close()
        await before.all_ended()
    origin = key(server)
    offered = pool._sessions.newest[origin]  # what the next connection to that origin offers
    async with serving(after, tls=server_context(*pair), port=server.port) as restarted:
        assert key(restarted) == origin
        assert await answered(pool, restarted) is False  # refused, and answered all the same
        assert pool._sessions.newest[origin] is not offered  # the new server's session instead ...
        assert await answered(pool, restarted) is True  # ... resumed by the next connection
        assert after.resumed == [False, True]
        await pool.aclose()
        await after.all_ended()


async def test_the_keepers_connections_resume_too(tls: tuple[ssl.SSLContext, tuple[Path, Path]]) -> None:
    """`Warm` opens its connections through the pool: once the origin gave a session, they offer it."""
    client, pair = tls
    handler = Resumptions()
    pool = http11.Pool(client)
    async with serving(handler, tls=server_context(*pair)) as server:
        assert await answered(pool, server) is False
        for conn in pool.idle(key(server)):
            conn.close()  # the keeper opens its two itself
        warm = Warm(pool, key(server), b"/v1", (b"host", b"127.0.0.1")).start()
        try:
            await wait_until_async(lambda: len(pool.idle(key(server))) == 2, "two warm connections, verified")
        finally:
            await warm.aclose()
        assert handler.resumed == [False, True, True]
        await pool.aclose()
        await handler.all_ended()
