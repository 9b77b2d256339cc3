"""A Port sandbox with the real bridge in front of it, both on free loopback ports, and the token-mode profiles the
tests use against the sandbox's demo credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.auth.account import CREDENTIALS_REF
from bridge.auth.keychain import set_secret
from bridge.auth.localkey import local_key
from bridge.auth.tokens import ClientCredentialsProvider, StaticTokenProvider, TokenProvider
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import Profile, SettingsStore

ACCEPT = {"Accept": "application/json, text/event-stream"}  # what a Streamable HTTP client accepts

# Which demo credential each test profile signs in with (token mode against the sandbox), by profile id.
CREDENTIALS = {"acme": "acme-builder-demo", "acme-dev": "acme-developer-demo", "globex": "globex-builder-demo"}

# The profiles of `running_stack`, (name, organization): their ids are acme, acme-dev and globex.
PROFILES = (("Acme", "Acme Corp"), ("Acme dev", "Acme Corp"), ("Globex", "Globex"))


@dataclass
class Stack:
    sandbox: Sandbox
    bridge: BridgeService
    store: SettingsStore
    key: str  # the local key the bridge requires

    @property
    def url(self) -> str:
        return f"{self.bridge.url}/mcp"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}


def demo_tokens(profile: Profile) -> TokenProvider:
    """The bridge's token factory for the test profiles: the demo credential named in `CREDENTIALS`, no keychain."""
    client_id = CREDENTIALS[profile.id]
    secret = DEMO_CREDENTIALS[client_id][0]
    return ClientCredentialsProvider(profile.api_url, client_id, secret, profile_name=profile.name)


def token_profile(store: SettingsStore, name: str, url: str, client: str, *, active: bool = False) -> str:
    """A token-mode profile whose API credentials (the sandbox's demo `client`) are in the keychain, as `login
    --token` leaves them; returns its id. The bridge's own token providers read them from there."""
    profile = store.add_profile(name, url, auth_mode="token", make_active=active)
    ref = f"profile/{profile.id}/client-credentials"
    set_secret(ref, json.dumps({"clientId": client, "clientSecret": DEMO_CREDENTIALS[client][0]}))
    store.set_profile(profile.id, secret_refs={CREDENTIALS_REF: ref})
    return profile.id


@contextmanager
def running_stack(
    settings: Path | None = None, *, seed: int, key: str | None = None, json_response: bool = False, **service: Any
) -> Iterator[Stack]:
    """A sandbox (action runs take 0.2 s; seeded) and a bridge in front of it with the `PROFILES` in token mode, Acme
    active. `settings`: the settings file (default: the test's settings home); `key`: the local key (default: the
    keychain's); `json_response`: the sandbox answers POSTs with JSON bodies, not SSE; `service`: more of
    `BridgeService`'s arguments (a recorder, an asker)."""
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=seed, json_response=json_response)).start()
    try:
        store = SettingsStore(settings)
        for name, organization in PROFILES:
            store.add_profile(name, box.mcp_url, organization=organization, auth_mode="token")
        store.use_profile("acme")
        bridge = BridgeService(store, port=0, tokens=demo_tokens, key=key, **service).start()
        try:
            yield Stack(box, bridge, store, key or local_key())
        finally:
            bridge.stop()
    finally:
        box.stop()


def bridge_before(port: int, bearer: str = "t") -> BridgeService:
    """A started bridge (local key "k") whose active profile, "Odd", is the test's own upstream on `port`, in token
    mode, sending `bearer` as its token. The caller stops it."""
    store = SettingsStore()
    store.add_profile("Odd", f"http://127.0.0.1:{port}/v1", auth_mode="token", make_active=True)
    return BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider(bearer), key="k", warm=False).start()
