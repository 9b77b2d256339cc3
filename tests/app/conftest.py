"""GUI tests: Qt offscreen, the real bridge (`BridgeApi`) in front of the sandbox, in token mode."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bridge.api import BridgeApi
from bridge.auth.account import CREDENTIALS_REF
from bridge.auth.keychain import set_secret
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore

if TYPE_CHECKING:
    from app.settings.window import SettingsWindow


def token_profile(store: SettingsStore, name: str, url: str, client: str, *, active: bool = False) -> str:
    profile = store.add_profile(name, url, auth_mode="token", make_active=active)
    ref = f"profile/{profile.id}/client-credentials"
    set_secret(ref, json.dumps({"clientId": client, "clientSecret": DEMO_CREDENTIALS[client][0]}))
    store.set_profile(profile.id, secret_refs={CREDENTIALS_REF: ref})
    return profile.id


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[BridgeApi]:
    """Two profiles on the sandbox: Acme (active, builder) and Globex; the bridge on a free port."""
    store = SettingsStore()
    token_profile(store, "Acme", sandbox.mcp_url, "acme-builder-demo", active=True)
    token_profile(store, "Globex", sandbox.mcp_url, "globex-builder-demo")
    bridge = BridgeApi(store, port=0)
    try:
        yield bridge
    finally:
        bridge.stop()


@pytest.fixture
def window(qtbot: QtBot, api: BridgeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SettingsWindow]:
    """The settings window on a running bridge; client configs go to a temporary home; confirmations say yes."""
    from app.controller import Controller
    from app.settings.common import Page
    from app.settings.window import SettingsWindow
    from bridge.export import Env

    api.export_env = Env(tmp_path / "home", "linux", {})
    monkeypatch.setattr(Page, "confirm", lambda self, title, text, action: True)
    controller = Controller(api)
    controller.start()
    win = SettingsWindow(controller)
    qtbot.addWidget(win)
    try:
        yield win
    finally:
        controller.stop()
