"""Accepting connections only while there are descriptors for them: `LimitedServer`, uvicorn's server with its own
accept loop (`Acceptor`) in place of the event loop's.

The event loop's server accepts every connection waiting in the backlog at once. With more waiting than the process
has descriptors left, uvloop (libuv's "EMFILE trick") accepts and closes the surplus at once: each of those clients
sees its connection closed without a word, even though a moment later there would have been room. So connections are
accepted here one by one, and accepting pauses at `Limits.max_connections` (a little above the number of requests
under way beyond which `http_limits` answers 503) and when the OS has no descriptor left (EMFILE/ENFILE): the rest
wait in the kernel's backlog, each accepted and answered as room is made, which under a flood is within milliseconds
as refusals close their connections. Where the loop cannot watch a socket (Windows' proactor loop) uvicorn's own
server is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from bridge.system.descriptors import OUT_OF_DESCRIPTORS

try:  # as in loopback.py: without httptools (the benchmark's stand-in for Port), uvicorn's own server
    from bridge.system import http_limits
except ImportError:
    http_limits = None  # type: ignore[assignment]  # uvicorn's own accepting, h11's protocol

log = logging.getLogger(__name__)

_BATCH = 64  # connections accepted per turn of the loop, so a flood of them does not starve what is under way
_RECHECK = 0.01  # seconds between looks for room while paused
_OUT_OF_DESCRIPTORS_PAUSE = 0.1


class Acceptor:
    """Accepts connections on `sock` while fewer than `ceiling` are open (`connections`), each given a protocol made
    by `factory`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        factory: Callable[[], asyncio.Protocol],
        connections: set[Any],
        ceiling: int,
        make_room: Callable[[], bool] = lambda: False,
    ) -> None:
        self.loop = loop
        self.sock = sock
        self.factory = factory
        self.connections = connections
        self.ceiling = ceiling
        self.make_room = make_room  # closes an idle connection if there is one to close
        self.pending = 0  # accepted, their protocol not connected yet
        self.reading = False
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Raises NotImplementedError where the loop cannot watch a socket (the proactor loop)."""
        self.sock.setblocking(False)
        self.loop.add_reader(self.sock.fileno(), self._accept)
        self.reading = True

    def close(self) -> None:
        self.closed = True
        self._pause()
        if self._timer is not None:
            self._timer.cancel()

    def _room(self) -> bool:
        return len(self.connections) + self.pending < self.ceiling or self.make_room()

    def _accept(self) -> None:
        for _ in range(_BATCH):
            if not self._room():
                self._pause_until(_RECHECK)
                return
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in OUT_OF_DESCRIPTORS:
                    raise
                http_limits.quiet_warning(
                    "accept", "No file descriptor left to accept a connection: accepting again shortly."
                )
                self._pause_until(_OUT_OF_DESCRIPTORS_PAUSE)
                return
            self.pending += 1
            task = self.loop.create_task(self._connect(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            conn.setblocking(False)
            await self.loop.connect_accepted_socket(self.factory, conn)
        except OSError:
            conn.close()  # reset before it was set up, or no descriptor for the loop's own use
        finally:
            self.pending -= 1

    def _pause(self) -> None:
        if self.reading:
            self.reading = False
            with contextlib.suppress(OSError, ValueError):  # the socket closed under it
                self.loop.remove_reader(self.sock.fileno())

    def _pause_until(self, delay: float) -> None:
        self._pause()
        if self._timer is None and not self.closed:
            self._timer = self.loop.call_later(delay, self._resume)

    def _resume(self) -> None:
        self._timer = None
        if self.closed:
            return
        if not self._room():
            self._timer = self.loop.call_later(_RECHECK, self._resume)
            return
        self.reading = True
        self.loop.add_reader(self.sock.fileno(), self._accept)
        self._accept()  # connections may be waiting: the reader fires only on new readiness with some loops


class LimitedServer(uvicorn.Server):
    """uvicorn's server, accepting through an `Acceptor` (see the module's docstring) on the sockets given to
    `run`/`serve`; its protocol must be a `LimitedHttpTools` (its `limits.max_connections` is the acceptor's)."""

    acceptors: list[Acceptor]

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.acceptors = []
        if sockets is None or http_limits is None:  # host and port (uvicorn binds), or no httptools: uvicorn's own
            await super().startup(sockets=sockets)
            return
        await super().startup(sockets=[])  # the lifespan and the state, no listener of its own
        config = self.config
        protocol = config.http_protocol_class
        limits = getattr(protocol, "limits", None) or http_limits.Limits(max_requests=1 << 30)
        connections = self.server_state.connections

        def factory() -> asyncio.Protocol:
            return protocol(config=config, server_state=self.server_state, app_state=self.lifespan.state)  # type: ignore[call-arg]  # uvicorn's protocols take these

        loop = asyncio.get_running_loop()
        for sock in sockets:
            sock.listen(config.backlog)  # the backlog uvicorn's own server would give it (2048): a flood waits there
            acceptor = Acceptor(loop, sock, factory, connections, limits.max_connections,
                                lambda: http_limits.make_room(connections, limits, loop.time()))  # fmt: skip
            try:
                acceptor.start()
            except NotImplementedError:  # Windows' proactor loop: uvicorn's own server, the OS's own limits
                self.servers.append(await loop.create_server(factory, sock=sock, backlog=config.backlog))
                continue
            self.acceptors.append(acceptor)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for acceptor in getattr(self, "acceptors", []):
            acceptor.close()
        await super().shutdown(sockets=sockets)
