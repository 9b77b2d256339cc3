"""Tools: which of the organization's tools the bridge offers to clients. Changes apply at once; connected clients
are told (`notifications/tools/list_changed`) by the bridge."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, ProfileChooser, bold
from bridge.api import ToolInfo
from bridge.export import clients
from bridge.settings import ToolExposure

# Badge colours (text, background) that read on light and dark palettes alike.
BADGES = {"read": ("#1a7f37", "#d9f2e0"), "write": ("#9a6700", "#fbefc9"), "destructive": ("#cf222e", "#fcdcdc")}
NEW_SHOWN, NEW_HIDDEN = 0, 1


def tool_limits() -> list[tuple[int, str, str]]:
    """(limit, client name, note) for clients that handle only so many tools, lowest first."""
    return sorted((c.tool_limit, c.name, c.tool_limit_note) for c in clients() if c.tool_limit)


def exposure_for(old: ToolExposure, checked: dict[str, bool], new_tools_shown: bool) -> ToolExposure:
    """The profile's selection from the checkboxes.

    Why two modes: with "new tools shown" we store what the user *hid* (a deny list), so a tool Port adds later is
    offered like every other (Port's own default, and what someone who only unticked a few expects); with "new tools
    hidden" we store what the user *chose* (an allow list), so a client kept under a tool limit stays under it when
    Port grows. Names the current list does not show (e.g. write tools while Read-only is on, when Port does not
    list them) keep their old state, so turning Read-only off again finds the earlier choices intact.
    """
    unlisted = [n for n in old.names if n not in checked]
    if new_tools_shown:
        hidden = (unlisted if old.mode == "deny" else []) + [n for n, on in checked.items() if not on]
        return ToolExposure(mode="deny", names=hidden) if hidden else ToolExposure()
    chosen = (unlisted if old.mode == "allow" else []) + [n for n, on in checked.items() if on]
    return ToolExposure(mode="allow", names=chosen)


class ToolsPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Tools",
            "The tools Port offers this profile. Untick the ones your assistants "
            "should not see: the change applies at once, and connected clients reload their list.",
        )
        self._tools: list[ToolInfo] = []
        self._request = 0

        top = QHBoxLayout()
        top.addWidget(QLabel("Profile:"))
        self.profiles = ProfileChooser(controller)
        self.profiles.chosen.connect(lambda _: self.reload())
        top.addWidget(self.profiles)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tools…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        top.addWidget(self.search, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        top.addWidget(self.refresh_button)
        self.body.addLayout(top)

        row = QHBoxLayout()
        self.all_button = QPushButton("Select all")
        self.all_button.clicked.connect(lambda: self._set_all(True))
        self.none_button = QPushButton("Select none")
        self.none_button.clicked.connect(lambda: self._set_all(False))
        row.addWidget(self.all_button)
        row.addWidget(self.none_button)
        row.addSpacing(16)
        row.addWidget(QLabel("Tools Port adds later:"))
        self.new_tools = QComboBox()
        self.new_tools.addItems(["Offered", "Hidden until ticked"])
        self.new_tools.setToolTip("Offered: new tools appear in your assistants automatically.\n"
                                  "Hidden: only the tools ticked here are ever offered.")  # fmt: skip
        self.new_tools.currentIndexChanged.connect(lambda _: self._save())
        row.addWidget(self.new_tools)
        row.addStretch(1)
        self.count = bold("")
        row.addWidget(self.count)
        self.body.addLayout(row)

        self.limit_warning = Notice()
        self.body.addWidget(self.limit_warning)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Tool", "Kind", "Description"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 250)
        self.tree.itemChanged.connect(self._changed)
        self.body.addWidget(self.tree, 1)
        self.status = Notice()
        self.body.addWidget(self.status)
        self.loaded = False

    # --- loading -----------------------------------------------------------------------------------------------

    def activated(self) -> None:
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        profile_id = self.profiles.profile_id
        self._request += 1
        request = self._request
        self.tree.clear()
        self._tools = []
        self._update_count()
        if not profile_id:
            self.status.show_text("No profile yet: add one on the Profiles page.", "muted")
            return
        profile = self.api.settings().get_profile(profile_id)
        self.new_tools.blockSignals(True)
        self.new_tools.setCurrentIndex(NEW_HIDDEN if profile.tools.mode == "allow" else NEW_SHOWN)
        self.new_tools.blockSignals(False)
        self.status.show_text(f"Asking Port for the tools of {profile.name}…", "muted")
        self.refresh_button.setEnabled(False)
        try:
            future = self.api.fetch_tools(profile_id)
        except Exception as exc:  # not running: the bridge says why
            self._failed(request, exc)
            return
        self.controller.watch(future, lambda tools: self._loaded(request, tools), lambda e: self._failed(request, e))

    def _loaded(self, request: int, tools: list[ToolInfo]) -> None:
        if request != self._request:
            return  # the user picked another profile meanwhile
        self.loaded = True
        self.refresh_button.setEnabled(True)
        self._tools = tools
        self.tree.blockSignals(True)
        for tool in tools:
            item = QTreeWidgetItem(
                [tool.title, tool.kind, tool.description.splitlines()[0] if tool.description else ""]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, tool.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if tool.exposed else Qt.CheckState.Unchecked)
            item.setToolTip(0, tool.name)
            item.setToolTip(2, tool.description)
            fg, bg = BADGES.get(tool.kind, BADGES["write"])
            item.setForeground(1, QBrush(QColor(fg)))
            item.setBackground(1, QBrush(QColor(bg)))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self._filter(self.search.text())
        profile = self.api.settings().find_profile(self.profiles.profile_id or "")
        note = " Read-only is on, so Port does not offer its write tools." if profile and profile.read_only else ""
        self.status.show_text(f"{len(tools)} tools from Port.{note}", "muted")
        self._update_count()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self.refresh_button.setEnabled(True)
        title, message = describe_error(exc)
        self.status.show_text(f"{title}: {message}", "error")

    # --- changes -----------------------------------------------------------------------------------------------

    def items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def checked(self) -> dict[str, bool]:
        return {i.data(0, Qt.ItemDataRole.UserRole): i.checkState(0) == Qt.CheckState.Checked for i in self.items()}

    def set_checked(self, names: set[str]) -> None:
        """Tick exactly these tools (for tests and scripted use), saving once."""
        self.tree.blockSignals(True)
        for item in self.items():
            on = item.data(0, Qt.ItemDataRole.UserRole) in names
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        self._save()

    def _set_all(self, on: bool) -> None:
        """Select all / none act on the tools the search shows, so "search, then none" hides a family of tools."""
        self.tree.blockSignals(True)
        for item in self.items():
            if not item.isHidden():
                item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        self._save()

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self._save()

    def _save(self) -> None:
        profile_id = self.profiles.profile_id
        if not profile_id or not self._tools:
            return
        old = self.api.settings().get_profile(profile_id).tools
        exposure = exposure_for(old, self.checked(), self.new_tools.currentIndex() == NEW_SHOWN)
        if exposure != old:
            self.change(lambda: self.api.set_tools(profile_id, exposure), self.status)
        self._update_count()

    # --- view ----------------------------------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for item in self.items():
            haystack = " ".join((item.text(0), item.data(0, Qt.ItemDataRole.UserRole), item.text(1), item.toolTip(2)))
            item.setHidden(bool(needle) and needle not in haystack.casefold())

    def _update_count(self) -> None:
        exposed = sum(self.checked().values())
        self.count.setText(f"{exposed} of {len(self._tools)} tools exposed" if self._tools else "")
        over = [(limit, name, note) for limit, name, note in tool_limits() if exposed > limit]
        if over and self._tools:
            names = ", ".join(f"{name} ({limit})" for limit, name, _ in over)
            self.limit_warning.show_text(f"⚠ More tools than {names} can use well. {over[0][2]}", "warn")
        else:
            self.limit_warning.show_text("")
