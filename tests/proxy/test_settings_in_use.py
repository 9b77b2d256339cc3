"""The settings a running bridge serves with when its settings file goes bad under it: a hand edit that broke the JSON,
then another process's read that set the file aside. The bridge keeps the profiles it had and says why."""

from __future__ import annotations

import logging

import httpx2
import pytest

from bridge.settings import SettingsStore
from tests.support.net import wait_until
from tests.support.stack import ACCEPT, Stack

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
         "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip


def test_a_corrupted_settings_file_set_aside_by_a_reader_leaves_the_bridge_its_profiles(
    rig: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    def status() -> dict[str, object]:
        return httpx2.get(f"{rig.bridge.url}/status", headers=rig.headers()).json()

    def problem() -> str:
        return str(status()["settings_problem"] or "")

    assert status()["settings_problem"] is None
    with caplog.at_level(logging.WARNING, logger="bridge.settings"):
        rig.store.path.write_text('{"profiles": [ broken by hand')
        wait_until(lambda: "could not be read (not valid JSON" in problem(), "the bridge saw the broken file")
        assert "kept until it is fixed" in problem()
        assert SettingsStore(rig.store.path).load().profiles == []  # the command line's next read sets it aside
        assert not rig.store.path.exists() and list(rig.store.path.parent.glob("settings.json.corrupt-*"))
        wait_until(lambda: "was set aside" in problem(), "the bridge saw the file set aside")
    assert "kept until settings are saved again" in problem()
    answer = httpx2.post(rig.url, json=HELLO, headers=rig.headers(**ACCEPT))
    assert answer.status_code == 200 and b"serverInfo" in answer.content  # was 503 "No Port profile is active"
    assert [p["id"] for p in status()["profiles"]] == ["acme", "acme-dev", "globex"]  # type: ignore[index]
    assert "was set aside" in caplog.text

    rig.store.update(lambda s: None)  # settings saved again (defaults now): taken into use, the problem gone
    wait_until(lambda: status()["settings_problem"] is None, "the bridge took the saved settings")
    assert status()["profiles"] == []


def test_require_local_key_as_the_string_false_keeps_the_key_required(rig: Stack) -> None:
    """A hand edit (or a tool) writes `"require_local_key": "false"`: refused, naming the field; the key stays on."""
    data = rig.store.path.read_text().replace('"require_local_key": true', '"require_local_key": "false"')
    assert '"false"' in data
    rig.store.path.write_text(data)
    wait_until(lambda: rig.bridge.settings_problem is not None, "the bridge read the edited file")
    assert "require_local_key: must be true or false (a JSON boolean, without quotes)" in rig.bridge.settings_problem
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert httpx2.post(rig.url, json=ping, headers=ACCEPT).status_code == 401  # was: read as false, the key off
    assert rig.bridge.settings.require_local_key is True
