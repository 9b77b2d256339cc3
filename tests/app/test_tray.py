"""The tray menu against the real bridge and sandbox: what its items do is what a connected MCP client sees."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.icons import TrayState, tray_state
from app.tray import Tray
from bridge.api import BridgeApi, ProfileView, Snapshot
from bridge.export import Env
from bridge.policy import is_read_only_tool
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from tests.support.browser import Browser
from tests.support.mcp import mcp_client


class Rig:
    def __init__(self, tray: Tray, api: BridgeApi, home: Path) -> None:
        self.tray, self.api, self.home = tray, api, home
        self.settings_pages: list[str] = []
        self.opened: list[QUrl] = []
        self.quits = 0
        self.shown: list[tuple[str, str]] = []

    def items(self, menu: QMenu | None = None) -> list[str]:
        return [a.text() for a in (menu or self.tray.menu).actions() if not a.isSeparator()]

    def click(self, text: str, menu: QMenu | None = None) -> None:
        self.tray.build_menu()  # as when the user opens the menu
        self.tray.action(text, menu).trigger()


@pytest.fixture
def rig(qtbot: QtBot, api: BridgeApi, tmp_path: Path) -> Iterator[Rig]:
    (tmp_path / ".cursor").mkdir()  # Cursor is "installed" in this home
    api.export_env = Env(tmp_path, "linux", {}, None)
    controller = Controller(api)
    controller.start()
    holder: dict[str, Rig] = {}
    tray = Tray(
        controller,
        show_settings=lambda page: holder["rig"].settings_pages.append(page),
        quit_app=lambda: setattr(holder["rig"], "quits", holder["rig"].quits + 1),
        open_url=lambda url: holder["rig"].opened.append(url),
    )
    rig = holder["rig"] = Rig(tray, api, tmp_path)
    tray.shown.connect(lambda title, text: rig.shown.append((title, text)))
    try:
        yield rig
    finally:
        controller.stop()


async def _ask(url: str, key: str, call: str | None = None) -> Any:
    """A fresh MCP client session through the bridge, as an IDE opens one: the tool names, or one call's text."""
    async with mcp_client(url, {"Authorization": f"Bearer {key}"}) as session:
        if call:
            result = await session.call_tool(call, {})
            return result.content[0].text  # type: ignore[union-attr]
        return {
            t.name: t.model_dump(mode="json", by_alias=True, exclude_none=True)
            for t in (await session.list_tools()).tools
        }


def ask(api: BridgeApi, call: str | None = None) -> Any:
    return anyio.run(_ask, api.snapshot().mcp_url, api.local_key() or "", call)


def test_the_menu_shows_profiles_read_only_sign_out_and_every_command(rig: Rig) -> None:
    rig.tray.build_menu()
    assert rig.items() == [
        "Serving: Acme", "Acme", "Globex", "Read-only", "Sign out of Acme", "Copy MCP URL", "Connect a client",
        "Recent activity", "Pause", "Settings…", "Doctor…", "Open logs", "Check for updates…", "About Port MCP Bridge…",
        "Quit Port MCP Bridge",
    ]  # fmt: skip
    checked = {a.text(): a.isChecked() for a in rig.tray.menu.actions() if a.isCheckable()}
    assert checked == {"Acme": True, "Globex": False, "Read-only": False}
    assert rig.tray.state == TrayState.SERVING and "Acme: Serving" in rig.tray.icon.toolTip()
    assert rig.api.snapshot().mcp_url in rig.tray.icon.toolTip()


def test_read_only_in_the_tray_removes_write_tools_from_a_connected_client(rig: Rig, qtbot: QtBot) -> None:
    before = ask(rig.api)
    assert len(before) == 42 and "upsert_entity" in before and "run_action" in before
    rig.click("Read-only")
    assert rig.api.settings().get_profile("acme").read_only
    after = ask(rig.api)
    assert "upsert_entity" not in after and "run_action" not in after and "list_entities" in after
    assert all(is_read_only_tool(tool) for tool in after.values()) and len(after) < len(before)
    assert rig.shown[-1][0] == "Read-only on"
    rig.tray.build_menu()
    assert rig.tray.action("Read-only").isChecked()
    rig.click("Read-only")  # and back
    assert len(ask(rig.api)) == 42


def test_switching_profile_in_the_tray_moves_a_client_to_the_other_organization(rig: Rig, qtbot: QtBot) -> None:
    assert "Acme" in ask(rig.api, "describe_user_details")
    with qtbot.waitSignal(rig.tray.shown, timeout=3000) as notice:
        rig.click("Globex")
    assert notice.args == ["Profile switched", "Your assistants now reach Globex."]
    details = ask(rig.api, "describe_user_details")
    assert "Globex" in details and "Acme" not in details
    rig.tray.build_menu()
    assert rig.items()[0] == "Serving: Globex" and rig.tray.action("Globex").isChecked()


