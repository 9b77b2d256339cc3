"""Status colours on tree items that follow the palette: `tint` records the kind of colour an item's column shows
(ok, warn, error, muted) beside setting it, so `retint` can repaint every such item when the desktop switches
between light and dark (`Page` does it on each PaletteChange). Colours come from `app.palette` only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from app.palette import status_color

TINTS = Qt.ItemDataRole.UserRole + 40  # on column 0: [[column, kind], …], what `retint` repaints


def tint(item: QTreeWidgetItem, column: int, kind: str, palette: QPalette) -> None:
    """Show `column` of `item` in the status colour `kind` ("muted": the palette's placeholder text)."""
    kinds = [pair for pair in (item.data(0, TINTS) or []) if pair[0] != column]
    item.setData(0, TINTS, [*kinds, [column, kind]])
    _paint(item, column, kind, palette)


def retint(tree: QTreeWidget, palette: QPalette) -> None:
    """Repaint every tinted item of `tree` (and its children) for `palette`."""
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        for column, kind in item.data(0, TINTS) or []:
            _paint(item, int(column), str(kind), palette)
        stack.extend(item.child(i) for i in range(item.childCount()))


def _paint(item: QTreeWidgetItem, column: int, kind: str, palette: QPalette) -> None:
    if kind == "muted":
        item.setForeground(column, palette.placeholderText())
    else:
        item.setForeground(column, QBrush(QColor(status_color(kind, palette))))
