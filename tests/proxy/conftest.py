"""A bridge in front of a sandbox, both on free loopback ports, with profiles in a throwaway settings file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bridge.auth.localkey import local_key
from bridge.auth.tokens import ClientCredentialsProvider, StaticTokenProvider, TokenProvider
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import Profile, SettingsStore

# Which demo credential each test profile signs in with (token mode against the sandbox).
CREDENTIALS = {"acme": "acme-builder-demo", "acme-dev": "acme-developer-demo", "globex": "globex-builder-demo"}


@dataclass
class Rig:
    sandbox: Sandbox
    bridge: BridgeService
    store: SettingsStore
    key: str

    @property
    def url(self) -> str:
        return f"{self.bridge.url}/mcp"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}


def sandbox_tokens(box: Sandbox) -> Any:
    def factory(profile: Profile) -> TokenProvider:
        client_id = CREDENTIALS[profile.id]
        secret = DEMO_CREDENTIALS[client_id][0]
        return ClientCredentialsProvider(profile.api_url, client_id, secret, profile_name=profile.name)

    return factory


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=3)).start()
    store = SettingsStore(tmp_path / "settings.json")
    for name, org in (("Acme", "Acme Corp"), ("Acme dev", "Acme Corp"), ("Globex", "Globex")):
        store.add_profile(name, box.mcp_url, organization=org, auth_mode="token")
    store.use_profile("acme")
    bridge = BridgeService(store, port=0, tokens=sandbox_tokens(box)).start()
    try:
        yield Rig(box, bridge, store, local_key())
    finally:
        bridge.stop()
        box.stop()


@asynccontextmanager
async def session(rig: Rig, path: str = "/mcp", **kwargs: Any) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers=rig.headers(), timeout=30) as http,
        streamable_http_client(f"{rig.bridge.url}{path}", http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=20, **kwargs) as s,
    ):
        await s.initialize()
        yield s


def bridge_before(port: int, bearer: str = "t") -> BridgeService:
    """A started bridge (local key "k") whose active profile, "Odd", is the test's own upstream on `port`, in token
    mode, sending `bearer` as its token. The caller stops it."""
    store = SettingsStore()
    store.add_profile("Odd", f"http://127.0.0.1:{port}/v1", auth_mode="token", make_active=True)
    return BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider(bearer), key="k").start()
