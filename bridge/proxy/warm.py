"""Warm connections: the active profile's Port kept connected and verified for as long as the bridge runs, so that a
new IDE session, and the first call after an hour of quiet, pay for their own requests only and not for TCP and TLS
handshakes (two or three round trips each, 60-300 ms over the internet; docs/performance.md, "Faster than direct").

`Warm` keeps `count` idle connections to one origin in the `http11.Pool` the proxy sends through, each verified by a
request that carries nothing of the user: `GET /.well-known/oauth-protected-resource<path>`, the public RFC 9728
metadata every MCP client may fetch (docs/port-compatibility.md, "MCP endpoint and transport"; a 404 would verify
the connection as well). No token, no header of a client, no profile's policy goes on these requests, and what they
answer is read and dropped: an IDE never receives a byte of it. Connections are per origin (scheme, host, port), as
the pool's are; what flows on them is each request's own.

- Opened when the bridge starts and when the active profile changes (`BridgeService`), topped up at once when none
  is left idle (a new session's requests and the GET stream many clients hold), or one is lost, and otherwise once
  requests have left them alone for `SETTLE` seconds (calls one after another reuse one and open nothing).
- Verified again before the server's keep-alive would close them (every `every` seconds; a server that closes an idle
  connection sooner teaches the keeper its timeout, and it verifies at 80 % of that from then on), so the pool may
  keep them past its usual 4 s: every idle connection to the origin was answered less than `every` seconds ago.
- After a network change (the route to the server now leaves from another local address) or a sleep (the wall clock
  ran on while the monotonic clock stood still), the idle connections are dropped and new ones opened at once, on the
  keeper's next look (at most `LOOK` seconds): before a client needs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from typing import TYPE_CHECKING

from bridge.proxy import http11

if TYPE_CHECKING:
    from bridge.proxy.sender import Sender

log = logging.getLogger(__name__)

WARM_CONNECTIONS = 2  # a new session needs two at once: its requests, and the GET stream many clients open early
VERIFY_EVERY = 20.0  # seconds: under the idle timeouts of load balancers (AWS 60 s, nginx 75 s, GCP 600 s)
LOOK = 5.0  # seconds between two looks for a sleep or a network change
SLEPT = 5.0  # the wall clock ahead of the monotonic one by more than this since the last look: the computer slept
MIN_VERIFY = 1.0  # never verify more often than this, whatever a server's timeout
# With one connection still idle, topping up waits until no request took one for this long: a run of calls, each on
# the last one released, then never opens connections it does not need (the second is for a burst, or a new session).
SETTLE = 1.0
_TIMEOUT = 10.0  # to connect, and to have the verification's answer
_MAX_BACKOFF = 60.0


class Warm:
    """Keeps `count` verified idle connections to one origin in `pool` until `stop()`."""

    def __init__(
        self,
        pool: http11.Pool,
        key: http11.Key,
        path: bytes,
        host: tuple[bytes, bytes],
        *,
        count: int = WARM_CONNECTIONS,
        every: float = VERIFY_EVERY,
    ) -> None:
        self.pool, self.key, self.count, self.every = pool, key, count, every
        metadata = b"/.well-known/oauth-protected-resource" + (path.split(b"?", 1)[0].rstrip(b"/"))
        self._head = http11.request_head(b"GET", metadata, [host, (b"accept", b"application/json")])
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._route: str | None = None  # the local address the route to the server leaves from
        self._taken_at = 0.0  # when a request last took an idle connection (monotonic)
        self._until = 0.0  # when the keeper's current wait ends (monotonic): a take that changes nothing sooner
        self._looked = 0.0  # when it last looked for a network change (monotonic)
        self.opened = 0  # connections opened so far (tests, logs)
        self.rounds = 0  # times the keeper woke and looked (tests)
        self.failures = 0  # verifications or connections failed in a row

    def start(self) -> Warm:
        self.pool.keep(self.key, self._expiry(), self._told)
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"warm {self.key[1]}")
        return self

    def stop(self) -> asyncio.Task[None] | None:
        """Stop keeping; the cancelled task (its connection attempts end with it), for a caller that can wait."""
        self.pool.unkeep(self.key)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        return task

    async def aclose(self) -> None:
        """Stop, and wait until the keeper's task and its connection attempts are gone (before the loop closes:
        a connect still under way there leaves uvloop unable to close)."""
        await settle([self.stop()])

    def _expiry(self) -> float:
        # Idle connections were verified less than `every` ago; the server keeps them at least every / 0.8.
        return self.every * 1.2

    def _told(self, conn: http11._Connection) -> None:
        """A connection was taken from the idle ones, or closed: top up, and learn from a server that closed an idle
        one sooner than expected.

        A take is on a request's path: with one connection still idle, the keeper's only news is that topping up waits
        `SETTLE` more, so it is woken only when it would otherwise sleep past that (about once a second in a run of
        calls, not once a call)."""
        if not conn.closed:
            self._taken_at = now = time.monotonic()
            if self.pool.idle_count(self.key) and self._until <= now + SETTLE:
                return
        if conn.peer_closed and not conn.in_use and conn.idle_since:
            idle = time.monotonic() - conn.idle_since
            if idle < self._expiry():
                self.every = max(MIN_VERIFY, idle * 0.8)
                self.pool.keep(self.key, self._expiry(), self._told)
                log.info("%s closes idle connections after %.0f s: verifying every %.1f s", self.key[1], idle,
                         self.every)  # fmt: skip
        self._wake.set()

    async def _run(self) -> None:
        mono, wall = time.monotonic(), time.time()
        while True:
            self._wake.clear()
            self.rounds += 1
            now, now_wall = time.monotonic(), time.time()
            moved = None
            if now - self._looked >= LOOK:  # the routing table is asked on the keeper's schedule, not on each wake
                self._looked = now
                moved = self._moved()
            if (now_wall - wall) - (now - mono) > SLEPT or moved:
                log.info("%s: %s; opening new connections", self.key[1], moved or "the computer slept")
                for conn in self.pool.idle(self.key):
                    conn.close()
            mono, wall = now, now_wall
            try:
                await self._verify_due(now)
                await self._top_up()
                self.failures = 0
            except Exception as exc:  # unreachable for now (OSError, httpcore2's errors, a timeout): try again later
                self.failures += 1
                if self.failures == 1:
                    log.info("Could not keep a connection to %s open: %s", self.key[1], exc)
            delay = min(_MAX_BACKOFF, 2.0**self.failures) if self.failures else self._next_due()
            self._until = time.monotonic() + delay
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    def _next_due(self) -> float:
        idle = self.pool.idle(self.key)
        due = min((c.idle_since + self.every for c in idle), default=time.monotonic() + self.every)
        if len(idle) < self.count:
            due = min(due, self._taken_at + SETTLE)
        now = time.monotonic()
        return max(0.05, min(LOOK, due - now, self._looked + LOOK - now))

    async def _verify_due(self, now: float) -> None:
        """Verify the idle connections due, oldest first; those beyond `count` (left by a burst of requests) are
        closed instead: kept warm is `count`, not whatever was once needed."""
        idle = self.pool.idle(self.key)
        extra = len(idle) - self.count
        for conn in idle:
            if now - conn.idle_since >= self.every and self.pool.claim(conn):
                if extra > 0:
                    extra -= 1
                    conn.close()
                else:
                    await self._verify(conn)

    async def _top_up(self) -> None:
        idle = len(self.pool.idle(self.key))
        missing = self.count - idle
        if missing > 0 and (not idle or time.monotonic() - self._taken_at >= SETTLE):
            await asyncio.gather(*(self._open() for _ in range(missing)))

    async def _open(self) -> None:
        conn = await self.pool.open(self.key, _TIMEOUT)
        self.opened += 1
        if self._route is None:
            self._route = _local_address(conn)
        await self._verify(conn)

    async def _verify(self, conn: http11._Connection) -> None:
        """One request whose answer is read and dropped; the connection goes back to the idle ones if the server
        keeps it."""
        try:
            response = await self.pool.exchange(conn, self._head, b"", _TIMEOUT)
        except BaseException:
            conn.close()
            raise
        try:
            async with asyncio.timeout(_TIMEOUT):
                await response.aread()
        finally:
            await response.aclose()
        if conn.closed:  # the server does not keep connections alive: nothing to keep warm
            raise OSError(f"{self.key[1]} closed the connection after answering")

    def _moved(self) -> str | None:
        """Why the idle connections are likely dead: the route to the server now leaves from another local address
        (another network: Wi-Fi, VPN). Asks the kernel's routing table with an unconnected UDP socket: nothing sent."""
        before = self._route
        idle = self.pool.idle(self.key)
        if before is None or not idle:
            return None
        peer = idle[-1].transport.get_extra_info("peername") if idle[-1].transport is not None else None
        if not peer:
            return None
        try:
            with socket.socket(socket.AF_INET6 if ":" in peer[0] else socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(peer[:2])
                now = probe.getsockname()[0]
        except OSError:  # no route at all: the next verification will fail and say so
            return None
        if now != before:
            self._route = now
            return f"the network changed ({before} → {now})"
        return None


def _local_address(conn: http11._Connection) -> str | None:
    sockname = conn.transport.get_extra_info("sockname") if conn.transport is not None else None
    return sockname[0] if sockname else None


def follow(
    current: Warm | None, sender: Sender, url: str | None, retired: set[asyncio.Task[None]] | None = None
) -> Warm | None:
    """The keeper for the active profile's `url` (None: no active profile), reusing `current` when it already keeps
    that origin and stopping it otherwise. Only direct routes are kept warm: through an HTTP or SOCKS proxy httpcore2's
    pool sends (`Sender.route`)."""
    route = None
    if url is not None:
        try:
            route = sender.route(url)
        except Exception as exc:  # an address httpx2 cannot use: the first request will say why, not this
            log.info("Not keeping %s warm: %s", url, exc)
    if current is not None and (route is None or route.direct is not current.pool or route.key != current.key):
        task = current.stop()
        if task is not None and retired is not None:  # the caller waits for it before its loop closes
            retired.add(task)
            task.add_done_callback(retired.discard)
        current = None
    if current is None and route is not None and route.direct is not None:
        current = Warm(route.direct, route.key, route.url.target, route.host).start()
    return current


async def settle(tasks: list[asyncio.Task[None] | None]) -> None:
    """Wait for cancelled keepers to end, then let the loop run a few more times: Python 3.11's happy-eyeballs
    connect (`staggered_race`) cancels its own attempts without waiting for them."""
    pending = [t for t in tasks if t is not None and not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=5)
    for _ in range(5):
        await asyncio.sleep(0)
