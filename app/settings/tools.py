"""Tools: which of the organization's tools the bridge offers to clients. Changes apply at once; connected clients
are told (`notifications/tools/list_changed`) by the bridge."""

from __future__ import annotations

import concurrent.futures

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidgetItem,
    QWidget,
)

from app.controller import Controller
from app.palette import badge_colors
from app.settings.checklist import NAME, ChecklistPage, check_state
from app.settings.common import Notice
from bridge.api import Profile, ToolDrift, ToolExposure, ToolInfo, exposure_drift

# The Kind column: a tool the bridge could not classify is not called a write, but said to be treated as one.
KIND_TEXT = {"unclassified": "could not classify — treated as a write tool"}
KIND_TIP = {
    "read": "Only reads: offered in read-only mode.",
    "write": "Changes data: hidden in read-only mode.",
    "destructive": "Deletes or overwrites data: hidden in read-only mode.",
    "unclassified": "Neither the tool's name nor Port's annotations say whether it only reads, so read-only mode "
    "hides it, as it hides write tools.",
}
NEW_SHOWN, NEW_HIDDEN = 0, 1


KIND = Qt.ItemDataRole.UserRole + 7  # the tool's kind, for its badge's colours


class ToolsPage(ChecklistPage):
    noun = "tools"
    headers = ("Tool", "Kind", "Description")

    def __init__(self, controller: Controller) -> None:
        self._limits = controller.api.tool_limits()  # clients that handle only so many tools, lowest first
        super().__init__(
            controller,
            "Tools",
            "The tools Port offers this profile. Untick the ones your assistants "
            "should not see: the change applies at once, and connected clients reload their list.",
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 250)

    def add_to_top(self, top: QHBoxLayout) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tool names…")
        self.search.setAccessibleName("Search tool names")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        top.addWidget(self.search, 1)
        # Names by default: "entity" in descriptions matches nearly every tool.
        self.in_descriptions = QCheckBox("In &descriptions too")
        self.in_descriptions.toggled.connect(lambda _: self._filter(self.search.text()))
        top.addWidget(self.in_descriptions)

    def add_to_row(self, row: QHBoxLayout) -> None:
        row.addSpacing(16)
        row.addWidget(QLabel("Tools Port adds later:"))
        self.new_tools = QComboBox()
        self.new_tools.setAccessibleName("Tools Port adds later")
        self.new_tools.addItems(["Offered", "Hidden until ticked"])
        self.new_tools.setToolTip("Offered: new tools appear in your assistants automatically.\n"
                                  "Hidden: only the tools ticked here are ever offered.")  # fmt: skip
        self.new_tools.currentIndexChanged.connect(lambda _: self.save())
        row.addWidget(self.new_tools)

    def add_above_tree(self) -> None:
        self.limit_warning = Notice()
        self.body.addWidget(self.limit_warning)
        # Names the list holds that Port no longer lists (Port renames tools): said, with the one-click fix.
        self.drift: ToolDrift = ToolDrift()
        self.drift_banner = QWidget()
        row = QHBoxLayout(self.drift_banner)
        row.setContentsMargins(0, 0, 0, 0)
        self.drift_text = Notice()
        row.addWidget(self.drift_text, 1)
        self.drift_button = QPushButton("&Update the list")
        self.drift_button.setToolTip("Put each new name in place of the old one it likely is, and drop names that are "
                                     "gone.")  # fmt: skip
        self.drift_button.clicked.connect(self.update_renamed)
        row.addWidget(self.drift_button)
        self.drift_banner.hide()
        self.body.addWidget(self.drift_banner)

    # --- loading -------------------------------------------------------------------------------------------------

    def fetch(self, profile_id: str) -> concurrent.futures.Future[list[ToolInfo]]:
        return self.api.fetch_tools(profile_id)

    def show_profile(self, profile: Profile) -> None:
        self.drift_banner.hide()  # until this profile's list is in
        self.new_tools.blockSignals(True)
        self.new_tools.setCurrentIndex(NEW_HIDDEN if profile.tools.mode == "allow" else NEW_SHOWN)
        self.new_tools.blockSignals(False)

    def make_item(self, tool: ToolInfo) -> QTreeWidgetItem:
        kind = KIND_TEXT.get(tool.kind, tool.kind)
        item = QTreeWidgetItem([tool.title, kind, tool.description.splitlines()[0] if tool.description else ""])
        item.setData(0, NAME, tool.name)
        item.setCheckState(0, check_state(tool.exposed))
        item.setToolTip(0, tool.name)
        item.setToolTip(1, KIND_TIP.get(tool.kind, ""))
        item.setToolTip(2, tool.description)
        item.setData(1, KIND, tool.kind)
        self._badge(item)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
        return item

    def _badge(self, item: QTreeWidgetItem) -> None:
        fg, bg = badge_colors(str(item.data(1, KIND)), self.palette())  # the light or dark pair
        item.setForeground(1, QBrush(QColor(fg)))
        item.setBackground(1, QBrush(QColor(bg)))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the desktop went light or dark: the badges follow at once
            for index in range(self.tree.topLevelItemCount()):
                item = self.tree.topLevelItem(index)
                if item is not None:
                    self._badge(item)

    def after_load(self, profile: Profile | None) -> None:
        self._filter(self.search.text())
        self._show_drift(profile)
        note = " Read-only is on, so Port does not offer its write tools." if profile and profile.read_only else ""
        unclassified = [t.name for t in self.entries if t.kind == "unclassified"]
        if unclassified:
            note += (
                f" The bridge could not classify {', '.join(unclassified)} as reading or writing, so read-only mode "
                "treats " + ("it" if len(unclassified) == 1 else "them") + " as a write tool."
            )
        self.status.show_text(f"{len(self.entries)} tools from Port.{note}", "muted")

    # --- changes -------------------------------------------------------------------------------------------------

    def checked(self) -> dict[str, bool]:
        return self.states()

    def set_checked(self, names: set[str]) -> None:
        """Tick exactly these tools (for tests and scripted use), saving once."""
        self.tick(names)
        self.save()

    def set_all(self, on: bool) -> None:
        """Select all / none act on the tools the search shows, so "search, then none" hides a family of tools."""
        self.tick(None if on else set(), visible_only=True)
        self.save()

    def save(self) -> None:
        profile_id = self.profiles.profile_id
        if not profile_id or not self.entries:
            return
        old = self.api.settings().get_profile(profile_id).tools
        exposure = old.with_ticks(self.states(), self.new_tools.currentIndex() == NEW_SHOWN)
        if exposure != old:
            self.change(lambda: self.api.set_tools(profile_id, exposure), self.status)
        self.after_change()

    def _show_drift(self, profile: Profile | None) -> None:
        listed = [tool.name for tool in self.entries]
        tools = profile.tools if profile else ToolExposure()
        self.drift = drift = exposure_drift(
            tools.mode, tools.names, listed, read_only=bool(profile and profile.read_only)
        )
        shown = bool(drift) and profile is not None and bool(listed)  # an empty list from Port says nothing
        self.drift_banner.setVisible(shown)
        if not shown:
            return
        which = "shows only" if tools.mode == "allow" else "hides"
        renamed = dict(drift.renames)
        gone = ", ".join(f"{old} (now {renamed[old]}?)" if old in renamed else old for old in drift.missing)
        lines = [f"⚠ Your list {which} tools by name, and Port no longer lists {len(drift.missing)} of them: {gone}."]
        others = [n for n in drift.new if n not in renamed.values()]
        if others:
            lines.append("New from Port: " + ", ".join(others) + ".")
        lines.append("Update the list to use the new names" + (" and drop the ones that are gone." if
                     len(renamed) < len(drift.missing) else "."))  # fmt: skip
        self.drift_text.show_text(" ".join(lines), "warn")
        self.drift_button.setText("Replace with the new names" if renamed else "Remove the missing names")

    def update_renamed(self) -> None:
        """The banner's button: the list with the new names in place of the old and the names gone dropped."""
        profile_id = self.profiles.profile_id
        if not profile_id or not self.drift:
            return
        old = self.api.settings().get_profile(profile_id).tools
        exposure = ToolExposure(mode=old.mode, names=self.drift.updated_names(old.names))
        if self.change(lambda: self.api.set_tools(profile_id, exposure), self.status):
            self.reload()

    # --- view ----------------------------------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for item in self.items():
            fields = [item.text(0), item.data(0, NAME)]
            if self.in_descriptions.isChecked():
                fields.append(item.toolTip(2))
            haystack = " ".join(fields)
            item.setHidden(bool(needle) and needle not in haystack.casefold())

    def after_change(self) -> None:
        exposed = sum(self.states().values())
        self.count.setText(f"{exposed} of {len(self.entries)} tools exposed" if self.entries else "")
        over = [limit for limit in self._limits if exposed > limit.limit]
        if over and self.entries:
            names = ", ".join(f"{limit.client} ({limit.limit})" for limit in over)
            self.limit_warning.show_text(f"⚠ More tools than {names} can use well. {over[0].note}", "warn")
        else:
            self.limit_warning.show_text("")