def test_pause_and_resume(rig: Rig) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
             "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    headers = {"Authorization": f"Bearer {rig.api.local_key()}", "Accept": "application/json, text/event-stream"}
    rig.click("Pause")
    answer = httpx2.post(rig.api.snapshot().mcp_url, json=hello, headers=headers)
    assert answer.status_code == 503 and "Resume it from Port MCP Bridge's menu" in answer.json()["error"]["message"]
    rig.tray.build_menu()
    assert rig.items()[0] == "Paused: Acme" and "Resume" in rig.items() and "Pause" not in rig.items()
    assert rig.tray.state == TrayState.PAUSED
    rig.click("Resume")
    assert httpx2.post(rig.api.snapshot().mcp_url, json=hello, headers=headers).status_code == 200
    rig.tray.build_menu()
    assert rig.tray.state == TrayState.SERVING and "Pause" in rig.items()


def test_copy_url_settings_doctor_logs_and_quit(rig: Rig) -> None:
    rig.click("Copy MCP URL")
    assert QGuiApplication.clipboard().text() == rig.api.snapshot().mcp_url
    assert rig.api.local_key() not in QGuiApplication.clipboard().text()  # type: ignore[operator]
    rig.click("Settings…")
    rig.click("Doctor…")
    assert rig.settings_pages == ["profiles", "doctor"]
    rig.click("Open logs")  # the log viewer, which has the folder one click away
    viewer = rig.tray.log_viewer
    assert viewer is not None and viewer.isVisible()
    viewer.folder_button.click()
    assert rig.opened and Path(rig.opened[0].toLocalFile()).is_dir()
    viewer.close()
    rig.click("Quit Port MCP Bridge")
    assert rig.quits == 1


def test_connect_a_client_from_the_submenu(rig: Rig, qtbot: QtBot) -> None:
    rig.tray.build_menu()
    qtbot.waitUntil(lambda: rig.tray.clients is not None, timeout=5000)
    submenu = rig.tray.clients_menu
    assert rig.items(submenu)[0] == "Cursor: connect" and "Manage clients…" in rig.items(submenu)
    assert not rig.tray.action("Cursor", submenu).isChecked()
    with qtbot.waitSignal(rig.tray.shown, timeout=5000) as notice:
        rig.tray.action("Cursor", submenu).trigger()
    assert notice.args[0] == "Cursor connected"
    written = json.loads((rig.home / ".cursor" / "mcp.json").read_text())["mcpServers"]["port"]
    assert written["url"] == rig.api.snapshot().mcp_url
    assert written["headers"]["Authorization"] == f"Bearer {rig.api.local_key()}"
    qtbot.waitUntil(lambda: rig.items(submenu)[0] == "Cursor: connected", timeout=5000)
    assert rig.tray.action("Cursor", submenu).isChecked()
    rig.api.set_read_only("acme", True)  # unrelated to the entry: still connected
    rig.tray.build_menu()
    qtbot.waitUntil(lambda: rig.items(submenu)[0] == "Cursor: connected", timeout=5000)


def test_no_profile_is_not_set_up_and_offers_the_wizard(qtbot: QtBot, sandbox: Sandbox) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    controller = Controller(api)
    controller.start()
    try:
        pages: list[str] = []
        wizards: list[bool] = []
        tray = Tray(controller, show_settings=pages.append, quit_app=lambda: None,
                    show_wizard=lambda: wizards.append(True))  # fmt: skip
        items = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
        assert items[:2] == ["Not set up", "Set up Port MCP Bridge…"] and "Read-only" not in items
        assert tray.state == TrayState.SIGN_IN and "Not set up" in tray.icon.toolTip()
        tray.action("Set up Port MCP Bridge…").trigger()
        assert wizards == [True] and pages == []  # the wizard again, where the demo can be started
    finally:
        controller.stop()


def test_sign_in_and_out_from_the_tray(qtbot: QtBot, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="httpx2")  # the test's browser would log the callback URL (a code)
    store = SettingsStore()
    store.add_profile("Work", sandbox.mcp_url, make_active=True)  # browser sign-in, not signed in yet
    api = BridgeApi(store, port=0)
    controller = Controller(api)
    controller.start()
    browser = Browser()
    try:
        tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None, open_browser=browser)
        shown: list[tuple[str, str]] = []
        tray.shown.connect(lambda title, text: shown.append((title, text)))
        assert tray.state == TrayState.SIGN_IN
        tray.build_menu()
        tray.action("Sign in to Work…").trigger()
        tray.build_menu()
        assert tray.action("Cancel signing in to Work")  # while the browser is open
        qtbot.waitUntil(lambda: shown[-1][0] == "Signed in", timeout=20000)
        assert "Acme" in shown[-1][1] and browser.opened
        tray.build_menu()
        assert tray.state == TrayState.SERVING and tray.action("Sign out of Work")
        assert "Acme" in ask(api, "describe_user_details")
        tray.action("Sign out of Work").trigger()
        qtbot.waitUntil(lambda: shown[-1][0] == "Signed out", timeout=10000)
        tray.build_menu()
        assert tray.action("Sign in to Work…") and tray.state == TrayState.SIGN_IN
    finally:
        controller.stop()


