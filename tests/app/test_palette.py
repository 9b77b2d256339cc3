"""Dark mode: status colours at WCAG AA contrast (4.5:1) on every light and dark window background listed, and no
hard-coded light colour left in the app's code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from pytestqt.qtbot import QtBot

from app.palette import (
    AA,
    BADGES,
    DARK_BACKGROUNDS,
    LIGHT_BACKGROUNDS,
    STATUS,
    badge_colors,
    contrast,
    is_dark,
    luminance,
    status_color,
)
from app.settings.tools import KIND
from app.settings.window import SettingsWindow

APP = Path(__file__).resolve().parents[2] / "app"


@contextmanager
def dark_windows() -> Iterator[None]:
    """The application's palette with dark windows (as when the desktop turns dark), put back afterwards."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    try:
        app.setPalette(dark)
        yield
    finally:
        app.setPalette(before)


def test_contrast_is_wcags() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic "just fails AA" grey
    assert contrast("#ffffff", "#777777") == contrast("#777777", "#ffffff")
    assert luminance("#ffffff") == pytest.approx(1) and luminance("#000000") == 0


@pytest.mark.parametrize("kind", sorted(STATUS))
def test_status_colours_pass_aa_on_light_and_dark(kind: str) -> None:
    light, dark = STATUS[kind]
    for background in LIGHT_BACKGROUNDS:
        assert contrast(light, background) >= AA, (kind, light, background)
    for background in DARK_BACKGROUNDS:
        assert contrast(dark, background) >= AA, (kind, dark, background)


@pytest.mark.parametrize("kind", sorted(BADGES))
def test_badges_pass_aa_in_both_schemes(kind: str) -> None:
    for text, chip in BADGES[kind]:
        assert contrast(text, chip) >= AA, (kind, text, chip)


def test_the_palette_in_use_picks_the_colours(qtbot: QtBot) -> None:
    dark, light = QPalette(), QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    light.setColor(QPalette.ColorRole.Window, QColor("#efefef"))
    assert is_dark(dark) and not is_dark(light)
    assert status_color("error", dark) == STATUS["error"][1] and status_color("error", light) == STATUS["error"][0]
    assert badge_colors("read", dark) == BADGES["read"][1]


def test_no_hard_coded_colour_outside_the_palette_module() -> None:
    colour = re.compile(r"#[0-9a-fA-F]{3,6}\b|\bwhite\b|rgba?\(", re.IGNORECASE)
    found = [
        f"{path.relative_to(APP)}:{n}: {line.strip()}"
        for path in APP.rglob("*.py")
        if path.name != "palette.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if colour.search(line)
    ]
    assert not found, found


def test_a_status_line_follows_the_switch_to_dark(qtbot: QtBot) -> None:

    from app.settings.common import Notice

    notice = Notice()
    qtbot.addWidget(notice)
    notice.show_text("Cannot reach Port", "error")
    assert STATUS["error"][0] in notice.styleSheet()
    with dark_windows():
        qtbot.waitUntil(lambda: STATUS["error"][1] in notice.styleSheet(), timeout=5000)


def test_the_tools_badges_follow_the_switch_to_dark(qtbot: QtBot, window: SettingsWindow) -> None:

    from app.palette import BADGES
    from app.settings.tools import ToolsPage

    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    qtbot.waitUntil(lambda: page.loaded, timeout=20000)
    item = next(page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount()))
    assert item is not None
    kind = str(item.data(1, KIND))
    assert item.foreground(1).color().name() == BADGES[kind][0][0]  # the light pair
    with dark_windows():
        qtbot.waitUntil(lambda: item.foreground(1).color().name() == BADGES[kind][1][0], timeout=5000)


def test_the_clients_states_and_the_tool_fit_border_follow_the_switch_to_dark(
    qtbot: QtBot, window: SettingsWindow
) -> None:
    from app.settings.clients import ClientsPage
    from app.tool_fit import ToolFitPanel

    api = window.controller.api
    (api.export_env.home / ".cursor").mkdir(parents=True)
    api.clients.connect("cursor")
    window.show_page("clients")
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 5, timeout=10000)
    items = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    cursor = next(i for i in items if i is not None and i.text(0) == "Cursor")
    absent = next(i for i in items if i is not None and i.text(1) == "—")  # a client not installed: muted
    assert cursor.text(2) == "Connected" and cursor.foreground(2).color().name() == STATUS["ok"][0]
    fit = ToolFitPanel()
    qtbot.addWidget(fit)
    fit.show_fit(None, "Demo", 12, fixed=True)
    assert STATUS["ok"][0] in fit.styleSheet()
    with dark_windows():
        qtbot.waitUntil(lambda: cursor.foreground(2).color().name() == STATUS["ok"][1], timeout=5000)
        qtbot.waitUntil(lambda: STATUS["ok"][1] in fit.styleSheet(), timeout=5000)
        assert absent.foreground(0).color() == page.palette().placeholderText().color()
