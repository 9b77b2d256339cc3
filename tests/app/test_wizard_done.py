"""The wizard's last page and coming back to it (issue 17, section 5), offscreen on the real bridge and sandbox: start
at login (and General reading it from the OS), a client over its tool limit offered a one-click fit, who signed in
and a first prompt, the tray's entry with no profile reopening the wizard, and no orphan profile after a failed or
cancelled sign-in."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.application import TrayApp
from bridge.api import BridgeApi, ToolInfo, ToolLimit
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from bridge.system import autostart
from tests.app.test_wizard import Rig
from tests.support.mcp import mcp_client


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path) -> Iterator[Rig]:
    (tmp_path / ".cursor").mkdir()
    made = Rig(qtbot, tmp_path)
    made.controller.start()
    made.wizard.show()
    try:
        yield made
    finally:
        made.controller.stop()


def _starts_at_login(home: Path) -> bool:
    return autostart.is_enabled(system="linux", home=home, environ={})


def _demo_connected(rig: Rig, qtbot: QtBot, client: str = "cursor") -> None:
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: client in rig.wizard.last_page.rows, timeout=15000)
    row = rig.wizard.last_page.rows[client]
    rig.click(row.button)
    qtbot.waitUntil(lambda: row.button.text() == "Connected", timeout=10000)


async def _tool_count(url: str, headers: dict[str, str]) -> int:
    async with mcp_client(url, headers) as session:
        return len((await session.list_tools()).tools)


def _cursor_sees(rig: Rig) -> int:
    entry = json.loads((rig.home / ".cursor" / "mcp.json").read_text())["mcpServers"]["port"]
    return anyio.run(_tool_count, entry["url"], entry["headers"])


# --- start at login --------------------------------------------------------------------------------------------------


def test_start_at_login_is_on_by_default_and_applied_on_done(rig: Rig, qtbot: QtBot) -> None:
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=15000)
    done = rig.wizard.last_page
    assert done.autostart.isChecked() and done.autostart.isVisible()
    assert not _starts_at_login(rig.home)
    with qtbot.waitSignal(rig.wizard.finishedSetup, timeout=2000):
        rig.click(rig.wizard.done_button)
    assert _starts_at_login(rig.home) and rig.api.settings().start_at_login


def test_start_at_login_unticked_stays_off(rig: Rig, qtbot: QtBot) -> None:
    autostart.apply(True, ["/opt/old"], system="linux", home=rig.home, environ={})  # left by an earlier install
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=15000)
    rig.wizard.last_page.autostart.setChecked(False)
    rig.click(rig.wizard.done_button)
    assert not _starts_at_login(rig.home) and not rig.api.settings().start_at_login


def test_start_at_login_the_os_refuses_is_said_and_done_again_finishes(rig: Rig, qtbot: QtBot) -> None:
    (rig.home / ".config").mkdir(parents=True)
    (rig.home / ".config" / "autostart").write_text("")  # a file where the folder should be: the OS refuses
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=15000)
    page = rig.wizard.last_page
    rig.click(rig.wizard.done_button)
    assert rig.wizard.isVisible() and page.autostart_note.isVisible()
    assert "Could not turn on start at login" in page.autostart_note.text() and "Done" in page.autostart_note.text()
    assert not page.autostart.isChecked()
    with qtbot.waitSignal(rig.wizard.finishedSetup, timeout=2000):
        rig.click(rig.wizard.done_button)
    assert not rig.wizard.isVisible()


def test_general_shows_start_at_login_as_the_os_has_it(qtbot: QtBot, api: BridgeApi, tmp_path: Path) -> None:
    """The stored setting can disagree with the OS (the login item removed in System Settings, an entry left by an
    earlier install): the checkbox shows what will happen at the next login."""
    from app.controller import Controller
    from app.settings.general import GeneralPage

    api.export_env = Env(tmp_path, "linux", {})
    page = GeneralPage(Controller(api))
    qtbot.addWidget(page)
    assert not page.autostart.isChecked()
    autostart.apply(True, ["/opt/app"], system="linux", home=tmp_path, environ={})  # the OS has it, the file not
    assert not api.settings().start_at_login
    page.activated()
    assert page.autostart.isChecked()
    page.autostart.setChecked(False)  # through the facade: the OS entry goes, the setting follows
    qtbot.waitUntil(lambda: not _starts_at_login(tmp_path), timeout=5000)
    api.set_start_at_login(True, ["/opt/app"])
    assert _starts_at_login(tmp_path)
    (tmp_path / ".config" / "autostart" / "port-mcp-bridge.desktop").unlink()  # removed outside the app
    page.activated()
    assert not page.autostart.isChecked() and api.settings().start_at_login


# --- more tools than a client can use --------------------------------------------------------------------------------


def test_a_client_over_its_tool_limit_is_offered_a_suggested_selection(rig: Rig, qtbot: QtBot) -> None:
    _demo_connected(rig, qtbot)
    fit = rig.wizard.last_page.fit
    qtbot.waitUntil(lambda: fit.isVisible(), timeout=15000)
    assert "Cursor" in fit.text.text() and "40" in fit.text.text() and "42" in fit.text.text()
    assert fit.read_only_button.text() == "Turn on Read-only (21 tools)"
    assert fit.selection_button.text() == "Hide the 7 destructive tools (35 tools)"
    assert _cursor_sees(rig) == 42
    rig.click(fit.selection_button)
    qtbot.waitUntil(lambda: "within" in fit.text.text(), timeout=15000)
    assert fit.selection_button.isHidden() and fit.read_only_button.isHidden()
    tools = rig.api.settings().active().tools
    assert tools.mode == "allow" and len(tools.names) == 35 and "delete_entity" not in tools.names
    assert _cursor_sees(rig) == 35


def test_a_client_over_its_tool_limit_can_be_fitted_with_read_only(rig: Rig, qtbot: QtBot) -> None:
    _demo_connected(rig, qtbot)
    fit = rig.wizard.last_page.fit
    qtbot.waitUntil(lambda: fit.isVisible(), timeout=15000)
    rig.click(fit.read_only_button)
    qtbot.waitUntil(lambda: "within" in fit.text.text(), timeout=15000)
    assert rig.api.settings().active().read_only and _cursor_sees(rig) == 21


def test_no_fit_is_offered_while_the_clients_are_within_their_limits(rig: Rig, qtbot: QtBot) -> None:
    (rig.home / ".config" / "Code" / "User").mkdir(parents=True)
    _demo_connected(rig, qtbot, "vscode")  # 128
    rig.wizard.last_page.load_tools()  # the answer to wait for
    qtbot.waitUntil(lambda: rig.wizard.last_page.fit.checked, timeout=15000)
    assert rig.wizard.last_page.fit.isHidden()


def _tool(name: str, kind: str) -> ToolInfo:
    return ToolInfo(name, name, "", kind, True)  # type: ignore[arg-type]


def test_the_fit_is_pure_and_hides_the_riskiest_tools_first() -> None:
    from bridge.api import tool_fit

    tools = [_tool(f"read_{i}", "read") for i in range(5)] + [_tool("upsert_a", "write"), _tool("upsert_b", "write")]
    tools += [_tool("delete_a", "destructive"), _tool("odd", "unclassified")]
    limits = [ToolLimit(6, "Tight", ""), ToolLimit(100, "Roomy", "")]
    assert tool_fit(tools, limits, {"Roomy"}, read_only=False) is None  # only the roomy client is connected
    fit = tool_fit(tools, limits, {"Tight", "Roomy"}, read_only=False)
    assert fit is not None and fit.limit.client == "Tight" and fit.exposed == 9 and fit.read_only == 5
    assert fit.hidden == ("delete_a", "odd", "upsert_b") and fit.selection.mode == "allow"
    assert fit.selection.names == [f"read_{i}" for i in range(5)] + ["upsert_a"]
    assert fit.hidden_kinds == {"destructive", "unclassified", "write"}
    tight = tool_fit(tools, [ToolLimit(3, "Tiny", "")], {"Tiny"}, read_only=False)
    assert tight is not None and tight.read_only is None and tight.selection.names == ["read_0", "read_1", "read_2"]


# --- who signed in, and what to ask --------------------------------------------------------------------------------


def test_the_demo_says_it_signed_in_by_itself_and_offers_a_first_prompt(rig: Rig, qtbot: QtBot) -> None:
    rig.click(rig.wizard.demo_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=15000)
    done = rig.wizard.last_page
    assert "Signed in automatically" in done.signed_in.text() and "Acme Corp" in done.signed_in.text()
    assert "OrderProcessing" in done.prompt.text()
    rig.click(done.copy_prompt)
    assert QGuiApplication.clipboard().text() == done.prompt_text and done.copy_prompt.text() == "Copied"


def test_a_browser_sign_in_says_who_signed_in_where(
    rig: Rig, qtbot: QtBot, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")
    _sign_in_at(rig, sandbox)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=20000)
    said = rig.wizard.last_page.signed_in.text()
    organization = rig.api.settings().active().organization
    assert organization and said == f"Signed in as dana@acme.example in {organization}."
    assert rig.wizard.last_page.prompt_text == "List my services in Port"


# --- a failed or cancelled sign-in leaves no orphan ---------------------------------------------------------------


def _sign_in_at(rig: Rig, sandbox: Sandbox, name: str = "Work") -> None:
    rig.click(rig.wizard.sign_in_button)
    next(b for b in rig.wizard.regions.buttons() if not b.property("region")).setChecked(True)
    rig.wizard.url_edit.setText(sandbox.mcp_url)
    rig.wizard.name_edit.setText(name)
    rig.click(rig.wizard.browser_button)


def test_a_refused_sign_in_leaves_no_profile_behind(
    rig: Rig, qtbot: QtBot, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")
    rig.browser.decision = "deny"
    _sign_in_at(rig, sandbox)
    qtbot.waitUntil(lambda: rig.wizard.browser_button.text() != "Cancel", timeout=20000)
    qtbot.waitUntil(lambda: rig.api.settings().profiles == [], timeout=5000)
    assert rig.api.snapshot().active is None and rig.wizard.page() == "sign-in"
    rig.browser.decision = "approve"  # trying again works, under the same name
    qtbot.waitUntil(lambda: rig.wizard.browser_button.isEnabled(), timeout=5000)
    rig.click(rig.wizard.browser_button)
    qtbot.waitUntil(lambda: rig.wizard.page() == "connect", timeout=20000)
    assert [p.id for p in rig.api.settings().profiles] == ["work"]


def test_a_cancelled_sign_in_keeps_the_profile_that_was_active(
    qtbot: QtBot, tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")
    store = SettingsStore()
    store.add_profile("Before", sandbox.mcp_url, make_active=True)
    store.add_profile("Other", sandbox.mcp_url)
    rig = Rig(qtbot, tmp_path)
    rig.browser.act = False  # the user never comes back from the browser
    rig.controller.start()
    try:
        rig.wizard.show()
        _sign_in_at(rig, sandbox)
        qtbot.waitUntil(lambda: bool(rig.browser.opened), timeout=15000)
        assert rig.api.snapshot().active.id == "work"  # type: ignore[union-attr]  # while signing in
        rig.click(rig.wizard.browser_button)  # Cancel
        qtbot.waitUntil(lambda: [p.id for p in rig.api.settings().profiles] == ["before", "other"], timeout=10000)
        assert rig.api.settings().active_profile == "before"
        qtbot.waitUntil(rig.wizard.browser_button.isEnabled, timeout=5000)

        _sign_in_at(rig, sandbox)  # again, then the wizard is closed while the browser is open
        qtbot.waitUntil(lambda: len(rig.browser.opened) == 2, timeout=15000)
        rig.wizard.close()
        qtbot.waitUntil(lambda: [p.id for p in rig.api.settings().profiles] == ["before", "other"], timeout=10000)
        assert rig.api.settings().active_profile == "before"
    finally:
        rig.controller.stop()


def test_going_back_after_choosing_api_credentials_leaves_no_profile(rig: Rig, qtbot: QtBot, sandbox: Sandbox) -> None:
    sandbox.faults.sso_login_error = True  # the browser shows Port's SSO error page: API credentials instead
    _sign_in_at(rig, sandbox)
    qtbot.waitUntil(rig.wizard.sso_hint.isVisible, timeout=15000)
    rig.click(rig.wizard.sso_hint.credentials_button)
    qtbot.waitUntil(lambda: rig.wizard.browser_button.text() == "Sign in with API credentials", timeout=10000)
    assert [p.id for p in rig.api.settings().profiles] == ["work"]  # kept while the credentials are typed
    rig.click(rig.wizard.back_button)  # changed their mind: the demo instead
    qtbot.waitUntil(lambda: rig.api.settings().profiles == [], timeout=5000)
    assert rig.wizard.page() == "welcome"


# --- coming back: the tray with no profile --------------------------------------------------------------------------


def test_the_tray_without_a_profile_says_not_set_up_and_reopens_the_wizard(qtbot: QtBot, tmp_path: Path) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(tmp_path, "linux", {})
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        first = tray_app.wizard
        assert first is not None and first.isVisible()
        first.close()  # closed without choosing anything
        tray = tray_app.tray
        assert tray is not None
        tray.build_menu()
        items = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
        assert items[:2] == ["Not set up", "Set up Port MCP Bridge…"]
        assert "Not set up" in tray.icon.toolTip() and "Sign-in needed" not in tray.icon.toolTip()
        tray.action("Set up Port MCP Bridge…").trigger()
        wizard = tray_app.wizard
        assert wizard is not None and wizard.isVisible() and wizard.page() == "welcome"
        assert tray_app.settings_window is None

        qtbot.mouseClick(wizard.demo_button, Qt.MouseButton.LeftButton)  # the demo, started again from the GUI
        qtbot.waitUntil(lambda: wizard.page() == "connect", timeout=15000)
        wizard.last_page.autostart.setChecked(False)
        qtbot.mouseClick(wizard.done_button, Qt.MouseButton.LeftButton)
        api.remove_profile("demo")  # and removed again in Settings
        tray_app.controller.refresh()
        tray.build_menu()
        tray.action("Set up Port MCP Bridge…").trigger()
        assert tray_app.wizard is not wizard and tray_app.wizard.isVisible()
        assert tray_app.wizard.page() == "welcome"  # a fresh start, not the finished wizard's last page
    finally:
        tray_app.shutdown()
