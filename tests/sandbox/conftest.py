"""Clients that talk to the sandbox (the `sandbox` fixture, in tests/conftest.py) for real."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx2
import pytest
from mcp import ClientSession, MCPError

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from tests.support.mcp import mcp_client

BUILDER = "acme-builder-demo"
DEVELOPER = "acme-developer-demo"
GLOBEX = "globex-builder-demo"


def machine_token(box: Sandbox, client_id: str = BUILDER) -> str:
    secret = DEMO_CREDENTIALS[client_id][0]
    r = httpx2.post(f"{box.url}/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret})
    r.raise_for_status()
    return r.json()["accessToken"]


@asynccontextmanager
async def mcp_session(box: Sandbox, token: str, **headers: str) -> AsyncIterator[ClientSession]:
    """A 2025-era MCP session (initialize handshake, Mcp-Session-Id) with the given bearer token and headers."""
    hdrs = {"Authorization": f"Bearer {token}", **{k.replace("_", "-"): v for k, v in headers.items()}}
    async with mcp_client(box.mcp_url, hdrs) as session:
        yield session


@contextmanager
def session_fails(match: str | None = None) -> Iterator[None]:
    """A session that cannot start: the SDK's transport task group wraps the MCPError in an ExceptionGroup."""
    with pytest.raises(BaseExceptionGroup) as caught:
        yield
    assert caught.group_contains(MCPError, match=match, depth=None), caught.value
