"""The first five minutes, walked as a new user would, without a terminal (issue 17's walk): first start → the demo
→ connect Cursor → read-only from the app's menu → add a real profile in Settings and sign in (the sandbox, API
credentials) → make it active → connect a second client → quit → start again, where everything is as it was left.

Offscreen (no tray: the main window), against the real bridge and sandbox; every step through the app's own widgets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.application import TrayApp
from app.settings.common import Page
from app.settings.profiles import ProfilesPage
from bridge.api import BridgeApi
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore
from tests.app.test_settings_profiles import add_token_profile
from tests.app.test_tray import ask


def _servers(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    return data.get("mcpServers") or data.get("servers") or {}


def test_the_first_five_minutes_without_a_terminal(
    qtbot: QtBot, tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for folder in (".cursor", ".config/Code/User"):
        (home / folder).mkdir(parents=True)
    monkeypatch.setattr(Page, "confirm", lambda self, title, text, action: True)
    env = Env(home, "linux", {}, None)

    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = env
    first = TrayApp(api)
    first.start()
    try:
        # First start: the wizard. Try the demo organization, connect Cursor, Done (start at login stays ticked).
        wizard = first.wizard
        assert wizard is not None and wizard.isVisible()
        wizard.demo_button.click()
        qtbot.waitUntil(lambda: wizard.page() == "connect" and "cursor" in wizard.last_page.rows, timeout=30000)
        wizard.last_page.rows["cursor"].button.click()
        qtbot.waitUntil(lambda: wizard.last_page.rows["cursor"].button.text() == "Connected", timeout=15000)
        assert "port" in _servers(home / ".cursor" / "mcp.json")
        wizard.last_page.done_button.click()
        qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=10000)
        assert (home / ".config" / "autostart" / "port-mcp-bridge.desktop").is_file()
        assert len(ask(api)) == 42  # what Cursor now sees: the demo's tools

        # Read-only from the app's menu: write tools are gone for the connected client.
        tray = first.tray
        assert tray is not None
        tray.build_menu()
        tray.action("Read-only").trigger()
        qtbot.waitUntil(lambda: bool(api.settings().active() and api.settings().active().read_only), timeout=5000)
        qtbot.waitUntil(lambda: len(ask(api)) < 42, timeout=10000)

        # A real profile from Settings → Profiles: the sandbox stands in for the company's Port, API credentials.
        first.show_settings("profiles")
        settings = first.settings_window
        assert settings is not None
        page = settings.page("profiles")
        assert isinstance(page, ProfilesPage)
        add_token_profile(page, sandbox.mcp_url, DEMO_CREDENTIALS["acme-builder-demo"][0])
        qtbot.waitUntil(lambda: page.sign_status.text().startswith("Signed in"), timeout=20000)
        page.use_button.click()
        qtbot.waitUntil(lambda: api.snapshot().active is not None and api.snapshot().active.id == "acme",
                        timeout=10000)  # fmt: skip
        assert ask(api)  # Cursor now reaches Acme through the same entry

        # A second client from the app's menu.
        tray.load_clients()
        qtbot.waitUntil(lambda: tray.clients is not None, timeout=10000)
        vscode = next(s for s in tray.clients or [] if s.client.id == "vscode")
        tray.connect_client(vscode)
        qtbot.waitUntil(lambda: (home / ".config/Code/User/mcp.json").is_file(), timeout=10000)
        assert "port" in _servers(home / ".config" / "Code" / "User" / "mcp.json")
        port = api.snapshot().port  # the settings' port when installed; a free one in tests
    finally:
        first.shutdown()  # Quit, as the menu's Quit does (without ending the test's QApplication)

    # Start again: no wizard, the profile and the clients as they were left, serving at once.
    again = BridgeApi(SettingsStore(), port=port)
    again.export_env = env
    second = TrayApp(again)
    second.start()
    try:
        assert second.wizard is None or not second.wizard.isVisible()
        snapshot = again.snapshot()
        assert snapshot.active is not None and snapshot.active.id == "acme"
        assert ask(again)
        assert {s.client.id for s in again.client_statuses() if s.entries[0].state.value == "current"} >= {
            "cursor", "vscode"}  # fmt: skip
    finally:
        second.shutdown()
