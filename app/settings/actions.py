"""Actions: which of the organization's self-service actions an assistant may run (`x-allowed-actions-to-run`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, ProfileChooser, bold
from bridge.api import ActionInfo


class ActionsPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Actions",
            "Self-service actions your assistants may run through Port's run_action tool. Port refuses any action "
            "not allowed here.",
        )
        self._actions: list[ActionInfo] = []
        self._request = 0
        top = QHBoxLayout()
        top.addWidget(QLabel("Profile:"))
        self.profiles = ProfileChooser(controller)
        self.profiles.chosen.connect(lambda _: self.reload())
        top.addWidget(self.profiles)
        top.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        top.addWidget(self.refresh_button)
        self.body.addLayout(top)

        self.every = QRadioButton("All actions, including ones added to Port later")
        self.only = QRadioButton("Only the actions ticked below")
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.every)
        self.mode.addButton(self.only)
        self.every.toggled.connect(self._mode_changed)
        self.body.addWidget(self.every)
        self.body.addWidget(self.only)

        row = QHBoxLayout()
        self.all_button = QPushButton("Select all")
        self.all_button.clicked.connect(lambda: self._set_all(True))
        self.none_button = QPushButton("Select none")
        self.none_button.clicked.connect(lambda: self._set_all(False))
        row.addWidget(self.all_button)
        row.addWidget(self.none_button)
        row.addStretch(1)
        self.count = bold("")
        row.addWidget(self.count)
        self.body.addLayout(row)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Identifier", "Blueprint"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(lambda item, column: self._save() if column == 0 else None)
        self.body.addWidget(self.tree, 1)
        self.status = Notice()
        self.body.addWidget(self.status)
        self.loaded = False

    def activated(self) -> None:
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        profile_id = self.profiles.profile_id
        self._request += 1
        request = self._request
        self.tree.clear()
        self._actions = []
        self._sync_controls()
        if not profile_id:
            self.status.show_text("No profile yet: add one on the Profiles page.", "muted")
            return
        profile = self.api.settings().get_profile(profile_id)
        self.every.blockSignals(True)
        (self.every if profile.allowed_actions is None else self.only).setChecked(True)
        self.every.blockSignals(False)
        self.status.show_text(f"Asking Port for the actions of {profile.name}…", "muted")
        self.refresh_button.setEnabled(False)
        try:
            future = self.api.fetch_actions(profile_id)
        except Exception as exc:  # not running: the bridge says why
            self._failed(request, exc)
            return
        self.controller.watch(future, lambda got: self._loaded(request, got), lambda e: self._failed(request, e))

    def _loaded(self, request: int, actions: list[ActionInfo]) -> None:
        if request != self._request:
            return
        self.loaded = True
        self.refresh_button.setEnabled(True)
        self._actions = actions
        self.tree.blockSignals(True)
        for action in actions:
            item = QTreeWidgetItem([action.title, action.identifier, action.blueprint])
            item.setData(0, Qt.ItemDataRole.UserRole, action.identifier)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if action.allowed else Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        if actions:
            self.status.show_text("", "muted")
        else:
            self.status.show_text("This organization has no self-service actions yet.", "muted")
        profile = self.api.settings().find_profile(self.profiles.profile_id or "")
        if profile and profile.read_only:
            self.status.show_text("Read-only is on for this profile, so no action can run until it is off.", "warn")
        self._sync_controls()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self.refresh_button.setEnabled(True)
        title, message = describe_error(exc)
        self.status.show_text(f"{title}: {message}", "error")

    def items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def checked(self) -> list[str]:
        return [i.data(0, Qt.ItemDataRole.UserRole) for i in self.items() if i.checkState(0) == Qt.CheckState.Checked]

    def _mode_changed(self, every: bool) -> None:
        if every:
            self._set_all(True, save=False)
        self._save()

    def _set_all(self, on: bool, *, save: bool = True) -> None:
        self.tree.blockSignals(True)
        for item in self.items():
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        if save:
            self._save()

    def _save(self) -> None:
        profile_id = self.profiles.profile_id
        if not profile_id or not self.loaded:
            return
        # None is "every action, now and later"; a list (possibly empty) is exactly those.
        allowed = None if self.every.isChecked() else self.checked()
        if self.api.settings().get_profile(profile_id).allowed_actions != allowed:
            self.change(lambda: self.api.set_allowed_actions(profile_id, allowed), self.status)
        self._sync_controls()

    def _sync_controls(self) -> None:
        explicit = self.only.isChecked()
        self.tree.setEnabled(explicit)
        self.all_button.setEnabled(explicit and bool(self._actions))
        self.none_button.setEnabled(explicit and bool(self._actions))
        if not self._actions:
            self.count.setText("")
        elif not explicit:
            self.count.setText(f"All {len(self._actions)} actions allowed")
        else:
            self.count.setText(f"{len(self.checked())} of {len(self._actions)} actions allowed")
