"""Actions: which of the organization's self-service actions and workflows an assistant may run.

Port applies `x-allowed-actions-to-run` to `run_action`; the bridge applies the same selection to every tool that runs
something (`run_<action>`, `trigger_workflow_run`), so the workflows are listed here beside the actions."""

from __future__ import annotations

import concurrent.futures

from PySide6.QtWidgets import QButtonGroup, QHeaderView, QRadioButton, QTreeWidgetItem

from app.controller import Controller
from app.settings.checklist import NAME, ChecklistPage, check_state
from app.tint import tint
from bridge.api import ActionInfo, Profile

# The bridge hides every tool that runs something when none may run (`policy._refused_by`), as Port hides run_action
# for an empty `x-allowed-actions-to-run` (docs/port-compatibility.md, "Headers and policy").
NONE_ALLOWED = "No action or workflow allowed: assistants do not see run_action, nor the other tools that run one."


class ActionsPage(ChecklistPage):
    noun = "actions"
    headers = ("Action or workflow", "Kind", "Identifier", "Blueprint")

    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Actions",
            "Self-service actions and workflows your assistants may run. Port refuses an action not allowed here "
            "(run_action); the bridge also refuses any other tool that would run one, workflows included.",
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def add_above_row(self) -> None:
        self._kept: dict[str, list[str]] = {}  # profile id -> the ticks "All" replaced, given back by "Only"
        self.every = QRadioButton("A&ll actions and workflows, including ones added to Port later")
        self.only = QRadioButton("&Only the ones ticked below")
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
        kind = "Workflow" if action.kind == "workflow" else "Action"
        if action.destructive:
            kind += " · deletes"
        item = QTreeWidgetItem([action.title, kind, action.identifier, action.blueprint])
        item.setData(0, NAME, action.identifier)
        item.setCheckState(0, check_state(action.allowed))
        if action.destructive:  # Port's DELETE operation: the entity it runs on is deleted
            tint(item, 1, "error", self.palette())
            item.setToolTip(1, "A DELETE action in Port: running it deletes the entity it runs on.")
        return item

    def after_load(self, profile: Profile | None) -> None:
        if profile and profile.read_only:
            self.status.show_text("Read-only is on for this profile, so no action can run until it is off.", "warn")
        elif self.entries and self.only.isChecked() and not self.checked():
            self.status.show_text(NONE_ALLOWED, "muted")
        elif self.entries:
            self.status.show_text("", "muted")
        else:
            self.status.show_text("This organization has no self-service actions or workflows yet.", "muted")

    def checked(self) -> list[str]:
        return [name for name, on in self.states().items() if on]

    def _mode_changed(self, every: bool) -> None:
        profile_id = self.profiles.profile_id or ""
        if every:
            self._kept[profile_id] = self.checked()
            self.tick(None)
        elif profile_id in self._kept:
            self.tick(set(self._kept.pop(profile_id)))
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
            return
        noun = "actions and workflows" if any(e.kind == "workflow" for e in self.entries) else "actions"
        if not explicit:
            self.count.setText(f"All {len(self.entries)} {noun} allowed")
        else:
            self.count.setText(f"{len(self.checked())} of {len(self.entries)} {noun} allowed")
        if explicit and not self.checked():
            self.status.show_text(NONE_ALLOWED, "muted")
        elif self.status.text() == NONE_ALLOWED:
            self.status.show_text("")
