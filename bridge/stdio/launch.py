"""Finding the bridge, and starting it when nothing answers: the shim needs one running, but never owns it.

The bridge is started detached (`port-mcp-bridge serve`, as this installation runs it), so it outlives the client
that started it and serves every other client too. Also where the bridge went when it moved to another port.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from bridge.errors import BridgeError, BridgeUnavailable
from bridge.proxy import http11, jsonrpc


class Origin:
    """Where the bridge listens, as `http11.Pool` takes it: its key, and its Host header and path."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.key: http11.Key = ("http", parts.hostname or "127.0.0.1", parts.port or 80)
        self.host = parts.netloc.encode()
        self.path = (parts.path or "/").encode()


def bridge_running(url: str) -> bool:
    """Whether the bridge answers at `url` (its `/healthz`, within a second)."""
    return asyncio.run(_healthy(Origin(url)))


async def _healthy(origin: Origin) -> bool:
    pool = http11.Pool(None)  # plain HTTP on loopback: no TLS context, no certificate store to load
    try:
        head = http11.request_head(b"GET", b"/healthz", [(b"Host", origin.host)])
        response = await pool.request(origin.key, head, b"", connect_timeout=1, read_timeout=1, repeatable=True)
        try:
            answer = jsonrpc.loads_or_none(await response.aread())
        finally:
            await response.aclose()
        return isinstance(answer, dict) and answer.get("app") == "port-mcp-bridge"
    except http11.errors():
        return False
    finally:
        await pool.aclose()


def serve_command() -> list[str]:
    """`port-mcp-bridge serve` as this installation runs it: the bundled program, or this Python's `-m bridge`."""
    if getattr(sys, "frozen", False):  # an installed bundle: sys.executable is a program, not a Python
        from bridge.export.program import find_program

        return [find_program() or sys.executable, "serve"]
    return [sys.executable, "-m", "bridge", "serve"]


def ensure_bridge(url: str, *, wait: float = 15.0) -> None:
    """Start `port-mcp-bridge serve` in the background unless a bridge already answers at `url`."""
    if bridge_running(url):
        return
    flags = {"start_new_session": True} if os.name != "nt" else {"creationflags": subprocess.DETACHED_PROCESS}
    subprocess.Popen(
        serve_command(),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **flags,
    )  # fmt: skip
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if bridge_running(url):
            return
        time.sleep(0.1)
    raise BridgeUnavailable(
        f"Started the bridge but it did not answer at {url} within {wait:g} s. Run `port-mcp-bridge serve` in a "
        "terminal to see why."
    )


def moved_to(port: int) -> int | None:
    """The port the settings now name, if the bridge moved there (the tray app moves when its port is taken)."""
    from bridge.settings import SettingsStore

    try:
        now = SettingsStore().load().local_port
    except (OSError, BridgeError):  # only a better message is at stake
        return None
    return now if now != port else None
