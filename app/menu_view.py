"""`ItemsView`: the tray menu's model (app/menu_model.py) as a panel of controls, for windows.

The profiles become one drop-down, check items check boxes, submenus buttons with a menu, labels text, everything
else a button; separators start a new row. It redraws when the model changes (a new snapshot, the clients read, a
sign-in step), so it always offers what the tray menu would offer at that moment, and a click runs the same action.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.icons import tray_icon
from app.menu_model import Item, fill_menu
from app.tray import Tray

LONG = 44  # a button with more text than this gets a row of its own


def _sections(items: list[Item]) -> list[list[Item]]:
    sections: list[list[Item]] = [[]]
    for item in items:
        if item.role == "separator":
            sections.append([])
        else:
            sections[-1].append(item)
    return [s for s in sections if s]


class ItemsView(QWidget):
    """The items whose role is in `roles` (all of them when None); `one_row` puts them on one line (a header)."""

    def __init__(
        self,
        tray: Tray,
        roles: Collection[str] | None = None,
        parent: QWidget | None = None,
        *,
        one_row: bool = False,
    ) -> None:
        super().__init__(parent)
        self.tray = tray
        self.roles = roles
        self.one_row = one_row
        self.profiles: QComboBox | None = None
        self.controls: dict[str, QWidget] = {}  # item text -> its widget (tests, accessibility checks)
        self._submenus: dict[str, QMenu] = {}  # kept across redraws: a menu may be open while it fills in
        self._shown: list[Item] | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._rows = QWidget()
        self._layout.addWidget(self._rows)
        tray.controller.snapshotChanged.connect(self.redraw)
        tray.changed.connect(self.redraw)
        tray.shown.connect(self.redraw)  # a sign-in started or ended
        self.redraw()

    def items(self) -> list[Item]:
        wanted = self.roles
        return [i for i in self.tray.items() if wanted is None or i.role in wanted or i.role == "separator"]

    @Slot()
    def redraw(self) -> None:
        items = self.items()
        for item in items:
            if item.children:
                fill_menu(self._submenu(item.role), item.children)
        top = [replace(i, children=()) for i in items]
        if top == self._shown:
            return
        self._shown = top
        self._rebuild(items)

    def control(self, text: str) -> QWidget:
        """The control whose text starts with `text`."""
        for name, widget in self.controls.items():
            if name.startswith(text):
                return widget
        raise KeyError(text)

    # --- drawing -----------------------------------------------------------------------------------------------

    def _submenu(self, role: str) -> QMenu:
        if role not in self._submenus:
            menu = self._submenus[role] = QMenu(self)
            if role == "clients":  # look at the client files again, as the tray does
                menu.aboutToShow.connect(self.tray.load_clients)
        return self._submenus[role]

    def _rebuild(self, items: list[Item]) -> None:
        old = self._rows
        self._rows = QWidget()
        rows = QVBoxLayout(self._rows)
        rows.setContentsMargins(0, 0, 0, 0)
        self.controls, self.profiles = {}, None
        sections = _sections(items)
        if self.one_row:
            sections = [[item for section in sections for item in section]]
        for section in sections:
            row: QHBoxLayout | None = None
            for item in section:
                widget = self._widget(item)
                if widget is None:
                    continue
                alone = not self.one_row and (item.label or len(item.text) > LONG)
                if alone or row is None:
                    if row is not None:
                        row.addStretch(1)
                    row = QHBoxLayout()
                    rows.addLayout(row)
                if item.role == "quit":  # at the end, on the right
                    row.addStretch(1)
                row.addWidget(widget, 1 if item.label and not self.one_row else 0)
                if alone or item.role == "quit":
                    row = None
            if row is not None:
                row.addStretch(1)
        self._layout.replaceWidget(old, self._rows)
        old.deleteLater()

    def _widget(self, item: Item) -> QWidget | None:
        if item.role == "profile":
            return self._profile(item)
        widget: QWidget
        if item.label:
            label = QLabel(item.text)
            label.setWordWrap(not self.one_row)  # a header's status line keeps its width instead of a narrow column
            if item.role == "status":
                label.setText(f"<b>{item.text}</b>")
                icon = QLabel()
                dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128  # the window's, not the bar's
                icon.setPixmap(tray_icon(self.tray.state, dark=dark).pixmap(20, 20))
                box = QWidget()
                line = QHBoxLayout(box)
                line.setContentsMargins(0, 0, 0, 0)
                line.addWidget(icon)
                line.addWidget(label, 1)
                widget = box
            else:
                widget = label
            widget.setAccessibleName(item.text)
            self.controls[item.text] = widget
            return widget  # never greyed out: in a window, text is there to be read
        if item.checkable:
            box = QCheckBox(item.text)
            box.setChecked(item.checked)
            widget = self._clickable(box, item)
        else:
            button = QPushButton(item.text)
            if item.children:
                button.setMenu(self._submenu(item.role))
            widget = self._clickable(button, item)
        widget.setToolTip(item.tooltip)
        widget.setEnabled(item.enabled)
        self.controls[item.text] = widget
        return widget

    def _clickable(self, button: QAbstractButton, item: Item) -> QAbstractButton:
        run = item.run
        if run is not None:
            button.clicked.connect(lambda: run())
        if isinstance(button, QPushButton):
            button.setAutoDefault(False)  # Enter in the window presses no button by surprise
        return button

    def _profile(self, item: Item) -> QWidget | None:
        """All profile items become one drop-down: choosing one runs its item (the tray's switch)."""
        first = self.profiles is None
        if self.profiles is None:
            self.profiles = QComboBox()
            self.profiles.setAccessibleName("Active profile")
            self.profiles.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            self.profiles.activated.connect(self._choose)
        combo = self.profiles
        combo.addItem(item.text, item)
        if item.checked:
            combo.setCurrentIndex(combo.count() - 1)
        self.controls[item.text] = combo
        if not first:
            return None
        box = QWidget()
        line = QHBoxLayout(box)
        line.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("&Profile:")
        caption.setBuddy(combo)
        line.addWidget(caption)
        line.addWidget(combo)
        return box

    @Slot(int)
    def _choose(self, index: int) -> None:
        assert self.profiles is not None
        item = self.profiles.itemData(index, Qt.ItemDataRole.UserRole)
        if isinstance(item, Item) and not item.checked and item.run is not None:
            item.run()
