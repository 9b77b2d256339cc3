"""A desktop without a system tray (offscreen has none): the main window offers what the tray menu offers, from the
same model, and each control does what its tray item does, against the real bridge and sandbox. Closing it quits.
Settings carries Read-only, Pause and Quit on every desktop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from app.application import TrayApp
from app.main_window import MainWindow
from app.menu_view import ItemsView
from bridge.api import BridgeApi
from bridge.export import Env
from bridge.policy import is_read_only_tool
from bridge.settings import SettingsStore
from tests.app.test_tray import ask

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
         "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip


def tray_available(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: available))


@pytest.fixture
def running(qtbot: QtBot, api: BridgeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrayApp]:
    """The app started where there is no system tray; Cursor is "installed" in a temporary home."""
    tray_available(monkeypatch, False)
    (tmp_path / ".cursor").mkdir()
    api.export_env = Env(tmp_path, "linux", {}, None)
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        yield tray_app
    finally:
        tray_app.shutdown()


def window(app: TrayApp) -> MainWindow:
    assert app.main_window is not None
    return app.main_window


def click(view: ItemsView, text: str) -> None:
    control = view.control(text)
    assert isinstance(control, QPushButton | QCheckBox) and control.isEnabled(), text
    control.click()


def test_without_a_tray_the_main_window_opens_with_every_item_of_the_tray_menu(running: TrayApp) -> None:
    main = window(running)
    assert main.isVisible() and running.wizard is None and running.settings_window is None
    assert running.tray is not None and not running.tray_visible
    menu = [i.text for i in running.tray.items() if i.role != "separator"]
    assert menu[0] == "Serving: Acme" and "Quit Port MCP Bridge" in menu
    assert list(main.view.controls) == menu  # the same model: one control per menu item, in the menu's order
    combo = main.view.profiles
    assert isinstance(combo, QComboBox) and [combo.itemText(i) for i in range(combo.count())] == ["Acme", "Globex"]
    assert combo.currentText() == "Acme"
    read_only = main.view.control("Read-only")
    assert isinstance(read_only, QCheckBox) and not read_only.isChecked()
    for text in ("Sign out of Acme", "Copy MCP URL", "Connect a client", "Pause", "Settings…", "Doctor…",
                 "Open logs", "Quit Port MCP Bridge"):  # fmt: skip
        assert isinstance(main.view.control(text), QPushButton), text
    assert any("Closing it quits" in label.text() for label in main.findChildren(QLabel))


def test_read_only_in_the_main_window_removes_write_tools_from_a_connected_client(running: TrayApp) -> None:
    main = window(running)
    assert "upsert_entity" in ask(running.api)
    click(main.view, "Read-only")
    assert running.api.settings().get_profile("acme").read_only
    after = ask(running.api)
    assert "upsert_entity" not in after and all(is_read_only_tool(tool) for tool in after.values())
    assert main.banner.isVisible() and "Read-only on" in main.banner.title.text()  # the tray's notification
    read_only = main.view.control("Read-only")
    assert isinstance(read_only, QCheckBox) and read_only.isChecked()
    click(main.view, "Read-only")
    assert len(ask(running.api)) == 42


def test_switching_profile_in_the_main_window_moves_a_client_to_the_other_organization(running: TrayApp) -> None:
    main = window(running)
    assert "Acme" in ask(running.api, "describe_user_details")
    combo = main.view.profiles
    assert combo is not None
    combo.setCurrentIndex(1)
    combo.activated.emit(1)  # what a user's choice emits
    assert running.api.snapshot().active.name == "Globex"  # type: ignore[union-attr]
    assert "Globex" in ask(running.api, "describe_user_details")
    assert main.banner.title.text() == "<b>Profile switched</b>"
    assert main.view.control("Serving: Globex") and main.view.profiles.currentText() == "Globex"  # type: ignore[union-attr]


def test_pause_and_resume_in_the_main_window(running: TrayApp) -> None:
    main = window(running)
    headers = {"Authorization": f"Bearer {running.api.local_key()}", "Accept": "application/json, text/event-stream"}
    click(main.view, "Pause")
    assert httpx2.post(running.api.snapshot().mcp_url, json=HELLO, headers=headers).status_code == 503
    assert main.view.control("Paused: Acme") and "Pause" not in main.view.controls
    click(main.view, "Resume")
    assert httpx2.post(running.api.snapshot().mcp_url, json=HELLO, headers=headers).status_code == 200
    assert main.view.control("Serving: Acme")


def test_connect_a_client_from_the_main_window(running: TrayApp, tmp_path: Path, qtbot: QtBot) -> None:
    main = window(running)
    button = main.view.control("Connect a client")
    assert isinstance(button, QPushButton) and button.menu() is not None
    menu = button.menu()
    qtbot.waitUntil(lambda: bool(menu.actions()) and menu.actions()[0].text() == "Cursor: connect", timeout=5000)
    with qtbot.waitSignal(running.tray.shown, timeout=5000) as notice:  # type: ignore[union-attr]
        menu.actions()[0].trigger()
    assert notice.args[0] == "Cursor connected" and main.banner.title.text() == "<b>Cursor connected</b>"
    written = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["port"]
    assert written["url"] == running.api.snapshot().mcp_url
    qtbot.waitUntil(lambda: menu.actions()[0].text() == "Cursor: connected", timeout=5000)
    assert menu.actions()[0].isChecked()


def test_settings_and_doctor_open_their_pages(running: TrayApp) -> None:
    main = window(running)
    click(main.view, "Settings…")
    settings = running.settings_window
    assert settings is not None and settings.isVisible() and settings.current_page == "profiles"
    click(main.view, "Doctor…")
    assert settings.current_page == "doctor"
    settings.close()  # closing Settings leaves the main window, and the app, running
    assert main.isVisible() and running.api.running


def test_closing_the_main_window_quits_the_app(running: TrayApp) -> None:
    main = window(running)
    bridge_port = running.api.snapshot().port
    main.close()
    assert not main.isVisible() and not running.api.running
    import socket

    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", bridge_port))


def test_the_quit_button_quits(running: TrayApp) -> None:
    click(window(running).view, "Quit Port MCP Bridge")
    assert not running.api.running and not window(running).isVisible()


def test_a_second_launch_brings_the_main_window_back(running: TrayApp) -> None:
    main = window(running)
    main.showMinimized()
    main.hide()
    running.bring_forward()  # what a second launch does
    assert main.isVisible() and not main.isMinimized() and running.settings_window is None


def test_notifications_show_in_the_main_window_with_their_action(running: TrayApp) -> None:
    main = window(running)
    tray = running.tray
    assert tray is not None
    opened: list[str] = []
    tray.message("Port renamed or removed tools", "Review in Settings → Tools.", lambda: opened.append("tools"))
    assert main.banner.isVisible() and "Review in Settings" in main.banner.text.text()
    assert main.banner.action.isVisibleTo(main.banner)
    main.banner.action.click()
    assert opened == ["tools"] and not main.banner.isVisible()
    running.controller.failed.emit("Cannot write the file", "It is read-only.")  # a failure: in the window, no dialog
    assert main.banner.isVisible() and main.banner.text.text() == "It is read-only."
    assert not main.banner.action.isVisibleTo(main.banner) and tray.dialog is None
    main.banner.dismiss.click()
    assert not main.banner.isVisible()


def test_first_run_without_a_tray_shows_the_wizard_over_the_main_window(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray_available(monkeypatch, False)
    api = BridgeApi(SettingsStore(), port=0)
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        assert tray_app.wizard is not None and tray_app.wizard.isVisible()
        main = window(tray_app)
        assert main.isVisible() and main.view.control("Set up Port MCP Bridge…")
        tray_app.wizard.close()  # given up: the main window is still there, with everything
        assert main.isVisible() and api.running
    finally:
        tray_app.shutdown()


@pytest.mark.parametrize("available", [False, True])
def test_settings_has_read_only_pause_and_quit_on_every_desktop(
    qtbot: QtBot, api: BridgeApi, monkeypatch: pytest.MonkeyPatch, available: bool
) -> None:
    tray_available(monkeypatch, available)
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        tray_app.show_settings("tools")
        settings = tray_app.settings_window
        assert settings is not None and settings.header is not None
        header = settings.header
        assert list(header.controls) == ["Serving: Acme", "Read-only", "Pause", "Quit Port MCP Bridge"]
        click(header, "Read-only")
        assert api.settings().get_profile("acme").read_only
        assert isinstance(header.control("Read-only"), QCheckBox) and header.control("Read-only").isChecked()  # type: ignore[attr-defined]
        click(header, "Pause")
        assert api.snapshot().paused and header.control("Paused, read-only: Acme") and "Resume" in header.controls
        click(header, "Resume")
        assert not api.snapshot().paused
        click(header, "Quit Port MCP Bridge")
        assert not api.running and not settings.isVisible()
    finally:
        tray_app.shutdown()


def test_with_a_tray_no_main_window_is_forced(qtbot: QtBot, api: BridgeApi, monkeypatch: Any) -> None:
    tray_available(monkeypatch, True)
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        assert tray_app.tray_visible and tray_app.main_window is None and tray_app.settings_window is None
        tray_app.bring_forward()  # a second launch: Settings, as before
        assert tray_app.main_window is None and tray_app.settings_window is not None
        assert tray_app.settings_window.isVisible()
    finally:
        tray_app.shutdown()
