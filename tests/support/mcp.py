"""The official MCP client as the tests use it: a 2025-era session over Streamable HTTP, and the client-side signals
tests wait on (the server-to-client stream is open, a call is under way upstream)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

ResponseHook = Callable[[httpx2.Response], Awaitable[None]]


@asynccontextmanager
async def mcp_client(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    auth: httpx2.Auth | None = None,
    on_response: ResponseHook | None = None,
    read_timeout: float | None = 20,
    **session: Any,
) -> AsyncIterator[ClientSession]:
    """An initialized session at `url` (initialize handshake, Mcp-Session-Id). `on_response` sees every HTTP answer's
    head as it arrives (the GET stream's too); `session` goes to `ClientSession` (callbacks, message handler)."""
    hooks = {"response": [on_response]} if on_response else None
    async with (
        httpx2.AsyncClient(headers=headers, auth=auth, timeout=30, event_hooks=hooks) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=read_timeout, **session) as client,
    ):
        await client.initialize()
        yield client


def stream_opened(opened: asyncio.Event) -> ResponseHook:
    """An `on_response` hook that sets `opened` once the client's GET stream is answered: from then on, notifications
    not tied to a request reach the client (the bridge registers the stream before it answers the GET)."""

    async def hook(response: httpx2.Response) -> None:
        if response.request.method == "GET" and response.status_code == 200:
            opened.set()

    return hook


async def cancel_once_under_way(session: ClientSession, tool: str, timeout: float = 20) -> None:
    """Call `tool`, and cancel the call as soon as its first progress notification arrives, i.e. once it is under way
    upstream (the sandbox's slow tool reports progress from its start): what a client does when its user stops a
    call. Fails if the call ended any other way."""
    under_way = anyio.Event()
    answered: list[object] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        under_way.set()

    async def call() -> None:
        answered.append(await session.call_tool(tool, {}, progress_callback=on_progress))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(call)
        with anyio.fail_after(timeout):
            await under_way.wait()
        tasks.cancel_scope.cancel()
    assert not answered, "the call was answered before it could be cancelled"
