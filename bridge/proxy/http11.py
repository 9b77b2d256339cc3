"""The upstream hop's HTTP/1.1 client: kept-alive connections on asyncio's own transports, answers parsed by
httptools (llhttp, the C parser uvicorn already uses for the local side).

Why not httpcore2 for this hop: per proxied request anyio, httpcore2 and h11 (pure Python) spent ~1.6 M instructions,
two thirds of the bridge's cost (docs/performance.md). The proxy needs one thing from a client: send a request whose
head and body are ready and stream the answer back. That is all this does. `bridge/proxy/sender.py` uses it only
for direct connections with httpx2's default settings; through an HTTP or SOCKS proxy (HTTPS_PROXY, ...) httpcore2
still does the work. Failures raise httpcore2's exceptions, so one error mapping serves both. httpcore2 itself is
imported only when one is raised (it costs ~70 ms: its own pools, anyio, h11), so a process that meets no error, such
as the stdio shim (`bridge/stdio/`, a process per client), never loads it; `errors()` catches them without it.

TLS sessions are resumed (`tls_sessions.py`): a new connection offers the newest session one to its origin received.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import ssl
import sys
import time
from collections.abc import AsyncGenerator, Callable
from typing import cast

import httptools

from bridge.proxy.sockets import KEEPALIVE_COUNT, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL
from bridge.proxy.sockets import open_socket as _open_socket
from bridge.proxy.tls_sessions import TlsSessions

__all__ = ["KEEPALIVE_COUNT", "KEEPALIVE_IDLE", "KEEPALIVE_INTERVAL", "Pool", "Response", "errors", "request_head"]

_HIGH_WATER = 1 << 20  # unread answer bytes after which reading pauses (a slow client behind a fast stream) ...
_LOW_WATER = 1 << 18  # ... and resumes
_NO_BODY_STATUS = frozenset({204, 304})

Key = tuple[str, str, int]  # scheme, host, port


def errors() -> tuple[type[Exception], ...]:
    """What this module raises (httpcore2's timeouts, network and protocol errors), for an `except` clause, which
    Python evaluates only when an exception reaches it. Empty while httpcore2 is not loaded: none of its exceptions can
    exist then, and catching (a cancellation, say) does not load it."""
    httpcore2 = sys.modules.get("httpcore2")
    if httpcore2 is None:
        return ()
    return (httpcore2.TimeoutException, httpcore2.NetworkError, httpcore2.ProtocolError)


def _error(kind: str, message: str) -> Exception:
    """httpcore2's exception `kind`, httpcore2 imported only now (see the module's docstring)."""
    import httpcore2

    return getattr(httpcore2, kind)(message)


class Pool:
    """Connections per origin, reused while the server keeps them alive (LIFO; at most `max_idle` idle per origin,
    none idle for `keepalive_expiry` seconds or more).

    The expiry is below uvicorn's 5 s (the local bridge's and the sandbox's idle timeout; Port's load balancers keep
    connections longer): a connection is given up before its server would close it, so a request that cannot be
    repeated (`request`) is not sent into a connection the server is closing at that moment.

    TLS sessions (`tls_sessions.py`): a new TLS connection's first complete answer (`release`) leaves its session as
    its origin's newest, which the next connection to that origin offers (`_connect`)."""

    def __init__(
        self, ssl_context: ssl.SSLContext | None, *, keepalive_expiry: float = 4.0, max_idle: int = 20
    ) -> None:
        self._ssl_context = ssl_context
        self._expiry = keepalive_expiry
        self._max_idle = max_idle
        self._idle: dict[Key, list[_Connection]] = {}
        self._all: set[_Connection] = set()
        # Origins a keeper (`warm.Warm`) holds connections open to: how long theirs stay usable, and whom to tell when
        # one is taken or lost.
        self._kept: dict[Key, tuple[float, Callable[[_Connection], None]]] = {}
        self._sessions = TlsSessions()  # made by `_ssl_context`, offered through it only

    async def request(
        self,
        key: Key,
        head: bytes,
        body: bytes,
        *,
        connect_timeout: float | None,
        read_timeout: float | None,
        repeatable: bool = False,
    ) -> Response:
        """Send `head` (request line and headers, ending with the blank line) and `body` to the origin `key`; returns
        once the answer's status and headers are in. The caller must `aclose()` the response.

        `repeatable`: the request may be sent a second time, on a new connection, when a kept-alive connection turns
        out closed by the server before any byte of the answer (its idle timeout, most likely: then the server never
        read it). Only then: a server may also have read it and failed before answering, and what it did would be
        done twice (Go resends only idempotent requests, for that reason)."""
        conn = self._take(key)
        if conn is not None:
            try:
                return await self._exchange(conn, head, body, read_timeout)
            except Exception as exc:
                import httpcore2  # loaded already: `_exchange` raises its exceptions

                if not repeatable or conn.received or not isinstance(exc, httpcore2.RemoteProtocolError):
                    raise
        conn = await self._connect(key, connect_timeout)
        return await self._exchange(conn, head, body, read_timeout)

    async def _exchange(self, conn: _Connection, head: bytes, body: bytes, read_timeout: float | None) -> Response:
        conn.send(head, body)
        try:
            await conn.until_headers(read_timeout)
        except BaseException:
            conn.in_use = False  # what the connection's end would say, nobody is left to hear
            conn.close()
            raise
        return Response(conn, self, read_timeout)

    async def aclose(self) -> None:
        for conn in list(self._all):
            conn.close()
        self._idle.clear()
        self._sessions.newest.clear()

    def _take(self, key: Key) -> _Connection | None:
        idle = self._idle.get(key)
        now, wall = time.monotonic(), time.time()
        expiry, told = self._kept.get(key, (self._expiry, None))
        while idle:
            conn = idle.pop()
            if told is not None:
                told(conn)
            # not expired, and the computer did not sleep meanwhile (the wall clock ran on, the monotonic one did not)
            if not conn.closed and now - conn.idle_since < expiry and wall - conn.idle_wall < expiry + 1:
                return conn
            conn.close()
        return None

    def keep(self, key: Key, expiry: float, told: Callable[[_Connection], None]) -> None:
        """Connections to `key` stay usable `expiry` seconds idle (a keeper verifies them sooner than that); `told`
        hears of each one taken from the idle ones or lost."""
        self._kept[key] = (expiry, told)

    def unkeep(self, key: Key) -> None:
        self._kept.pop(key, None)

    def idle(self, key: Key) -> list[_Connection]:
        """The idle connections to `key`, oldest first (a copy)."""
        return list(self._idle.get(key, ()))

    def idle_count(self, key: Key) -> int:
        return len(self._idle.get(key, ()))

    def claim(self, conn: _Connection) -> bool:
        """Take a given idle connection out of the idle ones (to verify it); False if it is no longer idle."""
        idle = self._idle.get(conn.key)
        if not idle or conn not in idle or conn.closed:
            return False
        idle.remove(conn)
        return True

    async def open(self, key: Key, timeout: float | None) -> _Connection:
        """A new connection to `key`, not yet idle: `exchange` on it, then `aclose()` the response to keep it."""
        return await self._connect(key, timeout)

    async def exchange(self, conn: _Connection, head: bytes, body: bytes, read_timeout: float | None) -> Response:
        """Send a request on a connection from `open` or `claim` (a keeper's verification)."""
        return await self._exchange(conn, head, body, read_timeout)

    def release(self, conn: _Connection) -> None:
        """Take a connection back after a complete answer (closing it when the server does not keep it alive)."""
        if conn.session_due:
            conn.session_due = False
            if conn.transport is not None:
                self._sessions.remember(conn.key, conn.transport.get_extra_info("ssl_object"))
        if conn.closed or not conn.keep_alive:
            conn.close()
            return
        idle = self._idle.setdefault(conn.key, [])
        if len(idle) >= self._max_idle:
            conn.close()
            return
        conn.reset()
        conn.idle_since, conn.idle_wall = time.monotonic(), time.time()
        idle.append(conn)

    def forget(self, conn: _Connection) -> None:
        self._all.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        kept = self._kept.get(conn.key)
        if kept is not None:
            kept[1](conn)

    async def _connect(self, key: Key, timeout: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        tls = None
        if scheme == "https":  # never in the clear: a pool made without a context verifies as Python's default does
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            tls = self._sessions.offer(key, self._ssl_context)
        try:
            async with asyncio.timeout(timeout):
                sock = await _open_socket(loop, host, port)
                try:
                    _, conn = await loop.create_connection(
                        lambda: _Connection(key, self), sock=sock, ssl=tls, server_hostname=host if tls else None
                    )
                except BaseException:
                    sock.close()
                    raise
        except TimeoutError as exc:
            raise _error("ConnectTimeout", f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # refused, unreachable, name not found, TLS (ssl.SSLError is an OSError)
            raise _error("ConnectError", str(exc) or type(exc).__name__) from exc
        self._all.add(conn)
        return conn


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: its transport, its parser, and the answer being received on it."""

    def __init__(self, key: Key, pool: Pool) -> None:
        self.key = key
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = self.idle_wall = 0.0
        self.peer_closed = False  # the server closed it in good order (not us, not a reset)
        self.loop = asyncio.get_running_loop()  # made by the loop's create_connection: always inside it
        self.deadline = 0.0  # when the current wait times out (inf: never)
        self.timer: asyncio.TimerHandle | None = None  # enforces `deadline`; may be set for an earlier one
        self.timer_at = 0.0
        self.session_due = key[0] == "https"  # its TLS session not yet looked at (`Pool.release`)
        self.reset()

    def reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.paused = False
        self.headers_done = False
        self.until_eof = False  # a body without length or chunking ends when the server closes
        self.complete = False
        self.keep_alive = False  # read when the answer completes: llhttp forgets it right after
        self.received = 0
        self.in_use = False  # from sending a request until its answer is closed
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None

    # -- sending and waiting

    def send(self, head: bytes, body: bytes) -> None:
        assert self.transport is not None
        self.in_use = True
        self.transport.write(head + body if body else head)

    async def until_headers(self, timeout: float | None) -> None:
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self.wait(timeout)

    async def wait(self, timeout: float | None) -> None:
        """Until something happens on the connection (data, end, error), or `timeout` seconds without anything.

        A request waits several times (head, each chunk, the end): rather than a timer per wait, each wait moves the
        connection's deadline and one timer, re-armed only when it finds the deadline moved, enforces it."""
        loop = self.loop
        waiter = self.waiter = loop.create_future()
        if timeout is None:
            self.deadline = math.inf  # a timer armed by an earlier request on this connection must not fire for this
        else:
            self.deadline = loop.time() + timeout
            if self.timer is None or self.deadline < self.timer_at:  # none yet, or one set for a later deadline
                self._arm()
        try:
            await waiter
        finally:
            self.waiter = None

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at = self.deadline
        self.timer = self.loop.call_at(self.deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self.timer = None
        waiter = self.waiter
        if waiter is None or waiter.done() or self.closed:
            return  # nothing waits: the next wait arms a timer again
        if self.loop.time() >= self.deadline:
            waiter.set_exception(_error("ReadTimeout", "no answer in time"))
        elif self.deadline != math.inf:
            self._arm()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        self.pool.forget(self)

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # create_connection on a TCP socket: a stream transport (what `write` and `pause_reading` are called on)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.complete or not self.in_use:  # bytes nobody asked for (a wrong Content-Length): never reuse it
            self.keep_alive = False
            if not self.in_use:
                self.close()
            return
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(_error("RemoteProtocolError", "the server switched protocols"))
        except httptools.HttpParserError as exc:
            if self.complete:  # garbage after a whole answer: the answer stands, the connection does not
                self.keep_alive = False
                self.close()
                return
            self._fail(_error("RemoteProtocolError", f"invalid HTTP answer: {exc}"))

    def eof_received(self) -> bool:
        return False  # let the transport close: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.peer_closed = not self.closed and exc is None
        self.closed = True
        if not self.complete and self.error is None:
            if self.until_eof:
                self.complete = True
            elif not self.in_use:  # idle, or given up by its user: nobody to tell (and no httpcore2 to import)
                pass
            elif self.headers_done:
                self.error = _error("ReadError", "the server closed the connection in the middle of its answer")
            else:
                self.error = _error("RemoteProtocolError", "the server closed the connection without answering")
        self.pool.forget(self)
        self._wake()

    def pause_writing(self) -> None:  # a 4 MiB body at most: the transport's buffer takes it
        pass

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # 1xx: informational, the real answer follows (llhttp starts over after it)
            self.headers = []
            return
        self.status = status
        self.headers_done = True
        if status not in _NO_BODY_STATUS:
            names = {name.lower() for name, _ in self.headers}
            self.until_eof = b"content-length" not in names and b"transfer-encoding" not in names
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()
            self._wake()

    def _fail(self, error: Exception) -> None:
        self.error = error
        self.close()
        self._wake()

    def resume(self) -> None:
        if self.paused and self.buffered < _LOW_WATER and not self.closed and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()


class Response:
    """An answer as the proxy reads it: `status`, raw `headers`, the body as an async iterator (`stream`), and
    `aclose()`, which hands the connection back when the answer was read to its end and closes it otherwise
    (the same names as httpcore2's Response, so the proxy treats both alike)."""

    __slots__ = ("_conn", "_done", "_pool", "_timeout", "headers", "status", "stream")

    def __init__(self, conn: _Connection, pool: Pool, read_timeout: float | None) -> None:
        self._conn = conn
        self._pool = pool
        self._timeout = read_timeout
        self._done = False
        self.status = conn.status
        self.headers = conn.headers
        self.stream: AsyncGenerator[bytes, None] = self._body()

    async def _body(self) -> AsyncGenerator[bytes, None]:
        conn = self._conn
        while True:
            if conn.chunks:
                chunk = conn.chunks.popleft() if len(conn.chunks) == 1 else _take_all(conn.chunks)
                conn.buffered -= len(chunk)
                if conn.paused:
                    conn.resume()
                yield chunk
            elif conn.complete:
                return
            elif conn.error is not None:
                raise conn.error
            else:
                await conn.wait(self._timeout)

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.stream])

    async def aclose(self) -> None:
        if self._done:
            return
        self._done = True
        conn = self._conn
        with contextlib.suppress(RuntimeError):  # the generator is running (closed from within): nothing to finalise
            await self.stream.aclose()
        if conn.complete and not conn.chunks and conn.error is None:
            self._pool.release(conn)
        else:
            conn.in_use = False
            conn.close()


def _take_all(chunks: collections.deque[bytes]) -> bytes:
    out = b"".join(chunks)
    chunks.clear()
    return out


def request_head(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The request line and headers as sent. A CR, LF or NUL in a name or value would let it smuggle a header or a
    second request: refused (`httpcore2.LocalProtocolError`), as h11 would."""
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    head = b"".join(lines)
    # One line per header plus the request line and the blank one: any other CR or LF came from a name or value.
    if head.count(b"\n") != len(headers) + 2 or head.count(b"\r") != len(headers) + 2 or b"\0" in head:
        raise _error("LocalProtocolError", "a header name or value contains CR, LF or NUL")
    return head
