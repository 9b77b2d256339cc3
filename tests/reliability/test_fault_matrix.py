"""The fault matrix, the rows not covered elsewhere (docs/reliability.md maps every row to its test).

Each row: the official MCP client through the real bridge to a sandbox that misbehaves. The client gets a transparent
recovery or a clear JSON-RPC error, the bridge stays up, its state says what happened, and no browser tab opens.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager

import httpx2
import keyring
import pytest
from keyring.backends import fail
from mcp import ClientSession, MCPError

from bridge.proxy.jsonrpc import SIGN_IN_REQUIRED, UPSTREAM_UNAVAILABLE
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.settings import SettingsStore
from tests.support.mcp import mcp_client
from tests.support.net import free_port
from tests.support.stack import token_profile

KEY = "fault-matrix-local-key"


@pytest.fixture(autouse=True)
def no_browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    yield opened
    assert opened == []  # the bridge never opens a browser on its own, whatever fails


def bridge_for(url: str) -> BridgeService:
    """The real bridge with the real (keychain-backed) token providers, one token-mode profile at `url`."""
    store = SettingsStore()
    token_profile(store, "Acme", url, "acme-builder-demo", active=True)
    return BridgeService(store, port=0, key=KEY).start()


def client(bridge: BridgeService, timeout: float = 20) -> AbstractAsyncContextManager[ClientSession]:
    return mcp_client(f"{bridge.url}/mcp", {"Authorization": f"Bearer {KEY}"}, read_timeout=timeout)


def alive(bridge: BridgeService) -> bool:
    return httpx2.get(f"{bridge.url}/healthz").json()["ok"] is True


def error_of(caught: pytest.ExceptionInfo[BaseExceptionGroup]) -> MCPError:
    group = caught.value.subgroup(MCPError)
    assert group is not None, caught.value
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


async def test_upstream_down_at_start_then_up(tmp_path: object) -> None:
    port = free_port()
    bridge = bridge_for(f"http://127.0.0.1:{port}/v1")
    try:
        with pytest.raises(BaseExceptionGroup) as caught:
            async with client(bridge):
                pass
        error = error_of(caught)
        assert error.error.code == UPSTREAM_UNAVAILABLE or error.error.code == SIGN_IN_REQUIRED
        assert "127.0.0.1" in error.error.message and "doctor" in error.error.message
        assert alive(bridge)
        with Sandbox(port=port):  # Port comes back: the next session just works
            async with client(bridge) as session:
                assert not (await session.call_tool("describe_user_details", {})).is_error
    finally:
        bridge.stop()


async def test_upstream_restarted_mid_session() -> None:
    port = free_port()
    box = Sandbox(port=port, config=SandboxConfig(seed=5)).start()
    bridge = bridge_for(box.mcp_url)
    try:
        async with client(bridge) as session:
            assert not (await session.call_tool("describe_user_details", {})).is_error
            box.stop()
            box = Sandbox(port=port, config=SandboxConfig(seed=5)).start()  # forgot every session and token
            with pytest.raises(MCPError):
                await session.call_tool("describe_user_details", {})  # 404: the session is gone, said plainly
        async with client(bridge) as session:  # the client starts over, as the spec says, and it works
            assert not (await session.call_tool("describe_user_details", {})).is_error
        assert alive(bridge)
    finally:
        bridge.stop()
        box.stop()


async def test_slower_than_the_clients_patience() -> None:
    with Sandbox(config=SandboxConfig(seed=5)) as box:
        bridge = bridge_for(box.mcp_url)
        try:
            async with client(bridge, timeout=0.5) as session:
                box.faults.latency = 1.5
                with pytest.raises(MCPError):
                    await session.call_tool("describe_user_details", {})  # the client's own timeout
                box.faults.latency = 0
            async with client(bridge) as session:
                assert not (await session.call_tool("describe_user_details", {})).is_error
            assert alive(bridge)
        finally:
            bridge.stop()


async def test_no_keychain_is_a_clear_error_and_the_bridge_stays_up() -> None:
    with Sandbox(config=SandboxConfig(seed=5)) as box:
        bridge = bridge_for(box.mcp_url)
        keyring.set_keyring(fail.Keyring())  # the keychain goes away (locked, service stopped)
        try:
            with pytest.raises(BaseExceptionGroup) as caught:
                async with client(bridge):
                    pass
            error = error_of(caught)
            assert error.error.code == SIGN_IN_REQUIRED and "No system keychain" in error.error.message
            status = httpx2.get(f"{bridge.url}/status", headers={"Authorization": f"Bearer {KEY}"}).json()
            assert status["profiles"][0]["state"] == "needs_sign_in" and alive(bridge)
        finally:
            bridge.stop()
