"""Activity: what assistants did through the bridge, newest first, live. Filters (profile, client, outcome) and a search
narrow the list; the selected call's detail shows below, with Copy and, for an action run, a link to the run in Port.

The file is read on a worker (`api.activity.recent`), and only when it changed (`Controller.activity`, which polls its
stamp) or a filter did, while the page is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.activity_text import (
    OUTCOME_LABELS,
    approval_label,
    client_label,
    duration,
    outcome_kind,
    record_json,
    record_text,
    said,
    what,
    when,
)
from app.controller import Controller, describe_error
from app.settings.common import Notice, Page
from app.tint import tint_cell
from bridge.api import CallRecord, Snapshot

LIMIT = 500  # the newest calls that match: enough to scroll, small enough to read in milliseconds
COLUMNS = ("Time", "Profile", "Client", "Tool / action", "Outcome", "Duration", "Approval")
OUTCOME_COLUMN = 4
EMPTY = (
    "No calls yet. Each tool call an assistant makes through Port MCP Bridge appears here as it happens: when, from "
    "which client, the tool and action, what came of it and how long it took.\n\nArguments are not kept unless you "
    "turn on “Record arguments in Activity” for a profile on the Profiles page."
)
NO_MATCH = "No call matches these filters."


class ActivityPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(controller, "Activity", "Every tool call your assistants made through the bridge, newest "
                         "first. It never holds a token or a key.")  # fmt: skip
        self.records: list[CallRecord] = []
        self._asked = 0  # the latest reload asked for; older answers are dropped
        self._answered = 0  # the latest reload shown
        self._stale = True  # the file changed while the page was hidden
        self._wanted: CallRecord | None = None  # a call picked in the menu's Recent activity, selected once loaded

        filters = QHBoxLayout()
        self.profile = self._combo(filters, "Profile:", "All profiles")
        self.client = self._combo(filters, "Client:", "All clients")
        self.outcome = self._combo(filters, "Outcome:", "All outcomes")
        for value, (label, _) in OUTCOME_LABELS.items():
            self.outcome.addItem(label, value)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tool, action, client, run id…")
        self.search.setAccessibleName("Search")
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.search, 1)
        self.body.addLayout(filters)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(250)  # search once the typing pauses
        self._typing.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _: self._typing.start())
        for combo in (self.profile, self.client, self.outcome):
            combo.currentIndexChanged.connect(lambda _: self.reload())

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Calls")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)  # compact rows
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)

        details = QWidget()
        column = QVBoxLayout(details)
        column.setContentsMargins(0, 0, 0, 0)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Call details")
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText("Select a call to see its details.")
        column.addWidget(self.detail, 1)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("The call as JSON, as the activity file holds it")
        self.copy_button.clicked.connect(self.copy)
        self.run_button = QPushButton("Open run in &Port")
        self.run_button.clicked.connect(self.open_run)
        self.file_button = QPushButton("Open activity &file")
        self.file_button.clicked.connect(self.open_file)
        self.clear_button = QPushButton("C&lear…")
        self.clear_button.setToolTip("Empty the activity file; new calls are recorded as before")
        self.clear_button.clicked.connect(self.clear)
        for button in (self.copy_button, self.run_button, self.file_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.notice = Notice()
        buttons.addWidget(self.notice)
        column.addLayout(buttons)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(details)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)

        empty = QWidget()
        empty_column = QVBoxLayout(empty)
        self.empty_text = QLabel(EMPTY)
        self.empty_text.setWordWrap(True)
        empty_column.addWidget(self.empty_text)
        self.profiles_button = QPushButton("&Go to Profiles")
        self.profiles_button.clicked.connect(lambda: self.controller.showPage.emit("profiles"))
        row = QHBoxLayout()
        row.addWidget(self.profiles_button)
        row.addStretch(1)
        empty_column.addLayout(row)
        empty_column.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(split)
        self.stack.addWidget(empty)
        self.body.addWidget(self.stack, 1)

        controller.snapshotChanged.connect(self._profiles)
        controller.activity.changed.connect(self._file_changed)
        self._profiles(controller.snapshot)
        self._selected()

    def _combo(self, row: QHBoxLayout, label: str, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, None)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(QLabel(label))
        row.addWidget(combo)
        return combo

    # --- loading ---------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """The window shown again on this page: what changed meanwhile."""
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _file_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def query(self) -> dict[str, str | None]:
        return {"profile": self.profile.currentData(), "client": self.client.currentData(),
                "outcome": self.outcome.currentData(), "search": self.search.text().strip()}  # fmt: skip

    def reload(self) -> None:
        """Read the newest calls that match the filters (on a worker); the table follows."""
        self._stale = False
        self._asked += 1
        asked, query = self._asked, self.query()
        profile, client, outcome, search = query["profile"], query["client"], query["outcome"], query["search"] or ""
        self.controller.run(lambda: self.api.activity.recent(LIMIT, profile=profile, client=client, outcome=outcome,
                                                             search=search),
                            lambda records: self._loaded(asked, records),
                            lambda exc: self._load_failed(asked, exc))  # fmt: skip

    def _loaded(self, asked: int, records: list[CallRecord]) -> None:
        if asked != self._asked:  # a newer reload is under way
            return
        self._answered = asked
        selected = self.selected()
        self.records = records
        self._clients(records)
        filtered = any(v for v in self.query().values())
        self.stack.setCurrentIndex(1 if not records and not filtered else 0)
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            cells = (when(record), record.profile, client_label(record), what(record), said(record),
                     duration(record), approval_label(record.approval))  # fmt: skip
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == OUTCOME_COLUMN:
                    item.setToolTip(record.detail or text)
                    tint_cell(item, outcome_kind(record.outcome), self.table.palette())  # the words say it too
                self.table.setItem(row, col, item)
        self.notice.show_text("" if records or not filtered else NO_MATCH, "muted")
        wanted, self._wanted = self._wanted, None
        keep = next((i for i, r in enumerate(records) if r == (wanted or selected)), None)
        if keep is not None:
            self.table.selectRow(keep)
        else:
            self.table.clearSelection()
        self._selected()

    def show_record(self, record: CallRecord) -> None:
        """A call picked in the menu's Recent activity: the filters cleared, the list read again, that call selected."""
        self._wanted = record
        for combo in (self.profile, self.client, self.outcome):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.reload()

    def _load_failed(self, asked: int, exc: BaseException) -> None:
        self._answered = max(self._answered, asked)
        self.notice.show_text(f"Cannot read the activity: {describe_error(exc)[1]}", "error")

    @property
    def loading(self) -> bool:
        """A reload is under way (what is shown may be about to change)."""
        return self._answered != self._asked or self._typing.isActive()

    def _profiles(self, snapshot: Snapshot) -> None:
        self._refill(self.profile, [(p.name, p.id) for p in snapshot.profiles])

    def _clients(self, records: list[CallRecord]) -> None:
        """Every client seen so far (filters never make one disappear from the list)."""
        known = [self.client.itemData(i) for i in range(1, self.client.count())]
        names = known + sorted({r.client for r in records if r.client and r.client not in known})
        self._refill(self.client, [(name, name) for name in names])

    def _refill(self, combo: QComboBox, entries: list[tuple[str, str]]) -> None:
        current = [(combo.itemText(i), combo.itemData(i)) for i in range(1, combo.count())]
        if current == entries:
            return
        chosen = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for label, value in entries:
            combo.addItem(label, value)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)
        if chosen is not None and index < 0:  # the profile shown was removed: everything again
            self.reload()

    # --- the selected call -----------------------------------------------------------------------------------

    def selected(self) -> CallRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows and rows[0].row() < len(self.records) else None

    def _selected(self) -> None:
        record = self.selected()
        self.detail.setPlainText(record_text(record) if record else "")
        self.copy_button.setEnabled(record is not None)
        link = self.api.activity.run_link(record) if record else None
        self.run_button.setEnabled(bool(link))
        self.run_button.setToolTip(link or "For an action run in a Port region: its page in Port")

    def copy(self) -> None:
        record = self.selected()
        if record is not None:
            QGuiApplication.clipboard().setText(record_json(record))
            self.notice.show_text("Copied.", "ok")

    def open_run(self) -> None:
        record = self.selected()
        link = self.api.activity.run_link(record) if record else None
        if link:
            QDesktopServices.openUrl(QUrl(link))

    def clear(self) -> None:
        if not self.confirm("Clear the activity?", "Every call recorded so far is removed from this computer. New "
                            "calls are recorded as before.", "Clear"):  # fmt: skip
            return

        def cleared(_: object) -> None:
            self.notice.show_text("Cleared.", "ok")
            self.reload()

        self.work(self.api.activity.clear, cleared, self.notice)

    def open_file(self) -> None:
        path = self.api.activity.path()
        if path.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        else:  # nothing recorded yet: the folder it will be in
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
