"""The Profiles page's list: a profile a row (its name, then organization · where · state), as wide as its lines.

The demo organization reads as what it is ("on this computer"), never as the sandbox's loopback address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from bridge.api import ProfileView, Snapshot

STATE_TEXT = {"signed_in": "signed in", "needs_sign_in": "sign-in needed", "error": "Port unreachable", "idle": ""}
MIN_WIDTH, MAX_WIDTH = 200, 420  # beyond the widest line allowed, a line is cut and its tooltip has it whole


def profile_lines(view: ProfileView) -> str:
    """The two lines of a row: the name (and whether it is active), then what and where it is."""
    if view.demo:  # the sandbox in this app: its state is "signed in" as soon as the app is up
        state = "demo, signed in" if view.state in ("signed_in", "idle") else STATE_TEXT.get(view.state, view.state)
        detail = " · ".join(x for x in (view.organization, "on this computer", state) if x)
    else:
        state = STATE_TEXT.get(view.state, view.state)
        where = view.region.upper() if len(view.region) == 2 else urlsplit(view.region).netloc
        detail = " · ".join(x for x in (view.organization, where, state) if x)
    return f"{view.name}{' (active)' if view.active else ''}\n{detail}"


class ProfileList(QListWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setMinimumWidth(MIN_WIDTH)
        self.setSpacing(3)
        self.setStyleSheet("QListWidget::item { padding: 4px 6px; }")
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def row_of(self, profile_id: str) -> int:
        return next((i for i in range(self.count()) if self.item(i).data(Qt.ItemDataRole.UserRole) == profile_id), -1)

    def show_profiles(self, snapshot: Snapshot, keep: str | None) -> None:
        """Rebuild the rows without a selection signal, `keep` current if it is still there."""
        self.blockSignals(True)
        self.clear()
        for view in snapshot.profiles:
            item = QListWidgetItem(profile_lines(view))
            where = "The demo organization, served by this app" if view.demo else view.region
            item.setToolTip(f"{item.text()}\n{where}")
            item.setData(Qt.ItemDataRole.UserRole, view.id)
            self.addItem(item)
            if view.id == keep:
                self.setCurrentItem(item)
        self.blockSignals(False)
        self._fit()

    def _fit(self) -> None:
        """Wide enough for the longest line (item padding, spacing, frame and a scroll bar's room included)."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(line) for i in range(self.count())
                      for line in self.item(i).text().splitlines()), default=0)  # fmt: skip
        room = 2 * 6 + 2 * self.spacing() + 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width() + 8
        self.setMinimumWidth(max(MIN_WIDTH, min(widest + room, MAX_WIDTH)))
