"""An error's "what to do" as buttons, never as a command: `ActionsRow` renders `bridge.errors.Action`s in a window,
`error_box` as a dialog's buttons (the tray), `perform` does one; `LinkBox` shows an address the user must open
themselves (wrapped, with Copy link).

Any window can use them: the wizard, the settings pages, a main window. Actions that lead elsewhere in the app (Run
doctor, Choose another port, Sign in) go through `Controller.showPage`, which the app connects to its windows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextOption
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.controller import Controller
from bridge.errors import Action, BridgeError, Do

OpenUrl = Callable[[QUrl], object]

# The page (or "choose_port": General with a free port suggested) each in-app action opens, through showPage.
PAGE_FOR: dict[Do, str] = {Do.RUN_DOCTOR: "doctor", Do.CHOOSE_PORT: "choose_port", Do.SIGN_IN: "profiles"}


def perform(action: Action, controller: Controller, open_url: OpenUrl = QDesktopServices.openUrl) -> str:
    """Do what the button says; returns what to tell the user about it ("" when a window opening says enough)."""
    if action.do in (Do.COPY_SNIPPET, Do.COPY_LINK):
        QGuiApplication.clipboard().setText(action.target)
        return "Snippet copied: paste it into the file." if action.do is Do.COPY_SNIPPET else "Copied."
    if action.do is Do.OPEN_FILE:
        open_url(QUrl.fromLocalFile(action.target))
    elif action.do is Do.OPEN_URL:
        open_url(QUrl(action.target))
    else:
        controller.showPage.emit(PAGE_FOR[action.do])
    return ""


def error_box(exc: BridgeError, controller: Controller, open_url: OpenUrl = QDesktopServices.openUrl) -> QMessageBox:
    """A non-modal dialog: the error, one button per action (each does its thing and closes the box), and Close."""
    box = QMessageBox(QMessageBox.Icon.Warning, exc.title, exc.message)
    for action in exc.actions:
        button = box.addButton(action.label, QMessageBox.ButtonRole.ActionRole)
        button.clicked.connect(lambda _=False, a=action: perform(a, controller, open_url))
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Close))
    return box


class ActionsRow(QWidget):
    """A row of buttons, one per action; hidden when there is none. `said` tells what a click did ("Copied.")."""

    said = Signal(str)

    def __init__(
        self, controller: Controller, *, open_url: OpenUrl = QDesktopServices.openUrl, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._open_url = open_url
        self.buttons: dict[Do, QPushButton] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._feedback = QLabel()
        self._feedback.setStyleSheet("color: palette(placeholder-text);")
        self.said.connect(self._feedback.setText)
        self.hide()

    def show_error(self, exc: BaseException) -> None:
        """The error's own actions (none for anything that is not a `BridgeError`)."""
        self.show_actions(getattr(exc, "actions", ()))

    def show_actions(self, actions: Sequence[Action]) -> None:
        while (item := self._layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None and widget is not self._feedback:
                widget.deleteLater()
        self.buttons = {}
        self._feedback.clear()
        for action in actions:
            button = QPushButton(action.label)
            button.setAccessibleName(action.label)
            button.clicked.connect(lambda _=False, a=action: self.perform(a))
            self._layout.addWidget(button)
            self.buttons[action.do] = button
        self._layout.addWidget(self._feedback)
        self._layout.addStretch(1)
        self.setVisible(bool(actions))

    def perform(self, action: Action) -> None:
        self.said.emit(perform(action, self.controller, self._open_url))


class LinkBox(QWidget):
    """An address to open by hand (no browser could be opened): wrapped anywhere, so a 1,000-character sign-in URL
    never widens its window, selectable, and one click to copy. When a browser was opened, only the way out in case
    it shows nothing: a line and Copy link."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.text.setAccessibleName("Sign-in link")
        lines = self.text.fontMetrics().lineSpacing()
        self.text.setFixedHeight(lines * 4 + 12)
        box.addWidget(self.text)
        row = QHBoxLayout()
        self.hint = QLabel("No browser window? Copy the sign-in link into a browser yourself.")
        self.hint.setWordWrap(True)
        box.addWidget(self.hint)
        self.copy_button = QPushButton("Copy link")
        self.copy_button.clicked.connect(self.copy)
        self.copied = QLabel()
        self.copied.setStyleSheet("color: palette(placeholder-text);")
        row.addWidget(self.copy_button)
        row.addWidget(self.copied)
        row.addStretch(1)
        box.addLayout(row)
        self.hide()

    def show_link(self, link: str, *, opened: bool = False) -> None:
        """`opened`: a browser was asked to open it, and said it did: the address stays out of the way."""
        self.text.setPlainText(link)
        self.text.setVisible(not opened)
        self.hint.setVisible(opened)
        self.copied.clear()
        self.show()

    def clear(self) -> None:
        self.text.clear()
        self.hide()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copied.setText("Copied: paste it into a browser's address bar.")
