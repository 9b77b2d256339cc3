"""What the Profiles page shows for the demo organization instead of the form and the sign-in box: what it is (sample
data served by this app on this computer, signed in automatically), that there is nothing to fill in, and the way on
(a real Port organization)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.settings.common import Notice
from bridge.api import ProfileView


class DemoPanel(QGroupBox):
    """`addProfile` when the user asks for a real organization."""

    addProfile = Signal()

    def __init__(self) -> None:
        super().__init__("Demo organization")
        box = QVBoxLayout(self)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.PlainText)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.about)
        self.state = Notice()
        box.addWidget(self.state)
        self.next = QLabel(
            "Nothing to fill in. To reach your own company's Port, add a profile for it: it signs in with your "
            "browser or with API credentials."
        )
        self.next.setWordWrap(True)
        box.addWidget(self.next)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add your Port organization…")
        self.add_button.clicked.connect(self.addProfile)
        row.addWidget(self.add_button)
        row.addStretch(1)
        box.addLayout(row)
        self.hide()

    def show_profile(self, view: ProfileView) -> None:
        organization = view.organization or "a sample company"
        self.about.setText(
            f"{view.name} is {organization}'s sample data: services, teams, self-service actions and Port's tools, "
            "served by Port MCP Bridge itself. It runs on this computer, needs no Port account, and nothing you do "
            "here reaches a real Port."
        )
        if view.state == "error" or view.last_error:
            self.state.show_text(f"The demo organization did not answer: {view.last_error or 'no answer'}.", "error")
        else:
            self.state.show_text("Signed in automatically, with the demo's built-in credentials.", "ok")
        self.show()

    def text(self) -> str:
        """Everything the panel says (tests, and a quick look at what the user reads)."""
        return "\n".join(label.text() for label in (self.about, self.state, self.next))
