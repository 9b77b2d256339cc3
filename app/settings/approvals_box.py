"""The Profiles page's "Activity and approvals" box: which calls wait for the user's yes (Ask before), and whether
Activity keeps each call's arguments. Each change is saved at once (like Read-only), not with the form's Save."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout

from app.settings.common import Notice
from bridge.api import Profile

ASK_BEFORE = [
    ("Never", "never"),
    ("Actions and workflows", "actions"),
    ("Every tool that writes", "writes"),
]
ASK_NOTES = {
    "never": "Calls go to Port without asking. Activity still lists them.",
    "actions": "A dialog asks you before an assistant runs a self-service action or workflow.",
    "writes": "A dialog asks you before any tool that can change something in Port (what Read-only would block).",
}


class ApprovalsBox(QGroupBox):
    """`save(profile_id, **changes)` writes through the facade and returns an error message, or "" when saved."""

    def __init__(self, save: Callable[..., str]) -> None:
        super().__init__("Activity and approvals")
        self._save = save
        self.profile_id: str | None = None
        column = QVBoxLayout(self)
        row = QHBoxLayout()
        self.ask_before = QComboBox()
        for label, value in ASK_BEFORE:
            self.ask_before.addItem(label, value)
        self.ask_before.setToolTip("Which calls from your assistants wait for your yes in a dialog")
        self.ask_before.currentIndexChanged.connect(self._ask_changed)
        row.addWidget(QLabel("Ask before:"))
        row.addWidget(self.ask_before, 1)
        column.addLayout(row)
        self.record_arguments = QCheckBox("Record arguments in Activity")
        self.record_arguments.setToolTip("Keep each call's arguments in the activity file (secrets removed, as in "
                                         "the logs). Off: only the tool, the action and the outcome.")  # fmt: skip
        self.record_arguments.toggled.connect(self._record_changed)
        column.addWidget(self.record_arguments)
        self.notice = Notice()
        column.addWidget(self.notice)

    def show_profile(self, profile: Profile | None) -> None:
        self.profile_id = profile.id if profile else None
        self.setEnabled(profile is not None)
        for widget in (self.ask_before, self.record_arguments):
            widget.blockSignals(True)
        self.ask_before.setCurrentIndex(self.ask_before.findData(profile.ask_before if profile else "never"))
        self.record_arguments.setChecked(bool(profile and profile.record_arguments))
        for widget in (self.ask_before, self.record_arguments):
            widget.blockSignals(False)
        self.notice.show_text(ASK_NOTES[self.ask_before.currentData()] if profile else "", "muted")

    def _ask_changed(self, _: int) -> None:
        value = self.ask_before.currentData()
        if self._write(ask_before=value):
            self.notice.show_text(f"Saved. {ASK_NOTES[value]}", "ok")

    def _record_changed(self, on: bool) -> None:
        if self._write(record_arguments=on):
            self.notice.show_text("Saved. New calls are recorded with their arguments." if on else
                                  "Saved. New calls are recorded without their arguments.", "ok")  # fmt: skip

    def _write(self, **changes: object) -> bool:
        if self.profile_id is None:
            return False
        error = self._save(self.profile_id, **changes)
        if error:
            self.notice.show_text(error, "error")
        return not error
