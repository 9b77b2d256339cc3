"""The stdio shim (`port-mcp-bridge stdio`): MCP on stdin/stdout for clients that only start a command (Claude
Desktop and others), relayed to the local bridge over HTTP with the local key, so one process (the bridge) still owns
all tokens. It starts the headless bridge when none runs. A process per client must start fast: no Node.js, no `mcp`
SDK (0.6 s and 30 MiB a process), no httpx2; the HTTP goes through the bridge's own client (`bridge.proxy.http11`).

launch.py     finding this settings folder's bridge (its lock's port, `endpoint.probe` with the key's challenge),
              starting `serve` when nothing answers, where it moved to
pipes.py      stdin and stdout a whole line at a time, never blocking the loop; which event loop (uvloop if any)
framing.py    lines ↔ messages: request ids and method read leniently, SSE events and JSON bodies as one line each
relay.py      the session with the bridge: POST each line, the GET stream, a new session on 404, DELETE at the end
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from bridge import endpoint
from bridge.stdio.launch import ensure_bridge
from bridge.stdio.pipes import event_loop_factory
from bridge.stdio.relay import relay

log = logging.getLogger(__name__)


def run(profile: str | None = None) -> None:
    """`port-mcp-bridge stdio`: relay stdin/stdout to the bridge (started if need be) until stdin ends."""
    from bridge.auth.localkey import local_key
    from bridge.settings import SettingsStore

    handler = logging.StreamHandler(sys.stderr)  # stdout is the protocol: everything said goes to stderr
    handler.setFormatter(logging.Formatter("port-mcp-bridge stdio: %(message)s"))
    log.addHandler(handler)  # the modules' loggers are this one's children
    log.setLevel(logging.INFO)
    log.propagate = False
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: the person meant it, no traceback
        store = SettingsStore()
        settings = store.load()
        key = local_key() if settings.require_local_key else None
        if key is None:
            log.warning("the local key is off, so whatever answers on the bridge's port cannot be checked to be it")
        port = ensure_bridge(settings.local_port, key, folder=store.path.parent)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(relay(endpoint.mcp_url(port, profile), key))
