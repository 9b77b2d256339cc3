"""The local HTTP server's limits, enforced while a request head is still arriving: uvicorn's httptools protocol with
a cap on the head's size, its URL and its number of headers, a deadline for the head, and a cap on connections.

Why here, before any check of the app's: uvicorn hands the head to httptools as it arrives, and httptools keeps a
header's value growing (`bytes +=`, quadratic) and collects every header until the head is complete; only then does
the app (and its guard) see the request. A single local process could send a header without end and make the bridge
buffer hundreds of megabytes and spend its CPU on it, slowing every IDE's requests, or hold connections open without
ever finishing a request. So `LimitedHttpTools` counts a head's bytes before the parser sees them, and refuses:

- a head over `Limits.head_bytes` (64 KiB) or with more than `max_headers` (100) headers: 431; a URL over `url_bytes`
  (16 KiB): 414; with `connection: close`, having read no more than the limit (the rest is never read);
- a head not complete within `head_timeout` (5 s) of the connection or of its first byte: 408 if part of a request
  came, else the connection is just closed (idle kept-alive connections keep uvicorn's 5 s timeout);
- beyond `max_requests` under way (`descriptors.connection_cap`), a request is answered by the `busy` app (the
  bridge's says so in JSON-RPC, `bridge.proxy.busy`) and its connection closed;
- at `max_connections` open (a quarter more) accepting pauses (`bridge.system.acceptor`), so descriptors never run
  out, and the connection idle the longest (no request under way, idle for `evict_after`, 0.5 s, or more: one just
  made is about to send its request) is closed to make room for the next (`make_room`).

The parser is fed at most `_PIECE` bytes at a time, so a head that begins behind another request in the same read
(pipelining) is counted to within a piece: a head up to 48 KiB is always accepted, one over 64 KiB never.
Refusals are logged at most once a minute per kind (`_Quiet`): a flood must not flood the log as well.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger(__name__)

_PIECE = 16 * 1024  # bytes given to the parser at a time (see the module's docstring)


@dataclass(frozen=True)
class Limits:
    head_bytes: int = 64 * 1024  # request line and headers together
    url_bytes: int = 16 * 1024
    max_headers: int = 100
    head_timeout: float = 5.0  # seconds for a whole head, from the connection or from its first byte
    max_requests: int = 1000  # under way at once; one more is answered by the `busy` app
    evict_after: float = 0.5  # seconds idle after which a connection may be closed to make room for another

    @property
    def max_connections(self) -> int:
        """Open connections at which accepting pauses (`acceptor`): the requests, and room for refusing more."""
        return self.max_requests + max(4, self.max_requests // 4)


async def busy_plain(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a request that finds every connection taken (the default `busy` app)."""
    body = b"Too many connections at once: try again in a moment."
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close"), (b"retry-after", b"1")]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Refused(Exception):
    """Raised from a parser callback to stop the head at once (llhttp then reports a callback error)."""


