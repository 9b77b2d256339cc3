"""A bridge in front of the sandbox shared by a module's tests (fuzzing, load), independent of the keychain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.auth.tokens import ClientCredentialsProvider, TokenProvider
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import Profile, SettingsStore

KEY = "reliability-local-key"
CLIENTS = {"acme": "acme-builder-demo", "globex": "globex-builder-demo"}


@dataclass
class Stack:
    sandbox: Sandbox
    bridge: BridgeService
    store: SettingsStore

    @property
    def url(self) -> str:
        return f"{self.bridge.url}/mcp"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {KEY}", "Accept": "application/json, text/event-stream", **extra}


def _tokens(profile: Profile) -> TokenProvider:
    client = CLIENTS[profile.id]
    return ClientCredentialsProvider(profile.api_url, client, DEMO_CREDENTIALS[client][0], profile_name=profile.name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=11)).start()
    store = SettingsStore(Path(tmp_path_factory.mktemp("reliability")) / "settings.json")
    store.add_profile("Acme", box.mcp_url, auth_mode="token", make_active=True)
    store.add_profile("Globex", box.mcp_url, auth_mode="token")
    bridge = BridgeService(store, port=0, tokens=_tokens, key=KEY).start()
    try:
        yield Stack(box, bridge, store)
    finally:
        bridge.stop()
        box.stop()
