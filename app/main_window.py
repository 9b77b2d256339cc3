"""`MainWindow`: the app on a desktop without a system tray (stock GNOME, some tiling window managers).

Everything the tray menu offers, from the same model (app/menu_view.py renders app/menu_model.py), and the messages
the tray would show as notifications in a banner. It opens at start and comes forward when the app is launched
again; closing it quits the app, since nothing else would be left to reach it by.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import windows
from app.icons import app_icon
from app.menu_view import ItemsView
from app.tray import Tray

# GNOME's own shell shows no tray icons; this extension (Ubuntu ships it enabled) shows StatusNotifierItems, which is
# what Qt's tray icon becomes when a StatusNotifierWatcher is on the session bus.
GNOME_EXTENSION = "AppIndicator and KStatusNotifierItem Support"
GNOME_EXTENSION_URL = "https://extensions.gnome.org/extension/615/appindicator-support/"
NO_TRAY_NOTE = (
    "This desktop shows no tray icons, so Port MCP Bridge lives in this window. Closing it quits the app: your "
    "assistants reach Port only while it runs."
)


class Banner(QFrame):
    """The last message, as the tray would have shown it, with its one action (if it has one) and Dismiss."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#banner { border: 1px solid palette(mid); border-radius: 4px; }")
        self.title = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # a URL to copy
        self.action = QPushButton("Show")
        self.action.setAutoDefault(False)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setAutoDefault(False)
        self.dismiss.clicked.connect(self.hide)
        self._run: Callable[[], None] | None = None
        self.action.clicked.connect(self._act)
        words = QVBoxLayout()
        words.addWidget(self.title)
        words.addWidget(self.text)
        layout = QHBoxLayout(self)
        layout.addLayout(words, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.dismiss)
        self.hide()

    def show_message(self, title: str, text: str, run: Callable[[], None] | None = None) -> None:
        self.title.setText(f"<b>{title}</b>")
        self.text.setText(text)
        self.setAccessibleName(title)
        self._run = run
        self.action.setVisible(run is not None)
        self.show()

    def _act(self) -> None:
        if self._run is not None:
            self._run()
        self.hide()


class MainWindow(QMainWindow):
    def __init__(self, tray: Tray, *, quit_app: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self._quit = quit_app
        self.setWindowTitle("Port MCP Bridge")
        self.setWindowIcon(app_icon())
        self.view = ItemsView(tray)
        self.banner = Banner()
        note = QLabel(NO_TRAY_NOTE)
        note.setWordWrap(True)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.view)
        layout.addWidget(self.banner)
        layout.addStretch(1)
        layout.addWidget(note)
        if sys.platform.startswith("linux"):
            layout.addLayout(self._gnome_row())
        self.setCentralWidget(central)
        self.setMinimumWidth(460)
        tray.shown.connect(self.tell)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self, self.close)  # Ctrl+Q / Cmd+Q: quits, as closing

    def _gnome_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        hint = QLabel(f"On GNOME, the “{GNOME_EXTENSION}” extension adds the tray icon.")
        hint.setWordWrap(True)
        button = QPushButton("Open the extension's page")
        button.setAutoDefault(False)
        button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(GNOME_EXTENSION_URL)))
        row.addWidget(hint, 1)
        row.addWidget(button)
        return row

    def tell(self, title: str, text: str) -> None:
        """A message the tray would have shown as a notification: in the banner, and the taskbar entry asks for
        attention when the window is behind others."""
        self.banner.show_message(title, text, self.tray.message_action)
        if self.isVisible() and not self.isActiveWindow():
            QApplication.alert(self)

    def bring_to_front(self) -> None:
        windows.bring_to_front(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        self._quit()
