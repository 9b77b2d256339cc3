"""Status colours on list items that follow the palette: `tint` (a tree item's column) and `tint_cell` (a table's
cell) record the kind of colour shown (ok, warn, error, muted) beside setting it, so `retint` can repaint every such
item when the desktop switches between light and dark (`Page` does it on each PaletteChange). Colours come from
`app.palette` only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QTreeWidget, QTreeWidgetItem

from app.palette import status_color

TINTS = Qt.ItemDataRole.UserRole + 40  # on column 0: [[column, kind], …], what `retint` repaints


def tint(item: QTreeWidgetItem, column: int, kind: str, palette: QPalette) -> None:
    """Show `column` of `item` in the status colour `kind` ("muted": the palette's placeholder text)."""
    kinds = [pair for pair in (item.data(0, TINTS) or []) if pair[0] != column]
    item.setData(0, TINTS, [*kinds, [column, kind]])
    _paint(item, column, kind, palette)


def tint_cell(item: QTableWidgetItem, kind: str, palette: QPalette) -> None:
    """Show a table's cell in the status colour `kind`."""
    item.setData(TINTS, kind)
    item.setForeground(_brush(kind, palette))


def retint(view: QTreeWidget | QTableWidget, palette: QPalette) -> None:
    """Repaint every tinted item of `view` (a tree's children too) for `palette`."""
    if isinstance(view, QTableWidget):
        for row in range(view.rowCount()):
            for column in range(view.columnCount()):
                cell = view.item(row, column)
                if cell is not None and cell.data(TINTS):
                    cell.setForeground(_brush(str(cell.data(TINTS)), palette))
        return
    tree = view
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        for column, kind in item.data(0, TINTS) or []:
            _paint(item, int(column), str(kind), palette)
        stack.extend(item.child(i) for i in range(item.childCount()))


def _paint(item: QTreeWidgetItem, column: int, kind: str, palette: QPalette) -> None:
    item.setForeground(column, _brush(kind, palette))


def _brush(kind: str, palette: QPalette) -> QBrush:
    return palette.placeholderText() if kind == "muted" else QBrush(QColor(status_color(kind, palette)))
