"""`SettingsWindow`: a sidebar (icons + names) over a stack of pages, one module per page.

Pages build lazily on first show: opening the window must not fetch tool lists for pages nobody looks at. Above them,
the active profile's Read-only and Pause and Quit: the tray menu's own items (app/menu_view.py), on every desktop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import windows
from app.accessibility import close_keys, name_by_labels
from app.controller import Controller
from app.icons import resource_dir

if TYPE_CHECKING:
    from app.menu_view import ItemsView
    from app.tray import Tray

# The tray menu's items the window's top row shows: what a user reaches for while changing settings.
HEADER_ROLES = frozenset({"status", "read_only", "pause", "quit"})

PAGES: tuple[tuple[str, str], ...] = (
    ("profiles", "Profiles"),
    ("tools", "Tools"),
    ("actions", "Actions"),
    ("clients", "Clients"),
    ("activity", "Activity"),
    ("doctor", "Doctor"),
    ("general", "General"),
)


def _factory(name: str) -> Callable[[Controller], QWidget]:
    # Imported here so each page module loads only when its page is first shown.
    page: Callable[[Controller], QWidget]
    if name == "profiles":
        from app.settings.profiles import ProfilesPage as page
    elif name == "tools":
        from app.settings.tools import ToolsPage as page
    elif name == "actions":
        from app.settings.actions import ActionsPage as page
    elif name == "clients":
        from app.settings.clients import ClientsPage as page
    elif name == "activity":
        from app.settings.activity import ActivityPage as page
    elif name == "doctor":
        from app.settings.doctor import DoctorPage as page
    else:
        from app.settings.general import GeneralPage as page
    return page


class _Central(QWidget):
    """The window's content, at least 760 by 520, and more when a page needs it. A floor as a hint rather than
    `setMinimumSize`: an explicit minimum overrides what the pages' layouts need, and a page wider than it (a long
    profile line beside the profile's details) would be clipped at the right instead of widening the window."""

    def minimumSizeHint(self) -> QSize:
        return super().minimumSizeHint().expandedTo(QSize(760, 520))


class SettingsWindow(QMainWindow):
    """Closing hides the window; the tray keeps running."""

    def __init__(self, controller: Controller, parent: QWidget | None = None, *, tray: Tray | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Port MCP Bridge — Settings")
        self.resize(940, 640)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Settings pages")
        self.sidebar.setFixedWidth(170)
        self.sidebar.setStyleSheet(
            "QListWidget#sidebar { border: none; border-right: 1px solid palette(mid); }"
            "QListWidget#sidebar::item { padding: 6px 8px; }"
        )
        self.sidebar.setIconSize(self.sidebar.iconSize() * 1.2)
        self.stack = QStackedWidget()
        self._pages: dict[str, QWidget] = {}
        for name, label in PAGES:
            item = QListWidgetItem(QIcon(str(resource_dir() / "icons" / f"page-{name}.svg")), label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.sidebar.addItem(item)
            placeholder = QWidget()
            self.stack.addWidget(placeholder)
        self.sidebar.currentRowChanged.connect(self._select)

        pages = QWidget()
        layout = QHBoxLayout(pages)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        central = _Central()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.header: ItemsView | None = None
        if tray is not None:
            from app.menu_view import ItemsView

            self.header = ItemsView(tray, HEADER_ROLES, one_row=True)
            self.header.setObjectName("header")
            self.header.setContentsMargins(10, 6, 10, 6)
            column.addWidget(self.header)
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setFrameShadow(QFrame.Shadow.Sunken)
            column.addWidget(line)
        column.addWidget(pages, 1)
        self.setCentralWidget(central)
        self.sidebar.setCurrentRow(0)
        self._close_keys = close_keys(self, self.close)  # Ctrl+W / Cmd+W and Esc: closing hides

    # --- the interface the tray uses ---------------------------------------------------------------------------

    def show_page(self, name: str) -> None:
        """Select a page by name ("profiles", "tools", "actions", "clients", "activity", "doctor", "general")."""
        names = [n for n, _ in PAGES]
        if name not in names:
            raise ValueError(f"No settings page '{name}'; pages are {', '.join(names)}.")
        self.sidebar.setCurrentRow(names.index(name))

    def bring_to_front(self) -> None:
        windows.bring_to_front(self)

    def page(self, name: str) -> QWidget:
        """The page widget (built if needed): for tests and the tray's deep links."""
        self.show_page(name)
        return self._pages[name]

    @property
    def current_page(self) -> str:
        return PAGES[self.sidebar.currentRow()][0]

    # --- internals ---------------------------------------------------------------------------------------------

    def _select(self, row: int) -> None:
        if row < 0:
            return
        name = PAGES[row][0]
        if name not in self._pages:
            widget = _factory(name)(self.controller)
            name_by_labels(widget)  # "Profile:" names the chooser beside it, for screen readers too
            old = self.stack.widget(row)
            assert old is not None  # the placeholder __init__ put at every page's row
            self.stack.insertWidget(row, widget)
            self.stack.removeWidget(old)
            old.deleteLater()
            self._pages[name] = widget
        self.stack.setCurrentIndex(row)
        activated = getattr(self._pages[name], "activated", None)
        if callable(activated):
            activated()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter presses the focused button, as in a dialog (outside one Qt's buttons take only Space)."""
        focused = self.focusWidget()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(focused, QAbstractButton):
            focused.animateClick()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.hide()
