"""About Port MCP Bridge: the version, where to read more (this project's guide, Port's MCP server docs), the update
check, and "Check for updates…"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app import windows
from app.icons import app_icon
from bridge.api import PORT_MCP_DOCS_URL, README_URL

OpenUrl = Callable[[QUrl], object]
LINKS = (
    ("Port MCP Bridge guide", README_URL),
    ("Port's MCP server documentation", PORT_MCP_DOCS_URL),
)


class AboutDialog(QDialog):
    def __init__(self, version: str, *, check_for_updates: Callable[[], None], automatic: Callable[[], bool],
                 open_url: OpenUrl = QDesktopServices.openUrl) -> None:  # fmt: skip
        super().__init__()
        self.setWindowTitle("About Port MCP Bridge")
        self.setMinimumWidth(440)
        self._open_url = open_url
        self._automatic = automatic
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<b style='font-size: 15pt'>Port MCP Bridge</b><br>Version {version}")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # for a bug report
        blurb = QLabel("One local MCP endpoint for every IDE on this computer, in front of Port's remote MCP server.")
        blurb.setWordWrap(True)
        links = QLabel("<br>".join(f"<a href='{url}'>{text}</a>" for text, url in LINKS))
        links.setTextFormat(Qt.TextFormat.RichText)
        links.setOpenExternalLinks(False)  # opened through `open_url`: the browser, and testable
        links.linkActivated.connect(lambda url: self._open_url(QUrl(url)))
        links.setAccessibleName("Documentation links")
        self.links = links
        self.updates = QLabel()
        self.updates.setWordWrap(True)
        self.updates.setStyleSheet("color: palette(placeholder-text);")

        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        for widget in (title, blurb, links, self.updates):
            text.addWidget(widget)
        head.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.check_button = QPushButton("Check for &updates…")
        self.check_button.clicked.connect(check_for_updates)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.updates.setText(
            "Checks for updates once a day (Settings → General turns it off). Updates are never installed on their own."
            if self._automatic()
            else "Automatic update checks are off (Settings → General)."
        )

    @Slot()
    def bring_to_front(self) -> None:
        self.refresh()
        windows.bring_to_front(self)