class _Quiet:
    """A warning per kind at most once every `every` seconds, saying how many were left out meanwhile."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {}

    def warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        if now - self.last.get(kind, -self.every) < self.every:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return
        self.last[kind] = now
        more = self.skipped.pop(kind, 0)
        log.warning("%s%s", message, f" ({more} more since the last such warning)" if more else "")


_QUIET = _Quiet()


def quiet_warning(kind: str, message: str) -> None:
    """Log `message` unless one of its `kind` was logged within the last minute."""
    _QUIET.warn(kind, message)


_REASONS = {
    408: "The request was not complete in time.",
    414: "The request's URL is too long.",
    431: "The request's headers are too large.",
}


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with `limits` enforced as the head arrives (see the module's docstring). A server
    uses a subclass made by `protocol_class`, which sets `limits` and `busy`."""

    limits: ClassVar[Limits] = Limits()
    busy: ClassVar[ASGIApp] = busy_plain

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app = self.app  # `self.app` is what uvicorn runs for the next request: the app, or `busy`
        self.in_head = True  # between requests or inside a head (not in a body)
        self.head_bytes = 0  # of the current head, counted before the parser sees them
        self._url_bytes = 0
        self._header_count = 0
        self._completed = False  # a request's end was parsed in the current piece
        self._refusal = 0  # the status a parser callback refused the head with
        self._head_timer: asyncio.TimerHandle | None = None
        self.idle_since = 0.0

    # -- the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle_since = self.loop.time()
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:  # also for a connection closed to make room
        self._cancel_head_timer()
        super().connection_lost(exc)

    def idle(self) -> bool:
        """No request under way: between requests, or a head still arriving (or not even begun)."""
        return (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing()

    # -- the bytes

    def data_received(self, data: bytes) -> None:
        """uvicorn's, but the head is counted before the parser gets it, and the parser gets at most `_PIECE` bytes."""
        self._unset_keepalive_if_required()
        view = memoryview(data)
        while view:
            if self.parser is None or self.transport.is_closing():
                return
            if self.in_head:
                room = self.limits.head_bytes - self.head_bytes
                if room <= 0:
                    self._refuse(431)
                    return
                if self._head_timer is None:
                    self._arm_head_timer()
                size = min(len(view), room, _PIECE)
                self.head_bytes += size
            else:
                size = min(len(view), _PIECE)
            piece, view = view[:size], view[size:]
            self._completed = False
            try:
                self.parser.feed_data(piece)
            except httptools.HttpParserUpgrade:
                _QUIET.warn("upgrade", "Unsupported upgrade request.")  # served as plain HTTP, as uvicorn does
                return
            except httptools.HttpParserError:
                if self._refusal:
                    self._refuse(self._refusal)
                else:
                    _QUIET.warn("invalid", "Invalid HTTP request received.")
                    self.send_400_response("Invalid HTTP request received.")
                return
            if self._completed and self.in_head:
                self.head_bytes = size  # the next head began in this piece: at most all of it

    def _refuse(self, status: int) -> None:
        """Answer `status` and close, reading nothing more; only cut the connection if an answer is under way on it
        (a pipelined request's), which the refusal must not be written into."""
        self._cancel_head_timer()
        _QUIET.warn(str(status), f"Refused a request: {_REASONS[status]} (HTTP {status})")
        if self.cycle is None or self.cycle.response_complete:
            body = _REASONS[status].encode()
            lines = [STATUS_LINE[status]]
            lines += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
            lines.append(b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n")
            lines.append(b"content-length: %d\r\n\r\n" % len(body))
            self.transport.write(b"".join(lines) + body)
        self.transport.close()

    # -- the head's deadline

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self.in_head:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # an answer is under way: the next bytes arm the timer again, uvicorn's idle timeout follows it
        if self.head_bytes:
            self._refuse(408)
        else:
            self.transport.close()  # connected and said nothing

    # -- parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = 0
        self._header_count = 0

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.limits.url_bytes:
            self._refusal = 414
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refusal = 431
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self._cancel_head_timer()
        crowded = len(self.tasks) >= self.limits.max_requests  # uvicorn's tasks: one per request under way
        self.app = type(self).busy if crowded else self._app  # via the class: a function, not a method
        if crowded:
            _QUIET.warn("busy", f"{self.limits.max_requests} requests under way: answered 503 to one more.")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head = True
        self.head_bytes = 0
        self._completed = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.idle_since = self.loop.time()


def make_room(connections: set[Any], limits: Limits, now: float) -> bool:
    """Close the connection idle the longest, if it has been idle `limits.evict_after` seconds or more: a client that
    has just connected is about to send its request. False when there is none to close."""
    idle = [c for c in connections if isinstance(c, LimitedHttpTools) and c.idle()]
    oldest = min(idle, key=lambda conn: conn.idle_since, default=None)
    if oldest is None or now - oldest.idle_since < limits.evict_after:
        return False
    _QUIET.warn("evicted", f"Over {limits.max_connections} connections: closed the one idle the longest.")
    connections.discard(oldest)  # counted out now: its connection_lost comes on the next turn of the loop
    oldest.transport.close()
    return True


def protocol_class(limits: Limits, busy: ASGIApp = busy_plain) -> type[LimitedHttpTools]:
    """`LimitedHttpTools` with these limits and this `busy` app, for uvicorn's `Config(http=...)`."""

    class Limited(LimitedHttpTools):
        pass

    Limited.limits = limits
    Limited.busy = busy
    return Limited
