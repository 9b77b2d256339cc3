"""Updates in the app: the daily check (when Settings → General allows it) and "Check for updates…" (tray, About).

A newer release is told once as a notification (a click shows it) and stays in the tray menu as "Update available";
its window shows the release notes and a Download button that opens the release page in the browser. Nothing is
downloaded or installed by the app. A failed daily check is only a line in the log; a failed check the user asked
for says "Could not check for updates", with Try again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton, QTextBrowser, QVBoxLayout

from app.controller import Controller
from bridge.api import Release
from bridge.errors import BridgeError, Do

log = logging.getLogger(__name__)
Tell = Callable[[str, str, Callable[[], None] | None], None]  # Tray.message: title, text, what a click does
OpenUrl = Callable[[QUrl], object]
LOOK_EVERY_MS = 60 * 60 * 1000  # how often the app asks whether the daily check is due (it runs once a day)
FIRST_LOOK_MS = 60 * 1000  # after start-up: not while the app and the IDEs are starting


def available_title(release: Release) -> str:
    return f"Port MCP Bridge {release.version} is available"


class UpdateDialog(QDialog):
    """A newer release: what changed (the release notes), Download (the release page in the browser) and Later."""

    def __init__(self, release: Release, current: str, open_url: OpenUrl) -> None:
        super().__init__()
        self.setWindowTitle("Update available")
        self.resize(560, 420)
        self.release = release
        self._open_url = open_url
        heading = QLabel(f"<b>{available_title(release)}</b><br>You have version {current}.")
        self.notes = QTextBrowser()
        self.notes.setAccessibleName("Release notes")
        self.notes.setOpenLinks(False)  # a link in the notes opens in the browser, not in this box
        self.notes.anchorClicked.connect(self._open_url)
        if release.notes.strip():
            self.notes.setMarkdown(release.notes)
        else:
            self.notes.setPlainText("This release has no notes. Download shows its page.")
        buttons = QDialogButtonBox()
        self.download = QPushButton("&Download")
        self.download.setToolTip(f"Opens {release.url} in your browser")
        self.download.setDefault(True)
        buttons.addButton(self.download, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.download.clicked.connect(self.open_page)
        buttons.rejected.connect(self.reject)
        note = QLabel("Install it over this one: your profiles, sign-ins and connected clients stay as they are.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.notes, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)

    @Slot()
    def open_page(self) -> None:
        self._open_url(QUrl(self.release.url))
        self.accept()


class UpdateChecker(QObject):
    """What the app knows about updates: `available` (the newer release found, if any) and the two checks."""

    changed = Signal()  # a check started or ended (the menu's entry follows)

    def __init__(
        self,
        controller: Controller,
        *,
        tell: Tell,
        open_url: OpenUrl = QDesktopServices.openUrl,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.api = controller.api
        self._tell = tell
        self._open_url = open_url
        self.available: Release | None = None
        self.checking = False
        self.dialog: QDialog | QMessageBox | None = None  # the last window shown (kept: nothing else holds it)
        self._told: str | None = None  # the version the last notification was about (told once)
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_EVERY_MS)
        self._timer.timeout.connect(self.check_if_due)

    def schedule(self, first_ms: int = FIRST_LOOK_MS) -> None:
        """Start the daily check: a first look soon after start-up, then every hour (it runs when a day has passed
        since the last check, so a laptop asleep overnight checks when it wakes)."""
        QTimer.singleShot(first_ms, self.check_if_due)
        self._timer.start()

    def menu_text(self) -> str:
        if self.checking:
            return "Checking for updates…"
        if self.available is not None:
            return f"Update available: {self.available.version}…"
        return "Check for updates…"

    @Slot()
    def menu_clicked(self) -> None:
        """The tray's entry: the release found, else a check now."""
        if self.available is not None:
            self.show_release()
        else:
            self.check_now()

    # --- the checks -------------------------------------------------------------------------------------------

    def _start(self) -> bool:
        if self.checking:
            return False
        self.checking = True
        self.changed.emit()
        return True

    def _end(self) -> None:
        self.checking = False
        self.changed.emit()

    @Slot()
    def check_if_due(self) -> None:
        """The daily check (off the GUI thread): quiet unless it finds a newer release."""
        if self._start():
            self.controller.run(self.api.updates.check_if_due, self._found_quietly, self._failed_quietly)

    def _failed_quietly(self, exc: BaseException) -> None:
        """Not the feed (that is handled in the core): a bug, logged, and never a window the user did not ask for."""
        self._end()
        log.error("the daily update check failed", exc_info=exc)

    def _found_quietly(self, release: Release | None) -> None:
        self._end()
        if release is None:
            return
        self.available = release
        if self._told != release.version:
            self._told = release.version
            self._tell(available_title(release), "Click to see what's new and download it.", self.show_release)

    @Slot()
    def check_now(self) -> None:
        """ "Check for updates…": the answer is always shown, in a window."""
        if self._start():
            self.controller.run(self.api.updates.check, self._answered, self._failed)

    def _answered(self, release: Release | None) -> None:
        self._end()
        self.available = release
        if release is not None:
            self._told = release.version
            self.show_release()
            return
        self.dialog = QMessageBox(
            QMessageBox.Icon.Information,
            "No update",
            f"Port MCP Bridge {self.api.updates.version} is the latest version.",
        )
        self.dialog.open()

    def _failed(self, exc: BaseException) -> None:
        self._end()
        why = exc.message if isinstance(exc, BridgeError) else "Something went wrong while checking."
        box = QMessageBox(QMessageBox.Icon.Warning, "Could not check for updates", f"{why} Nothing was changed.")
        retry = box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole)
        for action in getattr(exc, "actions", ()):  # e.g. the releases page, when none is published yet
            if action.do == Do.OPEN_URL:
                button = box.addButton(action.label, QMessageBox.ButtonRole.ActionRole)
                button.clicked.connect(lambda _=False, url=action.target: self._open_url(QUrl(url)))
        box.addButton(QMessageBox.StandardButton.Close)
        retry.clicked.connect(self.check_now)
        self.dialog = box
        box.open()

    @Slot()
    def show_release(self) -> None:
        if self.available is None:
            return
        self.dialog = UpdateDialog(self.available, self.api.updates.version, self._open_url)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
