"""What every settings page shares: a title with a one-line explanation, status lines, and small helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.controller import Controller


class Page(QWidget):
    """A page: `title`, `blurb`, then the page's own content in `self.body` (a QVBoxLayout)."""

    def __init__(self, controller: Controller, title: str, blurb: str) -> None:
        super().__init__()
        self.controller = controller
        self.api = controller.api
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 20)
        outer.setSpacing(10)
        heading = QLabel(title)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        heading.setFont(font)
        outer.addWidget(heading)
        explanation = QLabel(blurb)
        explanation.setWordWrap(True)
        explanation.setObjectName("blurb")
        explanation.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(explanation)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        outer.addLayout(self.body, 1)

    def activated(self) -> None:
        """Called each time the page is shown: refresh what may have changed elsewhere (tray, CLI)."""


class Notice(QLabel):
    """A one-line status under a control: neutral, success or error, selectable so it can be copied."""

    COLORS = {"info": "palette(text)", "ok": "#1a7f37", "error": "#cf222e", "warn": "#9a6700"}

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(bool(text))

    def show_text(self, text: str, kind: str = "info") -> None:
        self.setText(text)
        self.setStyleSheet(f"color: {self.COLORS.get(kind, self.COLORS['info'])};")
        self.setVisible(bool(text))


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
