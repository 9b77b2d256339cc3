"""The proxy tests' client session through the bridge (the `rig` fixture, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import ClientSession, MCPError

from bridge.proxy.service import TokenFactory
from bridge.sandbox import Sandbox
from tests.support.mcp import mcp_client
from tests.support.stack import Stack, demo_tokens


@asynccontextmanager
async def session(rig: Stack, path: str = "/mcp", **kwargs: Any) -> AsyncIterator[ClientSession]:
    """An initialized MCP session through the bridge at `path` (/mcp, or a pinned /p/<id>/mcp)."""
    async with mcp_client(f"{rig.bridge.url}{path}", rig.headers(), **kwargs) as s:
        yield s


async def call_cut_off(rig: Stack, s: ClientSession) -> None:
    """A `describe_user_details` call whose SSE answer Port cuts after a progress event (the tool is slowed so that
    one comes first): the client gets an error, not a hang. Leaves the tool slowed."""
    rig.sandbox.faults.slow_tool_seconds = 0.2

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        return None

    rig.sandbox.faults.cut_streams = 1
    with pytest.raises(MCPError):
        await s.call_tool("describe_user_details", {}, progress_callback=on_progress, read_timeout_seconds=3)


def sandbox_tokens(box: Sandbox) -> TokenFactory:
    """What tests/test_stdio.py (rewritten elsewhere) still imports: `tests.support.stack.demo_tokens`."""
    return demo_tokens
