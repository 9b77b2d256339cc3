"""Actions: which of the organization's self-service actions an assistant may run (`x-allowed-actions-to-run`)."""

from __future__ import annotations

import concurrent.futures

from PySide6.QtWidgets import QButtonGroup, QHeaderView, QRadioButton, QTreeWidgetItem

from app.controller import Controller
from app.settings.checklist import NAME, ChecklistPage, check_state
from bridge.api import ActionInfo, Profile


class ActionsPage(ChecklistPage):
    noun = "actions"
    headers = ("Action", "Identifier", "Blueprint")

    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Actions",
            "Self-service actions your assistants may run through Port's run_action tool. Port refuses any action "
            "not allowed here.",
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

    def add_above_row(self) -> None:
        self.every = QRadioButton("All actions, including ones added to Port later")
        self.only = QRadioButton("Only the actions ticked below")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.every)
        self.mode.addButton(self.only)
        self.every.toggled.connect(self._mode_changed)
        self.body.addWidget(self.every)
        self.body.addWidget(self.only)

    def fetch(self, profile_id: str) -> concurrent.futures.Future[list[ActionInfo]]:
        return self.api.fetch_actions(profile_id)

    def show_profile(self, profile: Profile) -> None:
        self.every.blockSignals(True)
        (self.every if profile.allowed_actions is None else self.only).setChecked(True)
        self.every.blockSignals(False)

    def make_item(self, action: ActionInfo) -> QTreeWidgetItem:
        item = QTreeWidgetItem([action.title, action.identifier, action.blueprint])
        item.setData(0, NAME, action.identifier)
        item.setCheckState(0, check_state(action.allowed))
        return item

    def after_load(self, profile: Profile | None) -> None:
        if profile and profile.read_only:
            self.status.show_text("Read-only is on for this profile, so no action can run until it is off.", "warn")
        elif self.entries:
            self.status.show_text("", "muted")
        else:
            self.status.show_text("This organization has no self-service actions yet.", "muted")

    def checked(self) -> list[str]:
        return [name for name, on in self.states().items() if on]

    def _mode_changed(self, every: bool) -> None:
        if every:
            self.tick(None)
        self.save()

    def save(self) -> None:
        profile_id = self.profiles.profile_id
        if not profile_id or not self.loaded:
            return
        # None is "every action, now and later"; a list (possibly empty) is exactly those.
        allowed = None if self.every.isChecked() else self.checked()
        if self.api.settings().get_profile(profile_id).allowed_actions != allowed:
            self.change(lambda: self.api.set_allowed_actions(profile_id, allowed), self.status)
        self.after_change()

    def after_change(self) -> None:
        explicit = self.only.isChecked()
        self.tree.setEnabled(explicit)
        self.all_button.setEnabled(explicit and bool(self.entries))
        self.none_button.setEnabled(explicit and bool(self.entries))
        if not self.entries:
            self.count.setText("")
        elif not explicit:
            self.count.setText(f"All {len(self.entries)} actions allowed")
        else:
            self.count.setText(f"{len(self.checked())} of {len(self.entries)} actions allowed")
