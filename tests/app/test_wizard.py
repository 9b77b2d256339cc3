"""The first-run wizard, offscreen, on the real bridge: the demo organization to a connected client in three clicks,
and browser sign-in (against the sandbox, through "Another address")."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.wizard import FirstRunWizard
from bridge.api import BridgeApi, SignInStep, session_key
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore
from tests.support.browser import Browser
from tests.support.mcp import mcp_client


class Rig:
    def __init__(self, qtbot: QtBot, home: Path, key: str | None = None, warning: str | None = None) -> None:
        self.qtbot, self.home = qtbot, home
        self.api = BridgeApi(SettingsStore(), port=0, key=key)
        self.api.export_env = Env(home, "linux", {}, None)
        self.controller = Controller(self.api)
        self.browser = Browser()
        self.wizard = FirstRunWizard(self.controller, warning=warning, open_browser=self.browser)
        qtbot.addWidget(self.wizard)

    def click(self, button: Any) -> None:
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path) -> Iterator[Rig]:
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".config" / "Code" / "User").mkdir(parents=True)
    rig = Rig(qtbot, tmp_path)
    rig.controller.start()
    rig.wizard.show()
    try:
        yield rig
    finally:
        rig.controller.stop()


async def _ask(url: str, headers: dict[str, str]) -> tuple[int, str]:
    async with mcp_client(url, headers) as session:
        tools = (await session.list_tools()).tools
        who = await session.call_tool("describe_user_details", {})
        return len(tools), who.content[0].text  # type: ignore[union-attr]


def test_demo_to_a_connected_client_in_three_clicks(rig: Rig, qtbot: QtBot) -> None:
    assert rig.wizard.page() == "welcome"
    rig.click(rig.wizard.demo_button)  # 1
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect" and "cursor" in rig.wizard.last_page.rows, timeout=15000)
    assert set(rig.wizard.last_page.rows) == {"cursor", "vscode"}  # the clients installed in this home, no others
    assert rig.api.snapshot().mcp_url in rig.wizard.last_page.connect_intro.text()
    row = rig.wizard.last_page.rows["cursor"]
    assert row.button.text() == "Connect" and row.state.text() == "installed"
    rig.click(row.button)  # 2
    qtbot.waitUntil(lambda: row.button.text() == "Connected", timeout=10000)
    assert not row.button.isEnabled() and "mcp.json" in row.result.text()
    with qtbot.waitSignal(rig.wizard.finishedSetup, timeout=1000):
        rig.click(rig.wizard.done_button)  # 3
    assert not rig.wizard.isVisible()

    # What Cursor now finds in its file reaches the demo organization through the bridge.
    entry = json.loads((rig.home / ".cursor" / "mcp.json").read_text())["mcpServers"]["port"]
    count, who = anyio.run(_ask, entry["url"], entry["headers"])
    assert count == 42 and "Acme" in who
    snapshot = rig.api.snapshot()
    assert snapshot.active is not None and snapshot.active.demo and snapshot.active.name == "Demo"


def test_the_demo_works_without_a_keychain_and_says_what_that_means(qtbot: QtBot, tmp_path: Path) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # restored by the autouse fixture
    key, warning = session_key()
    rig = Rig(qtbot, tmp_path, key=key, warning=warning)
    rig.controller.start()
    try:
        rig.wizard.show()
        notes = [w for w in rig.wizard.findChildren(QLabel) if w.objectName() == "warning"]
        assert len(notes) == 1 and notes[0].isVisible() and "keychain" in notes[0].text()
        rig.click(rig.wizard.demo_button)
        qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=15000)
        qtbot.waitUntil(lambda: "No MCP client was found" in rig.wizard.last_page.clients_status.text(), timeout=5000)
        count, who = anyio.run(_ask, rig.api.snapshot().mcp_url, {"Authorization": f"Bearer {key}"})
        assert count == 42 and "Acme" in who
    finally:
        rig.controller.stop()


def test_sign_in_with_the_browser_shows_progress_then_the_clients(
    rig: Rig, qtbot: QtBot, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")  # the test's browser would log the callback URL (a code)
    rig.click(rig.wizard.sign_in_button)
    assert rig.wizard.page() == "sign-in" and rig.wizard.region() == "eu"
    other = next(b for b in rig.wizard.regions.buttons() if not b.property("region"))
    other.setChecked(True)
    rig.wizard.url_edit.setText("not an address")
    rig.wizard.name_edit.setText("Work")
    rig.click(rig.wizard.browser_button)
    assert rig.wizard.page() == "sign-in" and rig.wizard.sign_in_status.isVisible()
    assert rig.api.settings().profiles == []  # nothing added for a wrong address

    rig.wizard.url_edit.setText(sandbox.mcp_url)
    steps: list[SignInStep] = []
    rig.wizard._progress.connect(steps.append)
    rig.click(rig.wizard.browser_button)
    assert rig.wizard.browser_button.text() == "Cancel"  # while the browser is open
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=20000)
    assert any("browser" in step.text for step in steps) and rig.browser.opened
    assert rig.wizard.sso_hint.isHidden()  # shown only while the browser is open
    assert "Work" in rig.wizard.last_page.connect_intro.text()
    snapshot = rig.api.snapshot()
    assert snapshot.active is not None and snapshot.active.id == "work" and snapshot.active.has_credentials


def test_a_refused_sign_in_stays_on_the_page_and_says_why(
    rig: Rig, qtbot: QtBot, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")
    rig.browser.decision = "deny"
    rig.click(rig.wizard.sign_in_button)
    next(b for b in rig.wizard.regions.buttons() if not b.property("region")).setChecked(True)
    rig.wizard.url_edit.setText(sandbox.mcp_url)
    rig.click(rig.wizard.browser_button)
    qtbot.waitUntil(lambda: rig.wizard.browser_button.text() != "Cancel", timeout=20000)
    assert rig.wizard.page() == "sign-in" and rig.wizard.back_button.isEnabled()
    assert rig.wizard.sign_in_status.text() and "Opening" not in rig.wizard.sign_in_status.text()


def test_an_sso_error_page_is_explained_while_waiting_with_the_request_to_copy_and_api_credentials_as_the_way_out(
    rig: Rig, qtbot: QtBot, sandbox: Sandbox
) -> None:
    """Port's SSO organizations get an error page in the browser that never comes back: the wizard says at once what
    it means, copies the request for Port support, and signs in with API credentials instead."""
    sandbox.faults.sso_login_error = True
    rig.click(rig.wizard.sign_in_button)
    next(b for b in rig.wizard.regions.buttons() if not b.property("region")).setChecked(True)
    rig.wizard.url_edit.setText(sandbox.mcp_url)
    rig.wizard.name_edit.setText("Work")
    rig.click(rig.wizard.browser_button)
    hint = rig.wizard.sso_hint
    qtbot.waitUntil(lambda: hint.isVisible(), timeout=15000)
    assert rig.wizard.sign_in_status.text() == "Waiting for the browser…"
    assert '"Oops!, something went wrong"' in hint.label.text() and "Port support" in hint.label.text()
    qtbot.waitUntil(lambda: bool(rig.browser.landed), timeout=10000)
    assert "Oops!, something went wrong" in rig.browser.last_page  # what the user is looking at meanwhile
    assert rig.wizard.browser_button.text() == "Cancel"  # still waiting: nothing came back

    rig.click(hint.copy_button)
    request = QGuiApplication.clipboard().text()
    assert request.startswith("Hello Port support") and "SSO authentication error" in request
    assert f"Region: {sandbox.mcp_url}." in request and "Organization: <your organization's name in Port>." in request
    assert hint.copy_button.text().startswith("Copied")

    rig.click(hint.credentials_button)
    qtbot.waitUntil(lambda: rig.wizard.browser_button.text() == "Sign in with API credentials", timeout=10000)
    assert rig.wizard.client_id.isVisible() and rig.wizard.secret.isVisible() and hint.isHidden()
    assert "avatar menu → Credentials" in rig.wizard.sign_in_status.text()
    rig.wizard.client_id.setText("acme-builder-demo")
    rig.wizard.secret.setText(DEMO_CREDENTIALS["acme-builder-demo"][0])
    rig.click(rig.wizard.browser_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=20000)
    profile = rig.api.settings().get_profile("work")
    assert profile.auth_mode.value == "token" and profile.organization == "Acme Corp (demo)"


def test_a_client_using_port_directly_is_replaced_by_default(rig: Rig, qtbot: QtBot) -> None:
    """Port's guide set VS Code up with `npx mcp-remote https://mcp.port.io/v1` and read-only: the wizard's Connect
    replaces that entry and carries read-only into the profile."""
    path = rig.home / ".config" / "Code" / "User" / "mcp.json"
    path.write_bytes(
        (Path(__file__).parents[1] / "export" / "inputs" / "direct" / "vscode-mcp-remote.json").read_bytes()
    )
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: "vscode" in rig.wizard.last_page.rows, timeout=15000)
    row = rig.wizard.last_page.rows["vscode"]
    assert row.button.text() == "Replace" and "uses Port directly (port-vscode-eu)" in row.state.text()
    rig.click(row.button)
    qtbot.waitUntil(lambda: "Replaced port-vscode-eu" in row.result.text(), timeout=10000)
    assert "Carried over into profile 'Demo': Read-only turned on" in row.result.text()
    assert "port-vscode-eu" not in path.read_text() and rig.api.settings().active().read_only
    qtbot.waitUntil(lambda: row.button.text() == "Connected", timeout=10000)
