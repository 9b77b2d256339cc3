"""The log viewer: the bridge's log file in a window, followed live, filtered by level and text, with Copy and a
button to the folder (what support asks for; a user never needs a terminal or a text editor to see it).

The file is the one `bridge.api.log_file()` names; the bridge writes it redacted (`bridge/system/logs.py`), and every
line is passed through `redact` again before it is shown, so a line written by anything else still shows no token.
New lines come from a file watcher, with a slow timer as a fallback where watchers miss writes (network folders);
a rotated file (bridge.log -> bridge.log.1) is noticed by its identity and read from its start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QFontDatabase,
    QGuiApplication,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import windows
from bridge.api import log_file, redact

# What `bridge/system/logs.py` writes: "%(asctime)s %(levelname)s %(name)s: %(message)s"; other lines (a traceback)
# belong to the record above them.
_HEADER = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
_LEVEL_NUMBERS = {name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}
LEVELS = {  # the level filter's choices: the least severe level each one shows
    "All levels": logging.DEBUG,
    "Info and above": logging.INFO,
    "Warnings and errors": logging.WARNING,
    "Errors only": logging.ERROR,
}
MAX_RECORDS = 20_000  # the oldest go first: a day of INFO is far fewer; DEBUG can be more
FALLBACK_POLL_MS = 2000
OpenUrl = Callable[[QUrl], object]


@dataclass
class Record:
    level: int
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def add_lines(records: list[Record], lines: list[str]) -> bool:
    """Append the file's new lines to `records`; True if the last record already there got more lines (a traceback
    written in pieces), so what is shown must be drawn again rather than appended to."""
    grew = False
    first_new = len(records)
    for line in lines:
        match = _HEADER.match(line)
        if match:
            records.append(Record(_LEVEL_NUMBERS[match.group(1)], [line]))
        elif records:
            records[-1].lines.append(line)
            grew = grew or len(records) == first_new
        else:
            records.append(Record(logging.INFO, [line]))  # the file was rotated mid-record
    return grew


def matches(record: Record, level: int, text: str) -> bool:
    return record.level >= level and (not text or text.casefold() in record.text.casefold())


class LogViewer(QWidget):
    def __init__(self, *, open_url: OpenUrl = QDesktopServices.openUrl, path: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Port MCP Bridge: log")
        self.resize(900, 560)
        self._open_url = open_url
        self.path = path or log_file()
        self.records: list[Record] = []
        self._offset = 0
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file read so far
        self._partial = b""  # a line the bridge has not finished writing

        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setAccessibleName("Show levels")
        self.level.currentIndexChanged.connect(self.redraw)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by text…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter by text")
        self.search.textChanged.connect(self.redraw)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName("Log")
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(placeholder-text);")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copies the selected lines, or every line shown")
        self.copy_button.clicked.connect(self.copy)
        self.folder_button = QPushButton("Open &folder")
        self.folder_button.clicked.connect(self.open_folder)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        filters = QHBoxLayout()
        filters.addWidget(self.level)
        filters.addWidget(self.search, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.copy_button, self.folder_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        for keys in (QKeySequence.StandardKey.Close, QKeySequence(Qt.Key.Key_Escape)):
            QShortcut(keys, self, self.close)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)

        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self.read_new)
        self.watcher.directoryChanged.connect(self.read_new)  # the file created, or rotated away
        self.poll = QTimer(self)
        self.poll.setInterval(FALLBACK_POLL_MS)
        self.poll.timeout.connect(self.read_new)
        self.read_new()

    # --- reading the file -------------------------------------------------------------------------------------

    def _watch(self) -> None:
        wanted = [str(p) for p in (self.path, self.path.parent) if p.exists()]
        missing = [p for p in wanted if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)

    @Slot()
    def read_new(self) -> None:
        """Read what the file gained since the last look (all of it after a rotation) and show it."""
        self._watch()
        try:
            stat = self.path.stat()
            identity = (stat.st_dev, stat.st_ino)
            if identity != self._identity or stat.st_size < self._offset:  # a new file: read it from the start
                self._identity, self._offset, self._partial = identity, 0, b""
            if stat.st_size == self._offset:
                self._show_status()
                return
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            self._show_status()
            return
        self._offset += len(data)
        data = self._partial + data
        complete, newline, self._partial = data.rpartition(b"\n")
        if not newline:
            self._show_status()
            return
        lines = [redact(line) for line in complete.decode("utf-8", "replace").splitlines()]
        shown_before = len(self.records)
        grew = add_lines(self.records, lines)
        dropped = max(0, len(self.records) - MAX_RECORDS)
        if dropped:
            del self.records[:dropped]
        if grew or dropped:
            self.redraw()
        else:
            self._append(self.records[shown_before:])

    # --- showing it -------------------------------------------------------------------------------------------

    def _filter(self) -> tuple[int, str]:
        return LEVELS[self.level.currentText()], self.search.text().strip()

    def shown(self) -> list[Record]:
        level, text = self._filter()
        return [r for r in self.records if matches(r, level, text)]

    @Slot()
    def redraw(self) -> None:
        self.view.setPlainText("\n".join(r.text for r in self.shown()))
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())
        self._show_status()

    def _append(self, records: list[Record]) -> None:
        level, text = self._filter()
        new = [r.text for r in records if matches(r, level, text)]
        if new:
            bar = self.view.verticalScrollBar()
            following = bar.value() >= bar.maximum() - 2  # at the end: stay there; reading above: stay put
            self.view.appendPlainText("\n".join(new))
            if following:
                bar.setValue(bar.maximum())
        self._show_status()

    def _show_status(self) -> None:
        if not self.path.exists():
            self.status.setText(f"No log yet: the bridge writes {self.path.name} once it runs.")
            return
        count, total = len(self.shown()), len(self.records)
        where = self.path.name
        self.status.setText(f"{total} entries in {where}" if count == total else f"{count} of {total} entries shown")

    def text(self) -> str:
        """What is shown (after the filters)."""
        return self.view.toPlainText()

    # --- the buttons ------------------------------------------------------------------------------------------

    @Slot()
    def copy(self) -> None:
        selected = self.view.textCursor().selectedText().replace("\u2029", "\n")
        QGuiApplication.clipboard().setText(selected or self.text())
        self.status.setText("Copied the selected lines." if selected else "Copied every line shown.")

    @Slot()
    def open_folder(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._open_url(QUrl.fromLocalFile(str(self.path.parent)))

    def bring_to_front(self) -> None:
        self.read_new()
        windows.bring_to_front(self)

    def showEvent(self, event: QShowEvent) -> None:
        self.poll.start()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.poll.stop()
        super().closeEvent(event)
