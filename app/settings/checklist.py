"""A page that lists what a profile's organization offers (fetched from Port through the bridge) as a checklist.

Tools and Actions are both this: a profile chooser and Refresh, Select all / none with a count, the list with a
checkbox per entry, and a status line. Loading runs on the bridge's loop; a reply to an older request (the user picked
another profile meanwhile) is dropped. Subclasses say what to fetch, how an entry looks, and what a tick means.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, ProfileChooser, bold
from bridge.api import Profile

NAME = Qt.ItemDataRole.UserRole


def check_state(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


class ChecklistPage(Page):
    noun = "entries"  # "tools", "actions": used in the status line
    headers: tuple[str, ...] = ()

    def __init__(self, controller: Controller, title: str, blurb: str) -> None:
        super().__init__(controller, title, blurb)
        self.entries: list[Any] = []
        self.loaded = False
        self._request = 0

        self.top = QHBoxLayout()
        self.top.addWidget(QLabel("Profile:"))
        self.profiles = ProfileChooser(controller)
        self.profiles.chosen.connect(lambda _: self.reload())
        self.top.addWidget(self.profiles)
        self.add_to_top(self.top)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.top.addWidget(self.refresh_button)
        self.body.addLayout(self.top)
        self.add_above_row()

        self.row = QHBoxLayout()
        self.all_button = QPushButton("Select all")
        self.all_button.clicked.connect(lambda: self.set_all(True))
        self.none_button = QPushButton("Select none")
        self.none_button.clicked.connect(lambda: self.set_all(False))
        self.row.addWidget(self.all_button)
        self.row.addWidget(self.none_button)
        self.add_to_row(self.row)
        self.row.addStretch(1)
        self.count = bold("")
        self.row.addWidget(self.count)
        self.body.addLayout(self.row)
        self.add_above_tree()

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(self.headers))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(lambda item, column: self.save() if column == 0 else None)
        self.body.addWidget(self.tree, 1)
        self.status = Notice()
        self.body.addWidget(self.status)

    # --- what subclasses provide ---------------------------------------------------------------------------------

    def add_to_top(self, top: QHBoxLayout) -> None:
        top.addStretch(1)

    def add_above_row(self) -> None: ...

    def add_to_row(self, row: QHBoxLayout) -> None: ...

    def add_above_tree(self) -> None: ...

    def fetch(self, profile_id: str) -> concurrent.futures.Future[list[Any]]:
        raise NotImplementedError

    def show_profile(self, profile: Profile) -> None:
        """Before loading: set the page's controls from the profile's settings."""

    def make_item(self, entry: Any) -> QTreeWidgetItem:
        raise NotImplementedError

    def after_load(self, profile: Profile | None) -> None: ...

    def save(self) -> None:
        raise NotImplementedError

    # --- loading -------------------------------------------------------------------------------------------------

    def activated(self) -> None:
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        profile_id = self.profiles.profile_id
        self._request += 1
        request = self._request
        self.tree.clear()
        self.entries = []
        self.after_change()
        if not profile_id:
            self.status.show_text("No profile yet: add one on the Profiles page.", "muted")
            return
        profile = self.api.settings().get_profile(profile_id)
        self.show_profile(profile)
        self.status.show_text(f"Asking Port for the {self.noun} of {profile.name}…", "muted")
        self.refresh_button.setEnabled(False)
        try:
            future = self.fetch(profile_id)
        except Exception as exc:  # not running: the bridge says why
            self._failed(request, exc)
            return
        self.controller.watch(future, lambda got: self._loaded(request, got), lambda e: self._failed(request, e))

    def _loaded(self, request: int, entries: Sequence[Any]) -> None:
        if request != self._request:
            return  # the user picked another profile meanwhile
        self.loaded = True
        self.refresh_button.setEnabled(True)
        self.entries = list(entries)
        self.tree.blockSignals(True)
        for entry in entries:
            item = self.make_item(entry)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self.after_load(self.api.settings().find_profile(self.profiles.profile_id or ""))
        self.after_change()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self.refresh_button.setEnabled(True)
        title, message = describe_error(exc)
        self.status.show_text(f"{title}: {message}", "error")

    # --- the checkboxes ------------------------------------------------------------------------------------------

    def items(self) -> list[QTreeWidgetItem]:
        count = self.tree.topLevelItemCount()
        return [item for i in range(count) if (item := self.tree.topLevelItem(i)) is not None]

    def states(self) -> dict[str, bool]:
        """Each entry's name and whether it is ticked."""
        return {i.data(0, NAME): i.checkState(0) == Qt.CheckState.Checked for i in self.items()}

    def tick(self, names: set[str] | None, *, visible_only: bool = False) -> None:
        """Tick exactly `names` (None: all of them), without saving; hidden rows stay as they are if asked."""
        self.tree.blockSignals(True)
        for item in self.items():
            if visible_only and item.isHidden():
                continue
            item.setCheckState(0, check_state(names is None or item.data(0, NAME) in names))
        self.tree.blockSignals(False)

    def set_all(self, on: bool) -> None:
        self.tick(None if on else set())
        self.save()

    def after_change(self) -> None:
        """Update the count and the controls after the list or a tick changed."""
