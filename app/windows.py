"""What every window of the app does to come forward: shown, restored if minimised, raised and given the focus."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def bring_to_front(window: QWidget) -> None:
    window.show()
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
