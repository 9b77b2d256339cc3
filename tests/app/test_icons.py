"""The tray icon: read-only shown in the icon and in the status line; the glyph is the app icon's mark and still
reads at 16 px (the smallest tray size, Windows at 100 %)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from pytestqt.qtbot import QtBot

from app.icons import READ_ONLY_ICON, TrayState, icon_name, resource_dir, state_label, tray_icon
from bridge.api import ProfileView, Snapshot


def profile(*, read_only: bool, state: str = "ok") -> ProfileView:
    return ProfileView("a", "Acme", "Acme Corp", "eu", "token", read_only, True, state, None, None, True)  # type: ignore[arg-type]  # a literal state


def snapshot(active: ProfileView | None, *, paused: bool = False) -> Snapshot:
    return Snapshot(True, paused, "http://127.0.0.1:1", 1, active, (active,) if active else ())


def test_read_only_is_in_the_icon_and_the_status_line(qtbot: QtBot) -> None:
    assert icon_name(TrayState.SERVING, True) == READ_ONLY_ICON
    assert icon_name(TrayState.SERVING, False) == "tray-serving"
    assert icon_name(TrayState.PAUSED, True) == "tray-paused"  # the pause badge says more; the line says read-only
    assert state_label(snapshot(profile(read_only=True))) == "Serving, read-only"
    assert state_label(snapshot(profile(read_only=True), paused=True)) == "Paused, read-only"
    assert state_label(snapshot(profile(read_only=False))) == "Serving"
    assert state_label(snapshot(None)) == "Sign-in needed"
    for variant in ("light", "dark"):
        assert (resource_dir() / "icons" / f"{READ_ONLY_ICON}-{variant}.svg").is_file()
    assert not tray_icon(TrayState.SERVING, dark=False, read_only=True).pixmap(16, 16).isNull()


def test_labels_have_no_nested_parentheses() -> None:
    from app.menu_model import profile_label

    label = f"{state_label(snapshot(profile(read_only=True)))}: {profile_label(profile(read_only=True))}"
    assert label == "Serving, read-only: Acme — Acme Corp"
    assert not re.search(r"\([^)]*\(", label)


def render(path: str, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    QSvgRenderer(path).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def coverage(image: QImage) -> list[list[bool]]:
    """Which pixels are mostly opaque."""
    return [[image.pixelColor(x, y).alpha() > 128 for x in range(image.width())] for y in range(image.height())]


@pytest.mark.parametrize("variant", ["light", "dark"])
def test_the_tray_glyph_is_the_app_icons_mark_and_reads_at_16_px(qtbot: QtBot, variant: str) -> None:
    glyph = coverage(render(str(resource_dir() / "icons" / f"tray-serving-{variant}.svg"), 16))
    on = sum(map(sum, glyph))
    assert 40 <= on <= 140, on  # neither a speck nor a blot
    # The app icon's mark (white on its tile) and the glyph are one arch on three piers under a dot: at 16 px both
    # show three separate piers low down and one dot on top.
    app = render(str(resource_dir() / "port-mcp-bridge.svg"), 16)
    white = [[(c := app.pixelColor(x, y)).red() > 150 and c.alpha() > 128 for x in range(16)] for y in range(16)]
    for mark in (glyph, white):
        piers = [runs(row) for row in mark[10:15]]
        assert 3 in piers, "\n".join("".join("#" if p else "." for p in row) for row in mark)
        assert 1 in [runs(row) for row in mark[:5]]


def runs(row: list[bool]) -> int:
    return sum(1 for x in range(len(row)) if row[x] and (x == 0 or not row[x - 1]))
