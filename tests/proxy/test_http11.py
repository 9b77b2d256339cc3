"""`bridge/proxy/http11.py`, the upstream hop's HTTP/1.1 client, against raw servers on loopback that answer byte
for byte what each test needs (keep-alive, close-delimited and chunked bodies, a server that dies, stalls or closes an
idle connection, TLS with the test's own certificate authority)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpcore2
import httpx2
import pytest

from bridge.proxy import http11, sockets
from tests.support.certs import make_ca, server_context
from tests.support.net import free_port, wait_until_async
from tests.support.upstream import Server, read_request, serving

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


def head(method: bytes = b"POST", headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
    base = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    return http11.request_head(method, b"/v1", base + (headers or []))


async def call(
    pool: http11.Pool, server: Server, body: bytes = b"{}", repeatable: bool = False, **timeouts: float | None
) -> tuple[int, bytes]:
    response = await pool.request(
        server.key, head(headers=[(b"content-length", str(len(body)).encode())]), body,
        connect_timeout=timeouts.get("connect", 5.0), read_timeout=timeouts.get("read", 5.0), repeatable=repeatable,
    )  # fmt: skip
    try:
        return response.status, await response.aread()
    finally:
        await response.aclose()


async def keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()


async def test_a_kept_alive_connection_is_reused() -> None:
    pool = http11.Pool(None)
    async with serving(keep_answering) as server:
        for _ in range(5):
            assert await call(pool, server) == (200, b"{}")
        assert server.connections == 1
    await pool.aclose()


async def test_upstream_connections_probe_a_silent_peer() -> None:
    """TCP keep-alive, so a stream whose connection died silently (sleep, VPN, NAT) ends instead of hanging."""
    pool = http11.Pool(None)
    async with serving(keep_answering) as server:
        await call(pool, server)
        sock = pool._idle[server.key][0].transport.get_extra_info("socket")  # type: ignore[union-attr]
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        if sys.platform.startswith("linux"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == http11.KEEPALIVE_IDLE
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == http11.KEEPALIVE_INTERVAL
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == http11.KEEPALIVE_COUNT
    await pool.aclose()


def test_an_idle_connection_is_given_up_before_uvicorn_would_close_it() -> None:
    """uvicorn (the local bridge, the sandbox) closes a connection idle for 5 s: the pool must let go of it sooner, or a
    request that cannot be repeated could be sent into a connection the server is closing at that moment."""
    import uvicorn

    assert http11.Pool(None)._expiry < uvicorn.Config(app=None).timeout_keep_alive  # type: ignore[arg-type]


async def test_connection_close_and_expired_idle_connections_are_not_reused() -> None:
    async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()

    pool = http11.Pool(None)
    async with serving(answer_then_close) as server:
        assert await call(pool, server) == (200, b"{}")
        assert await call(pool, server) == (200, b"{}")
        assert server.connections == 2
    expiring = http11.Pool(None, keepalive_expiry=0.05)
    async with serving(keep_answering) as server:
        await call(expiring, server)
        await asyncio.sleep(0.1)  # not synchronisation: the idle connection outlives its 0.05 s (a clock rule)
        await call(expiring, server)
        assert server.connections == 2
    await pool.aclose()
    await expiring.aclose()


async def test_a_repeatable_request_on_a_connection_the_server_dropped_as_it_was_reused_is_sent_again() -> None:
    """The server closes a kept-alive connection just as it is reused, having read the request, without a byte of
    answer. A repeatable request goes again on a new connection; any other is not (what the server may have done
    before failing would be done twice: a tool call may run an action), nor is an answer cut short."""

    async def one_answer_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await read_request(reader)  # then hangs up without answering

    pool = http11.Pool(None)
    async with serving(one_answer_per_connection) as server:
        assert await call(pool, server) == (200, b"{}")
        # Keep the idle connection in the pool although the server is about to drop it (no loop turn in between).
        assert await call(pool, server, repeatable=True) == (200, b"{}")
        assert server.connections == 2
        with pytest.raises(httpcore2.RemoteProtocolError):  # the second connection, reused: dropped, not repeated
            await call(pool, server)
        assert server.connections == 2

    async def half_an_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-len")
        await writer.drain()

    async with serving(half_an_answer) as server:
        with pytest.raises(httpcore2.RemoteProtocolError):
            await call(pool, server)
        assert server.connections == 1
    await pool.aclose()


async def test_bodies_chunked_close_delimited_and_after_an_informational_answer() -> None:
    async def varied(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            if b"chunked" in request:
                writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            elif b"informational" in request:
                writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n" + OK)
            else:  # no length, no chunking: the body ends when the server closes
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
                await writer.drain()
                return
            await writer.drain()

    pool = http11.Pool(None)
    async with serving(varied) as server:
        assert await call(pool, server, b'"chunked"') == (200, b"abcde")
        assert await call(pool, server, b'"informational"') == (200, b"{}")
        assert await call(pool, server, b'"close"') == (200, b"until the end")
        assert server.connections == 1  # kept alive through all three
    await pool.aclose()


async def test_a_stream_is_relayed_as_it_arrives_and_a_cut_is_an_error() -> None:
    more = asyncio.Event()

    async def stream_then_die(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        writer.write(b"8\r\ndata: 1\n\r\n")
        await writer.drain()
        await more.wait()
        writer.transport.abort()  # mid-stream, no terminating chunk

    pool = http11.Pool(None)
    async with serving(stream_then_die) as server:
        response = await pool.request(server.key, head(), b"", connect_timeout=5, read_timeout=5)
        assert response.status == 200 and (b"content-type", b"text/event-stream") in response.headers
        chunks = response.stream.__aiter__()
        assert await chunks.__anext__() == b"data: 1\n"  # before the server sends anything more
        more.set()
        with pytest.raises(httpcore2.ReadError):
            await chunks.__anext__()
        await response.aclose()
    await pool.aclose()


async def test_timeouts_and_refusals_are_httpcore2s_errors() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()  # never answers; done once the client gives up and closes

    pool = http11.Pool(None)
    async with serving(stall) as server:
        with pytest.raises(httpcore2.ReadTimeout):
            await call(pool, server, read=0.1)
    with pytest.raises(httpcore2.ConnectError):
        await pool.request(("http", "127.0.0.1", free_port()), head(), b"", connect_timeout=5, read_timeout=5)
    with pytest.raises(httpcore2.ConnectError):
        await pool.request(("http", "no-such-host.invalid", 80), head(), b"", connect_timeout=5, read_timeout=5)
    await pool.aclose()


LAZY_HTTPCORE2 = """
import asyncio, socket, sys
from bridge.proxy import http11
from tests.support.certs import make_ca, server_context
from tests.support.net import free_port, wait_until_async
from tests.support.upstream import Server, read_request, serving

