"""Serving an ASGI app with uvicorn on a loopback socket bound beforehand: in a background thread or in the foreground.

Binding first gives the caller the real port at once (port 0 picks a free one) and a clear error when the port is
taken; listening at once queues connections made before uvicorn is up. The bridge and the sandbox both run this way.
`server_config` is the one uvicorn configuration of every local server (those two and the sign-in redirect listener):
request heads, connections and their deadlines limited as they arrive (`http_limits`), no WebSocket upgrades.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp

from bridge.system import descriptors
from bridge.system.acceptor import LimitedServer

if TYPE_CHECKING:
    from bridge.system.http_limits import Limits

try:  # httptools comes with the bridge; only the benchmark's stand-in for Port blocks it, to stay on pure Python
    from bridge.system import http_limits
except ImportError:
    http_limits = None  # type: ignore[assignment]  # then uvicorn's h11 protocol, with its own limit on a head


class _AlreadyLogged(logging.Filter):
    """Keeps out of uvicorn's log the traceback of an exception an app raised on purpose after logging it itself
    (`already_logged = True`: the proxy's `AnswerCut`, which makes uvicorn close a client's connection). uvicorn logs
    whatever escapes an app as "Exception in ASGI application", with a traceback that would alarm whoever reads it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, "already_logged", False)


_ALREADY_LOGGED = _AlreadyLogged()


def server_config(
    app: ASGIApp, *, busy: ASGIApp | None = None, limits: Limits | None = None, **options: Any
) -> uvicorn.Config:
    """uvicorn's configuration for a local server: `LimitedHttpTools` with `limits` (default: `Limits` with as many
    requests under way as `descriptors.connection_cap` allows, the open-files limit raised first), `busy` answering a
    request beyond them; `options` go to `uvicorn.Config` as they are. Without httptools (only the benchmark's
    stand-in for Port goes without), uvicorn's h11 protocol with its own limit on an incomplete head."""
    if http_limits is None:
        return uvicorn.Config(app, ws="none", h11_max_incomplete_event_size=64 * 1024, **options)
    limits = limits or http_limits.Limits(max_requests=descriptors.connection_cap())
    return uvicorn.Config(
        app, http=http_limits.protocol_class(limits, busy or http_limits.busy_plain), ws="none", **options
    )


class LoopbackServer:
    """uvicorn on an already bound socket."""

    def __init__(
        self,
        app: ASGIApp,
        sock: socket.socket,
        *,
        name: str,
        graceful: int = 2,
        busy: ASGIApp | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.app = app
        self.busy = busy
        self.limits = limits
        self.sock = sock
        self.name = name
        self._graceful = graceful
        self._server: LimitedServer | None = None
        self._thread: threading.Thread | None = None

    def _new_server(self) -> LimitedServer:
        config = server_config(
            self.app,
            busy=self.busy,
            limits=self.limits,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=self._graceful,
            access_log=False,
            # Loopback clients only: no X-Forwarded-* to honour (and a local process must not pick its own address),
            # and no `server: uvicorn` header added to what upstream answered.
            proxy_headers=False,
            server_header=False,
        )
        logging.getLogger("uvicorn.error").addFilter(_ALREADY_LOGGED)  # after the config set uvicorn's logging up
        self._server = LimitedServer(config)
        return self._server

    def connections(self) -> list[asyncio.Protocol]:
        """The connections open now, one protocol each (read from another thread: a snapshot, maybe a moment old)."""
        server = self._server
        for _ in range(10):
            try:
                return list(server.server_state.connections) if server is not None else []
            except RuntimeError:  # the set changed while it was copied: copy again
                continue
        return []

    def start(self, timeout: float = 10.0) -> None:
        """Serve from a background thread; returns once the server accepts connections."""
        server = self._new_server()
        self._thread = threading.Thread(target=lambda: server.run(sockets=[self.sock]), name=self.name, daemon=True)
        self._thread.start()
        waiter = threading.Event()
        for _ in range(int(timeout * 100)):
            if server.started:
                return
            waiter.wait(0.01)
        raise RuntimeError(f"{self.name} did not start within {timeout} s.")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl+C or SIGTERM (uvicorn handles both)."""
        try:
            self._new_server().run(sockets=[self.sock])  # on uvicorn's loop choice ("auto": uvloop if installed)
        finally:
            self.sock.close()
