"""The tray's icon, chosen from a table by state (Maestral's `icon_mapping`), in a light or dark variant.

`tray_state` is pure (a snapshot in, a state out) so the tests check every case without a screen.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon

from bridge.api import Snapshot


class TrayState(StrEnum):
    SERVING = "serving"
    SIGN_IN = "signin"  # no profile yet, or the active one must sign in
    ERROR = "error"  # Port unreachable, or the bridge is not running
    PAUSED = "paused"


ICON_MAPPING: dict[TrayState, str] = {state: f"tray-{state.value}" for state in TrayState}
READ_ONLY_ICON = "tray-readonly"  # serving with read-only on: the glyph with a padlock badge

LABELS: dict[TrayState, str] = {
    TrayState.SERVING: "Serving",
    TrayState.SIGN_IN: "Sign-in needed",
    TrayState.ERROR: "Cannot reach Port",
    TrayState.PAUSED: "Paused",
}


def tray_state(snapshot: Snapshot) -> TrayState:
    if snapshot.paused:
        return TrayState.PAUSED
    if not snapshot.running:
        return TrayState.ERROR
    active = snapshot.active
    if active is None or active.state == "needs_sign_in" or not active.has_credentials:
        return TrayState.SIGN_IN
    if active.state == "error" or active.last_error:
        return TrayState.ERROR
    return TrayState.SERVING


def icon_name(state: TrayState, read_only: bool) -> str:
    """Read-only shows only while serving: a sign-in, error or pause badge says more, and the tooltip still tells."""
    return READ_ONLY_ICON if read_only and state == TrayState.SERVING else ICON_MAPPING[state]


def state_label(snapshot: Snapshot) -> str:
    """The status line of the menu and tooltip: "Serving", "Serving, read-only", "Paused, read-only"…"""
    state = tray_state(snapshot)
    read_only = snapshot.active is not None and snapshot.active.read_only
    return LABELS[state] + (", read-only" if read_only and state != TrayState.SIGN_IN else "")


def resource_dir() -> Path:
    """`resources/` next to the packages, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) / "resources" if bundle else Path(__file__).resolve().parent.parent / "resources"


def dark_menu_bar() -> bool:
    """Whether the tray area is dark. Qt knows the desktop's colour scheme; Linux panels are dark far more often
    than not, so an unknown scheme there counts as dark."""
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Unknown:
        return sys.platform.startswith("linux")
    return scheme == Qt.ColorScheme.Dark


def tray_icon(state: TrayState, *, dark: bool | None = None, read_only: bool = False) -> QIcon:
    """On macOS a template image (the system tints it for the menu bar); elsewhere the variant for the bar."""
    folder = resource_dir() / "icons"
    name = icon_name(state, read_only)
    if sys.platform == "darwin":
        icon = QIcon(str(folder / f"{name}-light.svg"))
        icon.setIsMask(True)
        return icon
    variant = "dark" if (dark_menu_bar() if dark is None else dark) else "light"
    return QIcon(str(folder / f"{name}-{variant}.svg"))


def app_icon() -> QIcon:
    return QIcon(str(resource_dir() / "port-mcp-bridge.svg"))
