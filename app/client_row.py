"""One MCP client's row in the first-run wizard (its state, the button that connects it, what happened), and the
wizard's label styles."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from app.actions_row import ActionsRow
from app.controller import Controller, describe_error
from bridge.api import ClientStatus, State


def title_label(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.45)
    font.setBold(True)
    label.setFont(font)
    return label


def text_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def note_label(text: str, *, warning: bool = False) -> QLabel:
    label = text_label(text)
    label.setObjectName("warning" if warning else "note")
    return label


class ClientRow(QWidget):
    """One client: its name and state, a button that connects or updates it, and what happened."""

    def __init__(self, status: ClientStatus) -> None:
        super().__init__()
        self.status = status
        self.name = QLabel(f"<b>{status.client.name}</b>")
        self.state = QLabel()
        self.state.setObjectName("note")
        self.button = QPushButton()
        self.button.setMinimumWidth(96)
        self.result = note_label("")
        self.result.hide()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 4)
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.state, 0, 1)
        grid.addWidget(self.button, 0, 2)
        grid.addWidget(self.result, 1, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        self.buttons: ActionsRow | None = None  # what to do about a failure: made on the first one
        self.show_status(status)

    def failed(self, exc: BaseException, controller: Controller) -> None:
        """A connect that did not work: what happened, and the error's buttons (Copy snippet, Open file)."""
        title, message = describe_error(exc)
        self.result.setText(f"{title}: {message}")
        self.result.show()
        if self.buttons is None:
            self.buttons = ActionsRow(controller)
            grid = self.layout()
            assert isinstance(grid, QGridLayout)
            grid.addWidget(self.buttons, 2, 0, 1, 3)
        self.buttons.show_error(exc)

    def show_status(self, status: ClientStatus) -> None:
        self.status = status
        entry = status.entries[0]
        if status.problem:
            self.state.setText("its file cannot be edited safely")
            self.button.setText("Connect")
        elif entry.state == State.CURRENT:
            self.state.setText("✓ connected")
            self.button.setText("Connected")
        elif entry.state == State.STALE:
            self.state.setText(f"set up, but {', '.join(entry.reasons) or 'outdated'}")
            self.button.setText("Update")
        else:
            self.state.setText("installed")
            self.button.setText("Connect")
        if status.direct and not status.problem:  # Port's own entries: replaced by the bridge's (the default)
            names = ", ".join(d.name for d in status.direct)
            self.state.setText(f"uses Port directly ({names}): connecting replaces it")
            self.button.setText("Replace")
        self.button.setEnabled(entry.state != State.CURRENT or bool(status.direct))
