"""Keyboard and screen readers: every control of every Settings page and of the wizard has a name a screen reader
announces; the platform's close keys close Settings and the wizard; main actions have mnemonics."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.accessibility import controls, spoken_name, unnamed
from app.controller import Controller
from app.settings import SettingsWindow
from app.settings.window import PAGES
from app.wizard import FirstRunWizard
from bridge.api import BridgeApi
from bridge.export import Env
from bridge.settings import SettingsStore


def activate(qtbot: QtBot, window: QWidget) -> None:
    """Shown and active: window shortcuts (Ctrl+W, Esc) reach only the active window."""
    window.show()
    window.activateWindow()
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def settled(qtbot: QtBot, window: SettingsWindow) -> None:
    """Tools and Actions have their lists from Port: nothing left in flight when the bridge stops."""
    for name in ("tools", "actions"):
        page = window.page(name)
        qtbot.waitUntil(lambda page=page: page.loaded and page.refresh_button.isEnabled(), timeout=15000)


def describe(widgets: list) -> list[str]:  # type: ignore[type-arg]
    return [f"{type(w).__name__} {w.objectName() or ''} {w.toolTip()[:40]!r}" for w in widgets]


def test_every_settings_control_has_a_name(qtbot: QtBot, window: SettingsWindow) -> None:
    window.show()
    for name, _ in PAGES:
        page = window.page(name)
        found = list(controls(page))
        assert found, name
        assert not unnamed(page), (name, describe(unnamed(page)))
    assert not unnamed(window), describe(unnamed(window))
    chooser = window.page("doctor").profiles  # type: ignore[attr-defined]
    assert chooser.accessibleName() == "Profile"  # from its "Profile:" label, not the profile it shows
    settled(qtbot, window)


def test_every_wizard_control_has_a_name(qtbot: QtBot, tmp_path: Path) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(tmp_path, "linux", {}, None)
    wizard = FirstRunWizard(Controller(api))
    qtbot.addWidget(wizard)
    wizard.show()
    assert list(controls(wizard)) and not unnamed(wizard), describe(unnamed(wizard))


def test_main_actions_have_distinct_mnemonics(qtbot: QtBot, window: SettingsWindow) -> None:
    for name in ("profiles", "tools", "actions", "clients", "activity", "doctor", "general"):
        page = window.page(name)
        keys = [
            b.text().split("&")[1][0].lower()
            for b in page.findChildren(QAbstractButton)
            if "&" in b.text() and not b.objectName().startswith("qt_")
        ]
        assert len(keys) >= 2 and len(keys) == len(set(keys)), (name, keys)
    settled(qtbot, window)


@pytest.mark.parametrize("ctrl_w", [True, False], ids=["ctrl-w", "esc"])
def test_close_keys_close_settings(qtbot: QtBot, window: SettingsWindow, ctrl_w: bool) -> None:
    activate(qtbot, window)
    if ctrl_w:  # Cmd+W on macOS: QKeySequence.Close
        qtbot.keyClick(window.sidebar, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    else:
        qtbot.keyClick(window.sidebar, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert spoken_name(window.sidebar) == "Settings pages"


def test_enter_presses_the_focused_button_in_settings(qtbot: QtBot, window: SettingsWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    page = window.page("doctor")
    pressed: list[bool] = []
    button = page.copy_button  # type: ignore[attr-defined]
    button.setEnabled(True)
    button.clicked.disconnect()
    button.clicked.connect(lambda: pressed.append(True))
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pressed == [True], timeout=5000)


def test_the_wizard_closes_with_the_platform_close_key(qtbot: QtBot, tmp_path: Path) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(tmp_path, "linux", {}, None)
    wizard = FirstRunWizard(Controller(api))
    qtbot.addWidget(wizard)
    activate(qtbot, wizard)
    with qtbot.waitSignal(wizard.rejected, timeout=5000):
        qtbot.keyClick(wizard, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)


def test_the_wizards_main_actions_have_distinct_mnemonics(qtbot: QtBot, tmp_path: Path) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(tmp_path, "linux", {}, None)
    wizard = FirstRunWizard(Controller(api))
    qtbot.addWidget(wizard)
    keys = [b.text().split("&")[1][0].lower() for b in wizard.findChildren(QAbstractButton) if "&" in b.text()]
    assert {"t", "s", "b", "d"} <= set(keys) and len(keys) == len(set(keys)), keys
