"""An initialized MCP client session (the official SDK) over Streamable HTTP, for the few places the bridge itself
talks MCP: the demo's scripted session, asking Port who signed in, the settings window's tool and action lists."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


@contextlib.asynccontextmanager
async def mcp_session(url: str, headers: dict[str, str], *, timeout: float = 30) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=timeout) as session,
    ):
        await session.initialize()
        yield session
