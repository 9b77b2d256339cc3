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
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QWidget

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, ProfileChooser, bold
from bridge.api import Profile, ProfileView, Snapshot

NAME = Qt.ItemDataRole.UserRole


def check_state(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


def needs_sign_in(view: ProfileView | None) -> bool:
    """Port lists nothing for a profile that is not signed in (the demo signs in by itself)."""
    return view is not None and not view.demo and (not view.has_credentials or view.state == "needs_sign_in")


def _watched(view: ProfileView | None) -> tuple[object, ...]:
    """What, changed elsewhere (tray, command line, Profiles), changes the list Port gives this page."""
    return (view.id, view.read_only, needs_sign_in(view)) if view else ()


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
        self.profiles.setAccessibleName("Profile")
        self.top.addWidget(self.profiles)
        self.add_to_top(self.top)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.top.addWidget(self.refresh_button)
        self.body.addLayout(self.top)
        self.add_above_row()

        self.row = QHBoxLayout()
        self.all_button = QPushButton("Select &all")
        self.all_button.clicked.connect(lambda: self.set_all(True))
        self.none_button = QPushButton("Select &none")
        self.none_button.clicked.connect(lambda: self.set_all(False))
        self.row.addWidget(self.all_button)
        self.row.addWidget(self.none_button)
        self.add_to_row(self.row)
        self.row.addStretch(1)
        self.count = bold("")
        self.row.addWidget(self.count)
        self.body.addLayout(self.row)
        self.add_above_tree()

        # A profile that is not signed in: the button that signs it in, in place of an empty list.
        self.sign_in_banner = QWidget()
        banner = QHBoxLayout(self.sign_in_banner)
        banner.setContentsMargins(0, 0, 0, 0)
        self.sign_in_text = Notice()
        banner.addWidget(self.sign_in_text, 1)
        self.sign_in_button = QPushButton("&Sign in…")
        self.sign_in_button.clicked.connect(self.sign_in)
        banner.addWidget(self.sign_in_button)
        self.sign_in_banner.hide()
        self.body.addWidget(self.sign_in_banner)

        self.tree = QTreeWidget()
        self.tree.setAccessibleName(self.noun.capitalize())
        self.tree.setHeaderLabels(list(self.headers))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(lambda item, column: self.save() if column == 0 else None)
        self.body.addWidget(self.tree, 1)
        self.status = Notice()
        self.body.addWidget(self.status)
        self._seen = _watched(self.view())
        controller.snapshotChanged.connect(self._snapshot_changed)

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

    def view(self) -> ProfileView | None:
        """The chosen profile as the tray sees it (signed in, read-only)."""
        return next((p for p in self.controller.snapshot.profiles if p.id == self.profiles.profile_id), None)

    def _snapshot_changed(self, snapshot: Snapshot) -> None:
        """Read-only switched or a sign-in came or went elsewhere: the list Port gives is another one."""
        seen = _watched(self.view())
        if seen == self._seen:
            return
        self._seen = seen
        if self.isVisible():
            self.reload()
        else:
            self.loaded = False  # reloaded when next shown

    def reload(self) -> None:
        profile_id = self.profiles.profile_id
        self._request += 1
        request = self._request
        self._seen = _watched(self.view())
        self.tree.clear()
        self.entries = []
        self.after_change()
        self.sign_in_banner.hide()
        self.tree.show()
        if not profile_id:
            self.status.show_text("No profile yet: add one on the Profiles page.", "muted")
            return
        profile = self.api.settings().get_profile(profile_id)
        self.show_profile(profile)
        if needs_sign_in(self.view()):
            self.loaded = True  # nothing to fetch until it signs in; the snapshot says when
            self.tree.hide()
            self.sign_in_text.show_text(f"{profile.name} is not signed in, so Port lists no {self.noun} for it.")
            self.sign_in_button.setText(f"&Sign in to {profile.name.replace('&', '&&')}…")  # a name's & is text
            self.sign_in_banner.show()
            self.status.show_text("")
            return
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

    def sign_in(self) -> None:
        """Sign the chosen profile in where the form is: on Profiles (the browser at once; API credentials asked)."""
        from app.settings.profiles import ProfilesPage
        from app.settings.window import SettingsWindow

        profile_id = self.profiles.profile_id
        window = self.window()
        if not profile_id or not isinstance(window, SettingsWindow):
            return
        page = window.page("profiles")
        assert isinstance(page, ProfilesPage)
        page.select(profile_id)
        if self.api.settings().get_profile(profile_id).auth_mode.value == "token":
            page.client_id.setFocus()  # the secret is not kept: the form asks for it
        else:
            page.sign_in()

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
