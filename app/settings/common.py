"""What every settings page shares: a title with a one-line explanation, status lines, a profile chooser, and
the two ways of doing work (a quick settings write here, anything slower on a worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QMessageBox,
    QScrollArea,
    QTableWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from app.controller import Controller, describe_error
from app.palette import status_color
from app.tint import retint
from bridge.api import Snapshot
from bridge.errors import BridgeError


class Notice(QLabel):
    """A status line: neutral, success, warning or error; selectable so it can be copied into a support request."""

    COLORS = {"info": "palette(text)", "muted": "palette(placeholder-text)"}  # the rest: `status_color`

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(bool(text))
        self.kind = "info"

    def show_text(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self.setText(text)
        self._colour()
        self.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:
        """The desktop switched between light and dark: the status colour for the new palette."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._colour()

    def _colour(self) -> None:
        sheet = f"color: {self.COLORS.get(self.kind) or status_color(self.kind, self.palette())};"
        if sheet != self.styleSheet():  # unchanged: no restyle (which would send another PaletteChange)
            self.setStyleSheet(sheet)


class VerticalScroll(QScrollArea):
    """Scrolls up and down only, and is as wide as its content needs: on a short window a column grows a scroll bar
    instead of squeezing its wrapped lines; on a narrow one the window keeps it whole instead of clipping its right
    edge (a plain QScrollArea would let the layout give it less than its content's width)."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.horizontalScrollBar().setAccessibleName("Scroll sideways")  # never shown; named for screen readers
        content.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        width = content.minimumSizeHint().width() if content is not None else 0
        return QSize(width + self.verticalScrollBar().sizeHint().width(), super().minimumSizeHint().height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the content changed what it needs: so does this
            self.updateGeometry()
        return super().eventFilter(watched, event)


class Page(QWidget):
    """A page: `title`, `blurb`, then the page's own content in `self.body` (a QVBoxLayout)."""

    def __init__(self, controller: Controller, title: str, blurb: str) -> None:
        super().__init__()
        self.controller = controller
        self.api = controller.api
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(8)
        heading = QLabel(title)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        heading.setFont(font)
        outer.addWidget(heading)
        explanation = QLabel(blurb)
        explanation.setWordWrap(True)
        explanation.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(explanation)
        outer.addSpacing(6)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        outer.addLayout(self.body, 1)

    def changeEvent(self, event: QEvent) -> None:
        """The desktop switched between light and dark: status colours in the page's lists follow at once."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            views: list[QTreeWidget | QTableWidget] = [*self.findChildren(QTreeWidget)]
            views += self.findChildren(QTableWidget)
            for view in views:
                retint(view, self.palette())

    def activated(self) -> None:
        """Called each time the page is shown: refresh what may have changed elsewhere (tray, command line)."""

    def change(self, fn: Callable[[], Any], notice: Notice) -> bool:
        """A settings write (milliseconds: a file under a lock): done here, its error shown on `notice`."""
        try:
            fn()
        except BridgeError as exc:
            notice.show_text(exc.message, "error")
            return False
        self.controller.refresh()
        return True

    def work(self, fn: Callable[[], Any], done: Callable[[Any], None], notice: Notice, busy: str = "") -> None:
        """Blocking work (keychain, files, network) on a worker; the outcome comes back here on the GUI thread."""
        if busy:
            notice.show_text(busy, "muted")
        self.controller.run(fn, done, lambda exc: notice.show_text(describe_error(exc)[1], "error"))

    def confirm(self, title: str, text: str, action: str) -> bool:
        """Ask before something that cannot be taken back (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes


class ProfileChooser(QComboBox):
    """The profiles by name, following the tray's snapshot; starts on the active profile, and follows it while it
    shows it (a profile picked here stays)."""

    chosen = Signal(str)  # profile id

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.setMinimumContentsLength(18)
        self._ids: list[str] = []
        self._active: str | None = None  # the active profile at the last update
        controller.snapshotChanged.connect(self.update_from)
        self.currentIndexChanged.connect(self._emit)
        self.update_from(controller.snapshot)

    @property
    def profile_id(self) -> str | None:
        index = self.currentIndex()
        return self._ids[index] if 0 <= index < len(self._ids) else None

    def update_from(self, snapshot: Snapshot) -> None:
        ids = [p.id for p in snapshot.profiles]
        labels = [f"{p.name} (active)" if p.active else p.name for p in snapshot.profiles]
        if ids == self._ids and [self.itemText(i) for i in range(self.count())] == labels:
            return
        previous, active = self.profile_id, (snapshot.active.id if snapshot.active else None)
        keep = previous or active
        if previous is not None and previous == self._active and active:
            keep = active  # it showed the active profile, and the tray or the CLI switched: follow
        self._active = active
        self.blockSignals(True)
        self.clear()
        self._ids = ids
        self.addItems(labels)
        self.setCurrentIndex(ids.index(keep) if keep in ids else (0 if ids else -1))
        self.blockSignals(False)
        if self.profile_id != previous:
            self._emit()

    def select(self, profile_id: str) -> None:
        if profile_id in self._ids:
            self.setCurrentIndex(self._ids.index(profile_id))

    def _emit(self, *_: object) -> None:
        self.chosen.emit(self.profile_id or "")


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def bold(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label
