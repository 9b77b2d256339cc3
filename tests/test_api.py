"""`BridgeApi`, the facade the tray app uses, against the sandbox: state, pause, tools, actions, doctor, local key."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from bridge.api import BridgeApi
from bridge.auth.account import CREDENTIALS_REF
from bridge.auth.keychain import set_secret
from bridge.auth.localkey import local_key
from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.settings import SettingsStore, ToolExposure
from tests.support.net import wait_until

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
         "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}  # fmt: skip


@pytest.fixture
def api(api: BridgeApi) -> BridgeApi:
    """The shared `api` (Acme and Globex on the sandbox, tests/conftest.py), serving."""
    api.start()
    return api


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
    assert "Resume it from Port MCP Bridge's menu" in paused.json()["error"]["message"] and api.snapshot().paused
    api.set_paused(False)
    assert post(api).status_code == 200


def test_tools_come_from_port_with_badges_and_exposure(api: BridgeApi) -> None:
    tools = {t.name: t for t in api.fetch_tools("acme").result(30)}
    assert tools["list_entities"].kind == "read" and tools["run_action"].kind in ("write", "destructive")
    assert all(t.exposed for t in tools.values()) and len(tools) == 42
    api.set_tools("acme", ToolExposure(mode="deny", names=["run_action"]))
    api.set_read_only("acme", True)
    wait_until(lambda: api.settings().get_profile("acme").read_only, "the bridge read read-only")
    narrowed = {t.name: t for t in api.fetch_tools("acme").result(30)}
    assert "run_action" not in narrowed and all(t.kind == "read" for t in narrowed.values())  # Port hides writes
    assert all(t.exposed for t in narrowed.values())


def test_actions_list_every_action_and_marks_the_allowed_ones(api: BridgeApi) -> None:
    api.set_allowed_actions("acme", ["scaffold_microservice"])
    wait_until(
        lambda: api.settings().get_profile("acme").allowed_actions == ["scaffold_microservice"],
        "the bridge read the allowed actions",
    )
    actions = {a.identifier: a for a in api.fetch_actions("acme").result(30)}
    assert [a.kind for a in actions.values()] == ["action"] * 7 + ["workflow"] * 2  # the workflows after the actions
    assert len(actions) == 9 and actions["scaffold_microservice"].allowed
    assert sum(a.allowed for a in actions.values()) == 1 and all(a.title for a in actions.values())


def test_doctor_report_has_what_support_asks_for_and_no_secret(api: BridgeApi) -> None:
    report = api.doctor()
    assert all(c.ok for c in report.checks), report.text
    assert "Port MCP Bridge" in report.text and "Profile: Acme (acme)" in report.text and "Python" in report.text
    assert "sandbox-secret" not in report.text and "eyJ" not in report.text and local_key() not in report.text


def test_doctor_report_lists_the_clients_found_with_their_versions_and_what_was_tried(
    api: BridgeApi, tmp_path: Path
) -> None:
    """Port's guide asks support requests for the IDE/application version, the errors, the region and the steps
    tried: the report has each (versions as the clients' own files say them; nothing is started to ask)."""
    from bridge.export import Env

    root = tmp_path / "root"
    api.export_env = Env(tmp_path / "home", "linux", {}, None, root)
    (tmp_path / "home" / ".cursor").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "Code" / "User").mkdir(parents=True)
    cursor_app = root / "usr" / "share" / "cursor" / "resources" / "app"
    cursor_app.mkdir(parents=True)
    (cursor_app / "package.json").write_text('{"name": "cursor", "version": "1.7.52"}')
    report = api.doctor()
    assert "MCP clients found here: Cursor 1.7.52, VS Code (version unknown)" in report.text
    assert "region " in report.text and "What was tried, in order, and what it gave:" in report.text
    assert "[ok] Tools: tools/list answered" in report.text and "[ok] Tool call: describe_user_details" in report.text


def test_regenerating_the_local_key_locks_out_the_old_one(api: BridgeApi) -> None:
    old = local_key()
    new = api.regenerate_local_key()
    assert new != old and api.local_key() == new
    assert post(api, old).status_code == 401 and post(api, new).status_code == 200


def test_profiles_are_added_edited_and_removed_with_their_keychain_entries(api: BridgeApi, memory_keyring) -> None:
    added = api.add_profile("Staging", "us")
    assert added.id == "staging" and added.auth_mode.value == "oauth" and api.settings().active_profile == "acme"
    edited = api.edit_profile("staging", name="Staging US", region="https://mcp.example.test/v1")
    assert edited.id == "staging" and edited.name == "Staging US" and edited.region_label.startswith("https://")
    set_secret("profile/staging/client-credentials", "{}")
    api.edit_profile("staging", secret_refs={CREDENTIALS_REF: "profile/staging/client-credentials"})
    assert any("staging" in name for _, name in memory_keyring.entries)
    api.remove_profile("staging")
    assert [p.id for p in api.snapshot().profiles] == ["acme", "globex"]
    assert not any("staging" in name for _, name in memory_keyring.entries)