async def main():
    handlers = []  # the server's side of each connection: done once the client has closed it

    async def answer(reader, writer):
        handlers.append(asyncio.current_task())
        try:
            while (request := await reader.readuntil(b"\\r\\n\\r\\n")).startswith(b"GET /whole"):
                writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\n\\r\\n{}")
            writer.write(b"HTTP/1.1 200 OK\\r\\ntransfer-encoding: chunked\\r\\n\\r\\n2\\r\\n{}\\r\\n")  # and no end
            await reader.read()
        except asyncio.IncompleteReadError:
            pass  # the idle connection, closed by the pool
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    key = ("http", "127.0.0.1", server.sockets[0].getsockname()[1])
    pool = http11.Pool(None)
    whole, endless = (http11.request_head(b"GET", path, [(b"host", b"x")]) for path in (b"/whole", b"/endless"))
    for _ in range(3):  # a whole answer (the connection kept), then one given up half-read (closed)
        response = await pool.request(key, whole, b"", connect_timeout=5, read_timeout=5)
        assert await response.aread() == b"{}"
        await response.aclose()
        response = await pool.request(key, endless, b"", connect_timeout=5, read_timeout=5)
        await response.stream.__anext__()
        await response.aclose()
    idle = await pool.request(key, whole, b"", connect_timeout=5, read_timeout=5)
    await idle.aread()
    await idle.aclose()
    await pool.aclose()  # closes the idle connection
    await asyncio.wait_for(asyncio.gather(*handlers), 10)  # every connection closed, the client's side handled too
    assert "httpcore2" not in sys.modules and http11.errors() == ()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        refused = ("http", "127.0.0.1", free.getsockname()[1])
    try:
        await pool.request(refused, whole, b"", connect_timeout=5, read_timeout=5)
    except http11.errors() as exc:
        import httpcore2
        assert isinstance(exc, httpcore2.ConnectError), exc
    print("ok")