def test_a_cancelled_sign_in_says_so(qtbot: QtBot, sandbox: Sandbox) -> None:
    store = SettingsStore()
    store.add_profile("Work", sandbox.mcp_url, make_active=True)
    api = BridgeApi(store, port=0)
    controller = Controller(api)
    controller.start()
    try:
        tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None,
                    open_browser=Browser(act=False))  # fmt: skip
        shown: list[tuple[str, str]] = []
        tray.shown.connect(lambda title, text: shown.append((title, text)))
        tray.build_menu()
        tray.action("Sign in to Work…").trigger()
        qtbot.waitUntil(lambda: bool(tray._sign_in_step), timeout=10000)  # the browser was opened
        tray.build_menu()
        tray.action("Cancel signing in").trigger()
        qtbot.waitUntil(lambda: shown[-1][0] == "Sign-in cancelled", timeout=10000)
        tray.build_menu()
        assert tray.action("Sign in to Work…")
    finally:
        controller.stop()


def test_switching_to_a_profile_never_signed_in_says_so_and_a_click_signs_in(qtbot: QtBot, sandbox: Sandbox) -> None:
    """ "Your assistants now reach Work" would be untrue until Work is signed in: the notice says to sign in, and a
    click on it starts the sign-in, whose browser then shows Port's consent page."""
    from app.controller import SWITCHED_TO_SIGN_IN

    store = SettingsStore()
    store.add_profile("Demo", sandbox.mcp_url, auth_mode="token", make_active=True)
    store.update(lambda s: s.get_profile("demo").secret_refs.update(credentials="demo"))  # as if saved
    store.add_profile("Work", sandbox.mcp_url)
    api = BridgeApi(store, port=0)
    controller = Controller(api)
    controller.start()
    browser = Browser(act=False)
    try:
        tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None, open_browser=browser)
        with qtbot.waitSignal(tray.shown, timeout=3000) as notice:
            tray.build_menu()
            tray.action("Work").trigger()
        assert notice.args == [SWITCHED_TO_SIGN_IN, "Your assistants reach Work once you sign in. Click to sign in."]
        tray._on_click()  # type: ignore[misc]  # clicking the notification
        qtbot.waitUntil(lambda: bool(browser.opened), timeout=10000)
        assert "/authorize?" in browser.opened[0]
        tray.cancel_sign_in()
    finally:
        controller.stop()


def test_while_the_browser_is_open_the_menu_copies_the_request_for_port_support(qtbot: QtBot, sandbox: Sandbox) -> None:
    """Port's SSO error page never comes back: the tray says at once what it means, and its menu copies the request
    for Port support or switches the profile to API credentials (typed in the Profiles page)."""
    sandbox.faults.sso_login_error = True
    store = SettingsStore()
    store.add_profile("Work", sandbox.mcp_url, make_active=True)
    api = BridgeApi(store, port=0)
    controller = Controller(api)
    controller.start()
    pages: list[str] = []
    browser = Browser()
    try:
        tray = Tray(controller, show_settings=pages.append, quit_app=lambda: None, open_browser=browser)
        shown: list[tuple[str, str]] = []
        tray.shown.connect(lambda title, text: shown.append((title, text)))
        tray.build_menu()
        tray.action("Sign in to Work…").trigger()
        qtbot.waitUntil(lambda: shown[-1][0] == "Waiting for the browser", timeout=15000)
        assert '"Oops!, something went wrong"' in shown[-1][1]
        qtbot.waitUntil(lambda: bool(browser.landed), timeout=10000)
        assert "Oops!" in browser.last_page
        tray.build_menu()
        tray.action("Browser shows “Oops!, something went wrong”? Copy request for Port support").trigger()
        request = QGuiApplication.clipboard().text()
        assert "Hello Port support" in request and f"Region: {sandbox.mcp_url}." in request
        tray.action("Use API credentials instead…").trigger()
        qtbot.waitUntil(lambda: pages == ["profiles"], timeout=10000)
        assert api.settings().get_profile("work").auth_mode.value == "token"
        qtbot.waitUntil(lambda: shown[-1][0] == "Sign-in cancelled", timeout=10000)
    finally:
        controller.stop()


