"""`BridgeApi`, the facade the tray app uses, against the sandbox: state, pause, tools, actions, doctor, local key."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx2
import pytest

from bridge.api import BridgeApi
from bridge.auth.account import CREDENTIALS_REF
from bridge.localkey import local_key
from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.secrets import set_secret
from bridge.settings import Settings, SettingsStore, ToolExposure

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
         "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}  # fmt: skip


@pytest.fixture
def api() -> Iterator[BridgeApi]:
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=3)).start()
    store = SettingsStore()
    store.add_profile("Acme", box.mcp_url, auth_mode="token", make_active=True)
    store.add_profile("Globex", box.mcp_url, auth_mode="token")
    for profile, client in (("acme", "acme-builder-demo"), ("globex", "globex-builder-demo")):
        ref = f"profile/{profile}/client-credentials"
        set_secret(ref, json.dumps({"clientId": client, "clientSecret": DEMO_CREDENTIALS[client][0]}))
        store.set_profile(profile, secret_refs={CREDENTIALS_REF: ref})
    bridge = BridgeApi(store, port=0)
    bridge.start()
    try:
        yield bridge
    finally:
        bridge.stop()
        box.stop()


def post(api: BridgeApi, key: str | None = None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {key or local_key()}", "Accept": "application/json, text/event-stream"}
    return httpx2.post(api.snapshot().mcp_url, json=HELLO, headers=headers)


def test_snapshot_describes_profiles_and_follows_settings(api: BridgeApi) -> None:
    snap = api.snapshot()
    assert snap.running and not snap.paused and snap.active is not None and snap.active.id == "acme"
    assert [p.id for p in snap.profiles] == ["acme", "globex"] and snap.active.state == "idle"
    assert post(api).status_code == 200
    assert api.snapshot().active.state == "signed_in"  # type: ignore[union-attr]
    api.use_profile("globex")
    api.set_read_only("globex", True)
    assert api.settings().active_profile == "globex"  # the store is the source of truth
    assert {p.id: p.read_only for p in api.snapshot().profiles} == {"acme": False, "globex": True}


def test_pause_answers_every_request_with_how_to_resume(api: BridgeApi) -> None:
    api.set_paused(True)
    paused = post(api)
    assert paused.status_code == 503 and paused.json()["error"]["code"] == UPSTREAM_UNAVAILABLE
    assert "Resume it from the tray menu" in paused.json()["error"]["message"] and api.snapshot().paused
    api.set_paused(False)
    assert post(api).status_code == 200


def test_tools_come_from_port_with_badges_and_exposure(api: BridgeApi) -> None:
    tools = {t.name: t for t in api.fetch_tools("acme").result(30)}
    assert tools["list_entities"].kind == "read" and tools["run_action"].kind in ("write", "destructive")
    assert all(t.exposed for t in tools.values()) and len(tools) == 42
    api.set_tools("acme", ToolExposure(mode="deny", names=["run_action"]))
    api.set_read_only("acme", True)
    _wait_settings(api, lambda s: s.get_profile("acme").read_only)
    narrowed = {t.name: t for t in api.fetch_tools("acme").result(30)}
    assert "run_action" not in narrowed and all(t.kind == "read" for t in narrowed.values())  # Port hides writes
    assert all(t.exposed for t in narrowed.values())


def test_actions_list_every_action_and_marks_the_allowed_ones(api: BridgeApi) -> None:
    api.set_allowed_actions("acme", ["scaffold_microservice"])
    _wait_settings(api, lambda s: s.get_profile("acme").allowed_actions == ["scaffold_microservice"])
    actions = {a.identifier: a for a in api.fetch_actions("acme").result(30)}
    assert len(actions) == 7 and actions["scaffold_microservice"].allowed
    assert sum(a.allowed for a in actions.values()) == 1 and all(a.title for a in actions.values())


def test_doctor_report_has_what_support_asks_for_and_no_secret(api: BridgeApi) -> None:
    report = api.doctor()
    assert all(c.ok for c in report.checks), report.text
    assert "Port MCP Bridge" in report.text and "Profile: Acme (acme)" in report.text and "Python" in report.text
    assert "sandbox-secret" not in report.text and "eyJ" not in report.text and local_key() not in report.text


def test_regenerating_the_local_key_locks_out_the_old_one(api: BridgeApi) -> None:
    old = local_key()
    new = api.regenerate_local_key()
    assert new != old and api.local_key() == new
    assert post(api, old).status_code == 401 and post(api, new).status_code == 200


def _wait_settings(api: BridgeApi, ready: Callable[[Settings], bool]) -> None:
    import time

    for _ in range(100):
        if ready(api.settings()):
            return
        time.sleep(0.05)
    raise AssertionError("the bridge did not see the settings change")