def test_app_wide_settings_port_log_level_and_start_at_login(
    api: BridgeApi, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge.errors import BridgeError
    from bridge.export import Env
    from bridge.system import autostart

    assert api.set_local_port(48000).local_port == 48000 and api.snapshot().port != 48000  # at the next start
    with pytest.raises(BridgeError, match="1024 to 65535"):
        api.set_local_port(80)
    assert api.set_log_level("debug").log_level == "DEBUG"
    api.export_env = Env(tmp_path, "linux", {})  # the login item follows the machine the facade is pointed at
    assert api.set_start_at_login(True, ["/opt/app"]).start_at_login and api.startup.enabled()
    assert autostart.is_enabled(system="linux", home=tmp_path, environ={})
    assert not api.set_start_at_login(False, ["/opt/app"]).start_at_login
    assert not autostart.is_enabled(system="linux", home=tmp_path, environ={}) and not api.startup.enabled()


def test_clients_are_connected_previewed_and_undone_in_a_temporary_home(api: BridgeApi, tmp_path) -> None:
    from bridge.export import Env

    api.export_env = Env(tmp_path, "linux", {})
    (tmp_path / ".cursor").mkdir()
    cursor = {s.client.id: s for s in api.client_statuses()}["cursor"]
    assert cursor.detected and cursor.entries[0].state.value == "absent"
    preview = api.client_preview("cursor")
    assert "<local key>" in preview and local_key() not in preview and f":{api.snapshot().port}/mcp" in preview
    api.connect_client("cursor")
    written = (tmp_path / ".cursor" / "mcp.json").read_text()
    assert local_key() in written and api.client_preview("cursor") == ""
    assert {s.client.id: s for s in api.client_statuses()}["cursor"].entries[0].state.value == "current"
    assert api.undo_client("cursor").removed and not (tmp_path / ".cursor" / "mcp.json").exists()


def test_doctor_checks_this_machine_and_the_tool_count(api: BridgeApi, tmp_path) -> None:
    from bridge.doctor import check_local_port, check_tool_limits
    from bridge.export import Env

    api.export_env = Env(tmp_path, "linux", {})
    names = [c.name for c in api.doctor().checks]
    assert names[:3] == ["Settings", "Keychain", "Local port"] and names[-1] == "Tool count"
    (tmp_path / ".cursor").mkdir()
    api.connect_client("cursor")  # Cursor handles 40 tools; the demo organization offers 42
    count = api.doctor().checks[-1]
    assert not count.ok and "Cursor (40)" in count.detail and "Settings → Tools" in count.advice
    assert check_tool_limits(42, {"Cursor": 40}).ok  # not connected: mentioned, not failed
    assert check_tool_limits(30, {"Cursor": 40}, {"Cursor"}).ok
    assert not check_local_port(1, serving_here=True).ok and check_local_port(1, serving_here=False).ok


def test_the_demo_organization_runs_in_process_without_a_keychain(monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    from bridge.api import is_demo, session_key

    keyring.set_keyring(fail.Keyring())  # a Linux desktop without Secret Service (the fixture restores it)
    key, warning = session_key()
    assert key and warning and "keychain" in warning
    store = SettingsStore()
    api = BridgeApi(store, port=0, key=key)
    api.start()
    try:
        assert api.snapshot().active is None
        profile = api.start_demo()
        assert is_demo(store.load().get_profile(profile.id)) and api.demo_port is not None
        snap = api.snapshot()
        assert snap.active is not None and snap.active.demo and snap.active.has_credentials
        assert snap.active.name == "Demo" and snap.active.auth_mode == "token"
        answer = httpx2.post(snap.mcp_url, json=HELLO, headers={"Authorization": f"Bearer {key}",
                             "Accept": "application/json, text/event-stream"})  # fmt: skip
        assert answer.status_code == 200 and api.snapshot().active.state == "signed_in"  # type: ignore[union-attr]
        assert len(api.fetch_tools(profile.id).result(30)) == 42  # the builder's tools in Acme
        first_port = api.demo_port
        assert api.start_demo().id == profile.id and len(store.load().profiles) == 1  # once, not twice
    finally:
        api.stop()
    assert api.demo_port is None
    again = BridgeApi(store, port=0, key=key)
    again.start()  # a later launch serves the demo again, on the same port while it is free
    try:
        assert again.demo_port == first_port
        assert f"127.0.0.1:{first_port}/" in store.load().get_profile(profile.id).mcp_url
    finally:
        again.stop()


def test_session_key_uses_the_keychain_when_there_is_one(memory_keyring) -> None:
    from bridge.api import session_key

    assert session_key() == (None, None) and local_key()  # the keychain's key, created on first use


def test_limits_activity_cap_and_approval_timeout_are_saved_and_applied(api: BridgeApi) -> None:
    """Settings → General's two numbers: written, taken by the running bridge at once, checked by the settings model."""
    from bridge.errors import SettingsError

    assert (api.limits.activity_max_mb(), api.limits.approval_timeout()) == (10, 60)  # the defaults
    assert api.limits.set_activity_max_mb(25).activity_max_mb == 25
    assert api.limits.set_approval_timeout(90).approval_timeout == 90
    assert (api.settings().activity_max_mb, api.settings().approval_timeout) == (25, 90)  # the running bridge's
    assert SettingsStore().load().approval_timeout == 90  # and the file's
    with pytest.raises(SettingsError, match="approval_timeout: must be from 10 to 3600"):
        api.limits.set_approval_timeout(5)
    with pytest.raises(SettingsError, match="activity_max_mb"):
        api.limits.set_activity_max_mb(0)
    assert api.limits.approval_timeout() == 90
