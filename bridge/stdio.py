"""The stdio shim: MCP on stdin/stdout for clients that only launch commands (Claude Desktop and others).

It relays every message to the local bridge over HTTP with the local key, so one process (the bridge) still owns all
tokens. If no bridge is running it starts the headless one and waits for it. No Node.js involved.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator

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


class _KeepConnections(httpx2.AsyncBaseTransport):
    """Keeps the shim's connection to the bridge open from one message to the next.

    The SDK closes a POST's SSE answer as soon as the JSON-RPC response is in, usually just before the end of the
    stream arrives; httpcore2 then drops the connection, and every message paid for a new one (a connect here, a new
    connection in the bridge). A POST's answer is read to its end first, within 50 ms: a stream the server keeps open
    longer is closed as before.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "POST" and isinstance(response.stream, httpx2.AsyncByteStream):
            response.stream = _ReadToEnd(response.stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _ReadToEnd(httpx2.AsyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream) -> None:
        self._stream = stream
        self._parts: AsyncIterator[bytes] | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._parts = self._stream.__aiter__()
        async for part in self._parts:
            yield part

    async def aclose(self) -> None:
        try:
            if self._parts is not None:
                with anyio.move_on_after(0.05), contextlib.suppress(httpx2.HTTPError, RuntimeError):
                    async for _ in self._parts:
                        pass
        finally:  # closed even when the shim is being cancelled (stdin ended) mid-read
            await self._stream.aclose()


async def relay(url: str, key: str | None) -> None:
    """Pipe stdin to the bridge and the bridge's messages to stdout until either side ends."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        stdio_server() as (stdin_read, stdout_write),
        stdout_write,  # closing it lets the SDK's stdout writer, and so stdio_server, finish
        httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(30.0, read=300.0),
            transport=_KeepConnections(httpx2.AsyncHTTPTransport()),
        ) as http,  # fmt: skip
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
