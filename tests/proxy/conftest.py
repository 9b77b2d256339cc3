"""The proxy tests' client session through the bridge (the `rig` fixture, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession

from bridge.proxy.service import TokenFactory
from bridge.sandbox import Sandbox
from tests.support.mcp import mcp_client
from tests.support.stack import Stack, demo_tokens


@asynccontextmanager
async def session(rig: Stack, path: str = "/mcp", **kwargs: Any) -> AsyncIterator[ClientSession]:
    """An initialized MCP session through the bridge at `path` (/mcp, or a pinned /p/<id>/mcp)."""
    async with mcp_client(f"{rig.bridge.url}{path}", rig.headers(), **kwargs) as s:
        yield s


def sandbox_tokens(box: Sandbox) -> TokenFactory:
    """What tests/test_stdio.py (rewritten elsewhere) still imports: `tests.support.stack.demo_tokens`."""
    return demo_tokens