def _view(**changes: Any) -> ProfileView:
    base = dict(id="a", name="A", organization="", region="EU", auth_mode="oauth", read_only=False, active=True,
                state="signed_in", expires_at=None, last_error=None, has_credentials=True)  # fmt: skip
    return ProfileView(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("running", "paused", "active", "expected"),
    [
        (True, False, _view(), TrayState.SERVING),
        (True, False, _view(state="idle"), TrayState.SERVING),
        (True, True, _view(state="error"), TrayState.PAUSED),
        (False, False, _view(), TrayState.ERROR),
        (True, False, None, TrayState.SIGN_IN),
        (True, False, _view(has_credentials=False, state="idle"), TrayState.SIGN_IN),
        (True, False, _view(state="needs_sign_in"), TrayState.SIGN_IN),
        (True, False, _view(state="error"), TrayState.ERROR),
        (True, False, _view(last_error="Cannot reach Port"), TrayState.ERROR),
    ],
)
def test_icon_state_table(running: bool, paused: bool, active: ProfileView | None, expected: TrayState) -> None:
    snapshot = Snapshot(running, paused, "http://127.0.0.1:1", 1, active, (active,) if active else ())
    assert tray_state(snapshot) == expected


def test_every_state_has_a_light_and_a_dark_icon() -> None:
    from app.icons import ICON_MAPPING, resource_dir, tray_icon

    for state, name in ICON_MAPPING.items():
        for variant in ("light", "dark"):
            path = resource_dir() / "icons" / f"{name}-{variant}.svg"
            assert path.is_file(), path
        assert not tray_icon(state, dark=True).pixmap(22, 22).isNull()


def test_notices_and_icon_when_port_is_lost_and_back(rig: Rig, sandbox: Sandbox, qtbot: QtBot) -> None:
    ask(rig.api)  # in use and signed in
    port = sandbox.port
    sandbox.stop()
    with pytest.raises(Exception):  # noqa: B017 (how the client fails is the SDK's business)
        ask(rig.api)
    qtbot.waitUntil(lambda: any(title == "Port unreachable" for title, _ in rig.shown), timeout=5000)
    assert rig.tray.state == TrayState.ERROR and "cannot reach" in rig.tray.icon.toolTip()
    rig.tray.build_menu()
    assert rig.items()[0] == "Cannot reach Port: Acme"
    again = Sandbox(port).start()  # Port is back (a fresh one: the old token is refused and renewed)
    try:
        assert "Acme" in ask(rig.api, "describe_user_details")
        qtbot.waitUntil(lambda: rig.shown[-1][0] == "Port is back", timeout=5000)
        assert rig.tray.state == TrayState.SERVING
    finally:
        again.stop()


def test_sign_in_needed_is_announced(rig: Rig, qtbot: QtBot, memory_keyring: Any) -> None:
    ask(rig.api, "describe_user_details")
    rig.api.sign_out("acme").result(10)  # the API credentials are gone: the next request cannot get a token
    rig.api.edit_profile("acme", read_only=True)  # a new policy, same upstream: its token provider stays
    with pytest.raises(Exception):  # noqa: B017
        ask(rig.api)
    qtbot.waitUntil(lambda: any(title == "Sign-in needed" for title, _ in rig.shown), timeout=5000)
    assert rig.tray.state == TrayState.SIGN_IN
    rig.tray.build_menu()
    assert rig.tray.action("Sign in to Acme…")


def test_a_bridge_running_without_the_local_key_says_so_in_the_menu_and_the_tooltip(rig: Rig, qtbot: QtBot) -> None:
    rig.tray.build_menu()
    assert not [item for item in rig.items() if "Local key off" in item]
    rig.api._store.update(lambda s: setattr(s, "require_local_key", False))  # a hand edit of settings.json
    qtbot.waitUntil(lambda: not rig.api.snapshot().local_key_required, timeout=5000)
    rig.tray.build_menu()
    warning = "⚠ Local key off: any program here can use Port"
    assert rig.items()[1] == warning and not rig.tray.action(warning).isEnabled()
    rig.tray.update_icon(rig.api.snapshot())
    assert warning in rig.tray.icon.toolTip()


def test_the_menu_offers_sign_in_not_the_doctor_when_port_ended_the_sign_in(rig: Rig, sandbox: Sandbox) -> None:
    """Port refused the sign-in: Port was reached, so the way out is signing in, not "Port unreachable: Run doctor"."""
    sandbox.faults.force_401 = True
    with pytest.raises(Exception):  # noqa: B017 (how the client fails is the SDK's business)
        ask(rig.api)
    rig.tray.build_menu()  # as when the user opens the menu
    texts = rig.items()
    assert "Port unreachable: Run doctor…" not in texts and "Sign in to Acme…" in texts
