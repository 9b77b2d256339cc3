"""The stdio shim: MCP on stdin/stdout for clients that only launch commands (Claude Desktop and others).

It relays every message to the local bridge over HTTP with the local key, so one process (the bridge) still owns all
tokens. If no bridge is running it starts the headless one and waits for it. No Node.js involved.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import anyio
import httpx2
from mcp.client.streamable_http import streamable_http_client
from mcp.server.stdio import stdio_server

from bridge.errors import BridgeError
from bridge.localkey import local_key
from bridge.settings import SettingsStore


class BridgeUnavailable(BridgeError):
    title = "Bridge not running"


def bridge_running(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=1).json().get("app") == "port-mcp-bridge"
    except (httpx2.HTTPError, ValueError):
        return False


def ensure_bridge(url: str, *, wait: float = 15.0) -> None:
    """Start `port-mcp-bridge serve` in the background unless a bridge already answers at `url`."""
    if bridge_running(url):
        return
    flags = {"start_new_session": True} if os.name != "nt" else {"creationflags": subprocess.DETACHED_PROCESS}
    subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve"],
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


async def relay(url: str, key: str | None) -> None:
    """Pipe stdin to the bridge and the bridge's messages to stdout until either side ends."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        stdio_server() as (stdin_read, stdout_write),
        stdout_write,  # closing it lets the SDK's stdout writer, and so stdio_server, finish
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=300.0)) as http,
        streamable_http_client(url, http_client=http) as (http_read, http_write),
        anyio.create_task_group() as tg,
    ):

        async def upstream() -> None:
            async for message in stdin_read:
                if isinstance(message, Exception):
                    continue  # a line that is not JSON-RPC: the SDK already logged it
                await http_write.send(message)
            tg.cancel_scope.cancel()  # stdin closed: the client is gone

        async def downstream() -> None:
            async for message in http_read:
                if not isinstance(message, Exception):
                    await stdout_write.send(message)

        tg.start_soon(upstream)
        tg.start_soon(downstream)


def run(profile: str | None = None) -> None:
    settings = SettingsStore().load()
    base = f"http://127.0.0.1:{settings.local_port}"
    ensure_bridge(base)
    path = f"/p/{profile}/mcp" if profile else "/mcp"
    anyio.run(relay, base + path, local_key() if settings.require_local_key else None)