asyncio.run(main())
"""


def test_httpcore2_is_loaded_only_when_an_error_is_raised() -> None:
    """Importing httpcore2 costs ~70 ms: the stdio shim, a process per client, must not pay it for a session without
    errors (answers read whole or given up, connections closed). `errors()` catches what is raised once it is."""
    done = subprocess.run([sys.executable, "-c", LAZY_HTTPCORE2], capture_output=True, text=True, timeout=30,
                          cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.stdout == "ok\n", done.stderr


async def test_a_stream_without_a_read_timeout_outlives_an_earlier_requests_deadline() -> None:
    """A GET stream (no read timeout) on a connection that a POST with a short one used before: the POST's deadline
    must not end the stream."""

    async def answer_then_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.5)  # not synchronisation: quiet for longer than the POST's read timeout, the rule tested
        writer.write(b"8\r\ndata: 1\n\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()  # keeps the connection until the client closes it

    pool = http11.Pool(None)
    async with serving(answer_then_stream) as server:
        assert await call(pool, server, read=0.2) == (200, b"{}")
        response = await pool.request(server.key, head(b"GET"), b"", connect_timeout=5, read_timeout=None)
        assert await response.aread() == b"data: 1\n"
        await response.aclose()
        assert server.connections == 1
    await pool.aclose()


async def test_a_short_read_timeout_after_a_long_one_on_the_same_connection_is_kept() -> None:
    async def answer_then_stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await read_request(reader)
        await reader.read()  # never answers; done once the client gives up and closes

    pool = http11.Pool(None)
    async with serving(answer_then_stall) as server:
        assert await call(pool, server, read=60) == (200, b"{}")
        # Which timeout applies is the contract, so time is what tells: the 0.2 s one fires, not the 60 s one before
        # it (10 s: far above the one, far below the other).
        async with asyncio.timeout(10):
            with pytest.raises(httpcore2.ReadTimeout):
                await call(pool, server, read=0.2)
        assert server.connections == 1
    await pool.aclose()


async def test_an_answer_closed_before_its_end_closes_its_connection() -> None:
    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4000000\r\n\r\n" + b"x" * 4_000_000)
            await writer.drain()

    pool = http11.Pool(None)
    async with serving(big) as server:
        response = await pool.request(server.key, head(), b"", connect_timeout=5, read_timeout=5)
        await response.stream.__aiter__().__anext__()
        await response.aclose()
        status, body = await call(pool, server)
        assert (status, len(body)) == (200, 4_000_000)
        assert server.connections == 2
    await pool.aclose()


async def test_a_slow_reader_pauses_the_socket_instead_of_buffering_everything() -> None:
    sent = 8 << 20

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % sent)
        for _ in range(sent >> 16):
            writer.write(b"y" * (1 << 16))
            await writer.drain()

    pool = http11.Pool(None)
    async with serving(flood) as server:
        response = await pool.request(server.key, head(), b"", connect_timeout=5, read_timeout=5)
        conn = response._conn
        await wait_until_async(lambda: conn.paused, "the connection paused reading")  # the server floods; nobody reads
        assert conn.buffered < 2 * 1024 * 1024
        total = sum([len(chunk) async for chunk in response.stream])
        assert total == sent and not conn.paused
        await response.aclose()
    await pool.aclose()


def test_a_header_cannot_smuggle_another_header_or_request() -> None:
    assert http11.request_head(b"GET", b"/v1", [(b"host", b"a")]) == b"GET /v1 HTTP/1.1\r\nhost: a\r\n\r\n"
    for bad in (b"x\r\nx-read-only-mode: 0", b"x\ny", b"x\ry", b"x\0"):
        with pytest.raises(httpcore2.LocalProtocolError):
            http11.request_head(b"POST", b"/v1", [(b"authorization", bad)])
        with pytest.raises(httpcore2.LocalProtocolError):
            http11.request_head(b"POST", b"/v1", [(bad, b"1")])


def test_addresses_alternate_between_families() -> None:
    v6 = [(socket.AF_INET6, 1, 6, "", (f"::{i}", 443)) for i in (1, 2, 3)]
    v4 = [(socket.AF_INET, 1, 6, "", (f"10.0.0.{i}", 443)) for i in (1, 2)]
    order = [info[4][0] for info in sockets.interleave([*v6, *v4])]
    assert order == ["::1", "10.0.0.1", "::2", "10.0.0.2", "::3"]


async def test_a_dead_address_first_costs_a_fraction_of_a_second_not_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Happy Eyeballs: the first address never answers (a black-holed route), the second does."""
    loop = asyncio.get_running_loop()
    async with serving(keep_answering) as server:
        dead = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.255.255.1", server.port))  # not routable here
        live = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))

        async def addresses(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
            return [dead, live]

        monkeypatch.setattr(loop, "getaddrinfo", addresses)
        pool = http11.Pool(None)
        started = loop.time()
        key = ("http", "port-api.invalid", server.port)  # a name: resolved (by the stand-in above), not a literal
        response = await pool.request(key, head(), b"", connect_timeout=5, read_timeout=5)
        assert (response.status, await response.aread()) == (200, b"{}")
        await response.aclose()
        # The delay before the next address is the contract: a fraction of a second, not the 5 s connect timeout.
        assert loop.time() - started < 2.0
        await pool.aclose()


# --- TLS -------------------------------------------------------------------------------------------------------


def _certificates(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate authority of the test's own, and a server's context with a certificate for 127.0.0.1 it signed."""
    ca_file, cert_file, key_file = make_ca(tmp_path)
    return ca_file, server_context(cert_file, key_file)


async def test_tls_with_the_cas_httpx2_trusts_and_a_clear_error_without_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `McpProxy`'s route, as Port is reached: the certificate authorities are httpx2's (here the
    SSL_CERT_FILE a corporate network would set), the connection is kept alive, an unknown CA fails to connect."""
    from bridge.proxy.forward import McpProxy
    from bridge.proxy.state import Sessions

    ca_file, server_tls = _certificates(tmp_path)
    async with serving(keep_answering, tls=server_tls) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        proxy = McpProxy(lambda pinned: None, Sessions(), httpx2.AsyncClient(trust_env=True))
        route = proxy.sender.route(f"https://127.0.0.1:{server.port}/v1")
        assert route.direct is not None and route.key == ("https", "127.0.0.1", server.port)
        for _ in range(3):
            response = await route.direct.request(route.key, head(), b"", connect_timeout=5, read_timeout=5)
            assert (response.status, await response.aread()) == (200, b"{}")
            await response.aclose()
        assert server.connections == 1
        await proxy.aclose()

        monkeypatch.delenv("SSL_CERT_FILE")
        untrusting = McpProxy(lambda pinned: None, Sessions(), httpx2.AsyncClient(trust_env=False))
        route = untrusting.sender.route(f"https://127.0.0.1:{server.port}/v1")
        with pytest.raises(httpcore2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await route.direct.request(route.key, head(), b"", connect_timeout=5, read_timeout=5)
        await untrusting.aclose()

        bare = http11.Pool(None)  # made without a context: an https origin is still TLS, verified, never in the clear
        with pytest.raises(httpcore2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await bare.request(("https", "127.0.0.1", server.port), head(), b"", connect_timeout=5, read_timeout=5)
        await bare.aclose()


async def test_a_connection_the_server_sent_stray_bytes_on_is_never_reused() -> None:
    """A server out of step with its connection (a byte after a whole answer, as a wrong Content-Length leaves): the
    answer stands, the connection is dropped, and the next request gets its own answer on a new one (found by the
    upstream fuzzer: the next profile's answer read as garbage)."""
    answered, stray_sent = asyncio.Event(), asyncio.Event()

    async def one_stray_byte(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await answered.wait()
        writer.write(b"HTTP/1.1 2")  # after the answer was read, while the connection waits in the pool
        await writer.drain()
        stray_sent.set()
        await keep_answering(reader, writer)

    pool = http11.Pool(None)
    async with serving(one_stray_byte) as server:
        assert await call(pool, server) == (200, b"{}")
        answered.set()
        await stray_sent.wait()
        await wait_until_async(lambda: not pool._idle.get(server.key), "the spoiled connection to be dropped")
        assert await call(pool, server) == (200, b"{}")
        assert server.connections == 2
    await pool.aclose()
