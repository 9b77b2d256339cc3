"""Keyboard and screen-reader basics every window shares: which controls a person can operate, the name a screen
reader announces for each, and the platform's close keys (Ctrl+W, Cmd+W on macOS, and Esc) on a window.

`unnamed` is what the accessibility test walks: a control counts as named when Qt's accessibility layer gives it a
name (its own text, `setAccessibleName`, or a label that is its buddy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtGui import QAccessible, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QPlainTextEdit,
    QTextEdit,
    QAbstractSlider,
)


def controls(root: QWidget) -> Iterator[QWidget]:
    """Every control a person can operate under `root` (visible or not: pages show controls as things change);
    the parts Qt builds inside a control (a combo box's list, a spin box's line edit) are the control's own."""
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or _inside_control(widget, root):
            continue
        if isinstance(widget, QAbstractButton) and widget.objectName().startswith("qt_"):
            continue  # Qt's own: a line edit's clear button, a scroll bar's arrows
        yield widget


def _inside_control(widget: QWidget, root: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, CONTROLS):
            return True
        parent = parent.parentWidget()
    return False


def spoken_name(widget: QWidget) -> str:
    """The name a screen reader announces (Qt's accessible interface), mnemonics' '&' removed."""
    interface = QAccessible.queryAccessibleInterface(widget)
    name = interface.text(QAccessible.Text.Name) if interface is not None else ""
    return (name or widget.accessibleName()).replace("&", "").strip()


def unnamed(root: QWidget) -> list[QWidget]:
    return [w for w in controls(root) if not spoken_name(w)]


def name_by_labels(root: QWidget) -> None:
    """A field label ("Profile:") names the control beside it, for a screen reader as for the eye: each such label
    whose next control in its layout has no name becomes that control's buddy (Alt+letter focuses it too)."""
    for label in root.findChildren(QLabel):
        text = label.text().strip()
        if label.buddy() is not None or not text.endswith(":") or len(text) > 40:
            continue
        field = _next_control(label)
        if field is not None and not field.accessibleName():
            label.setBuddy(field)
            field.setAccessibleName(text.rstrip(":").replace("&", ""))


def _next_control(label: QLabel) -> QWidget | None:
    """The first control after `label` in the layout that holds it (a row: "Profile:" [chooser])."""
    parent = label.parentWidget()
    top = parent.layout() if parent is not None else None
    layouts: list[QLayout] = [top] if top is not None else []
    while layouts:
        layout = layouts.pop()
        items = [layout.itemAt(i) for i in range(layout.count())]
        widgets = [item.widget() for item in items if item is not None]
        if label in widgets:
            after = widgets[widgets.index(label) + 1 :]
            for widget in after:
                if widget is None:
                    continue
                if isinstance(widget, CONTROLS):
                    return widget
                first = next(controls(widget), None)
                if first is not None:
                    return first
            return None
        layouts += [sub for item in items if item is not None and (sub := item.layout()) is not None]
    return None


def close_keys(window: QWidget, close: Callable[[], object], *, escape: bool = True) -> list[QShortcut]:
    """Ctrl+W (Cmd+W on macOS: `QKeySequence.Close`) and Esc close `window` as the platform's windows do (a dialog
    has Esc already: `escape=False`)."""
    platform = QShortcut(window)
    platform.setKeys(QKeySequence.StandardKey.Close)  # every binding (Ctrl+F4 and Ctrl+W), not only the first
    shortcuts = [platform] + ([QShortcut(QKeySequence("Esc"), window)] if escape else [])
    for shortcut in shortcuts:
        shortcut.activated.connect(close)
    return shortcuts
