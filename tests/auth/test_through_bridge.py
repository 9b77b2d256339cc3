"""A browser-signed-in profile served by the real bridge: transparent refresh after 401, "sign in" once the sign-in
is gone, and a new sign-in (from another process or the tray) taken into use without a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager

import httpx2
import pytest
from mcp import ClientSession, MCPError

from bridge.auth import account
from bridge.auth.keychain import get_secret
from bridge.auth.localkey import local_key
from bridge.auth.records import TOKENS_REF, TokenRecord
from bridge.proxy.jsonrpc import SIGN_IN_REQUIRED
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from tests.support.browser import GLOBEX_DANA, Browser
from tests.support.mcp import mcp_client
from tests.support.net import wait_until_async


@pytest.fixture
def bridge(store: SettingsStore) -> Iterator[BridgeService]:
    service = BridgeService(store, port=0).start()  # the real token providers, reading the keychain
    try:
        yield service
    finally:
        service.stop()


def client(bridge: BridgeService) -> AbstractAsyncContextManager[ClientSession]:
    return mcp_client(f"{bridge.url}/mcp", {"Authorization": f"Bearer {local_key()}"})


async def organization(session: ClientSession) -> str:
    result = await session.call_tool("describe_user_details", {})
    return json.loads(result.content[0].text)["organization"]["name"]


def profile_state(bridge: BridgeService) -> str:
    status = httpx2.get(f"{bridge.url}/status", headers={"Authorization": f"Bearer {local_key()}"}).json()
    return {p["id"]: p["state"] for p in status["profiles"]}["acme"]


async def signed_in(store: SettingsStore, bridge: BridgeService, browser: Browser | None = None) -> None:
    """Sign in as `port-mcp-bridge login` would, and wait for the bridge's settings watcher to see it."""
    done = await account.browser_login(store, "acme", open_browser=browser or Browser())
    refs = done.profile.secret_refs
    await wait_until_async(
        lambda: bridge.settings.get_profile("acme").secret_refs == refs, "the bridge saw the sign-in"
    )


async def test_not_signed_in_gives_a_clear_error(bridge: BridgeService) -> None:
    with pytest.raises(BaseExceptionGroup) as caught:
        async with client(bridge):
            pass
    assert caught.group_contains(MCPError, match="Sign in to Acme.*port-mcp-bridge login acme", depth=None)


async def test_refresh_after_401_is_invisible_and_a_revoked_sign_in_asks_to_sign_in(
    sandbox: Sandbox, store: SettingsStore, bridge: BridgeService
) -> None:
    await signed_in(store, bridge)
    async with client(bridge) as session:
        assert await organization(session) == "Acme Corp (demo)"
        sandbox.tokens.expire_all()  # Port stops accepting the access token: 401, refresh, replay
        assert await organization(session) == "Acme Corp (demo)"
        assert profile_state(bridge) == "signed_in"

        record = TokenRecord.from_json(get_secret(store.load().get_profile("acme").secret_refs[TOKENS_REF]) or "")
        sandbox.tokens.revoke(record.refresh_token or "")  # the sign-in ended at Port
        sandbox.tokens.expire_all()
        with pytest.raises(MCPError) as refused:
            await session.call_tool("describe_user_details", {})
        assert refused.value.error.code == SIGN_IN_REQUIRED and "Sign in to Acme" in refused.value.error.message
        assert profile_state(bridge) == "needs_sign_in"

    # Signing in again (here as `port-mcp-bridge login` would, through the settings) is picked up at once,
    # and the browser decides the organization: now Globex.
    await signed_in(store, bridge, Browser(choice=GLOBEX_DANA))
    async with client(bridge) as session:
        assert await organization(session) == "Globex (demo)"


async def test_sign_out_ends_service_for_the_profile(
    sandbox: Sandbox, store: SettingsStore, bridge: BridgeService
) -> None:
    await signed_in(store, bridge)
    async with client(bridge) as session:
        assert await organization(session) == "Acme Corp (demo)"
    await account.logout(store, "acme")
    await wait_until_async(lambda: bridge.settings.get_profile("acme").secret_refs == {}, "the bridge saw the sign-out")
    with pytest.raises(BaseExceptionGroup) as caught:
        async with client(bridge):
            pass
    assert caught.group_contains(MCPError, match="not signed in", depth=None)


async def test_a_sign_in_port_ended_shows_as_sign_in_needed_from_the_start(
    sandbox: Sandbox, store: SettingsStore
) -> None:
    """The tray's icon and `status` show what the keychain holds as soon as the bridge starts, not "idle" (which the
    tray shows as serving) until a client happens to ask."""
    import dataclasses

    from bridge.auth.keychain import set_secret

    entry = (await account.browser_login(store, "acme", open_browser=Browser())).profile.secret_refs[TOKENS_REF]
    record = TokenRecord.from_json(get_secret(entry) or "")
    set_secret(entry, dataclasses.replace(record, refused=True).to_json())  # what a refused refresh leaves
    service = BridgeService(store, port=0).start()
    try:
        await wait_until_async(lambda: profile_state(service) == "needs_sign_in", "the state read from the keychain")
    finally:
        service.stop()
