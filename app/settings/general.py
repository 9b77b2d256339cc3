"""General: the local port, the local key, start at login, log level and the logs folder, the activity file's size cap
and how long an approval waits."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpacerItem,
    QSpinBox,
    QWidget,
)

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, separator
from bridge.api import State, free_port_near, log_dir, mcp_url
from bridge.errors import PortInUse

HIDDEN = "•" * 24


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    return box


class _Grid(QGridLayout):
    """Label | field, with an optional note under the field."""

    def __init__(self) -> None:
        super().__init__()
        self.setHorizontalSpacing(16)
        self.setVerticalSpacing(6)
        self.setColumnStretch(1, 1)

    def add(self, label: str, field: QWidget, note: QWidget | None = None) -> None:
        row = self.rowCount()
        self.addWidget(QLabel(label), row, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.addWidget(field, row, 1)
        if note is not None:
            self.addWidget(note, row + 1, 1)
        self.addItem(QSpacerItem(0, 8), self.rowCount(), 0)

    def line(self) -> None:
        self.addWidget(separator(), self.rowCount(), 0, 1, 2)
        self.addItem(QSpacerItem(0, 8), self.rowCount(), 0)


class GeneralPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(controller, "General", "How the bridge runs on this computer.")
        # A grid, not a QFormLayout: wrapped notes under a field get their real height there.
        form = _Grid()

        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setMinimumWidth(110)
        self.port_button = QPushButton("A&pply")
        self.port_button.clicked.connect(self.apply_port)
        self.port_notice = Notice()
        form.add("Local port:", _row(self.port, self.port_button), self.port_notice)

        self.key = QLineEdit(HIDDEN)
        self.key.setReadOnly(True)
        self.key.setMinimumWidth(330)
        self.show_key = QPushButton("S&how")
        self.show_key.clicked.connect(self.toggle_key)
        self.copy_key = QPushButton("&Copy")
        self.copy_key.clicked.connect(self.copy)
        self.regenerate = QPushButton("&Regenerate…")
        self.regenerate.clicked.connect(self.regenerate_key)
        self.key_notice = Notice()
        self.key_notice.show_text(
            "Your assistants send this key to the bridge, so other programs on this computer cannot use your Port "
            "sign-in. It is kept in the system keychain.",
            "muted",
        )
        form.add("Local key:", _row(self.key, self.show_key, self.copy_key, self.regenerate), self.key_notice)
        form.line()

        self.autostart = QCheckBox("Start Port MCP Bridge when I log in")
        self.autostart.toggled.connect(self.set_autostart)
        form.add("Startup:", self.autostart)
        self.update_check = QCheckBox("Check for updates once a day")
        self.update_check.setToolTip("Asks the project's release page; updates are never installed on their own")
        self.update_check.toggled.connect(self.set_update_check)
        form.add("Updates:", self.update_check)
        self.level = QComboBox()
        self.level.addItems(["DEBUG", "INFO", "WARNING", "ERROR"])
        self.level.currentTextChanged.connect(self.set_level)
        self.open_logs = QPushButton("Open &logs folder")
        self.open_logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir()))))
        self.notice = Notice()
        form.add("Log level:", _row(self.level, self.open_logs), self.notice)
        form.line()

        # Saved when editing ends (Enter, or focus leaving), not at each digit typed.
        self.activity_cap = QSpinBox()
        self.activity_cap.setRange(1, 1000)
        self.activity_cap.setSuffix(" MB")
        self.activity_cap.setToolTip("Past this size the activity file starts afresh; the previous one is kept")
        self.activity_cap.editingFinished.connect(self.set_activity_cap)
        form.add("Activity file:", _row(self.activity_cap, QLabel("at most, then the oldest calls are dropped")))
        self.approval_timeout = QSpinBox()
        self.approval_timeout.setRange(10, 3600)
        self.approval_timeout.setSuffix(" s")
        self.approval_timeout.setToolTip("How long an approval dialog waits for your answer before it denies")
        self.approval_timeout.editingFinished.connect(self.set_approval_timeout)
        self.limits_notice = Notice()
        form.add("Approvals:", _row(QLabel("Deny after"), self.approval_timeout, QLabel("without an answer")),
                 self.limits_notice)  # fmt: skip
        self.body.addLayout(form)
        self.body.addStretch(1)
        self._key_value: str | None = None
        self.activated()

    def activated(self) -> None:
        settings = self.api.settings()
        self.port.blockSignals(True)
        self.port.setValue(settings.local_port)
        self.port.blockSignals(False)
        self.autostart.blockSignals(True)
        self.autostart.setChecked(self.api.startup.enabled())  # the OS's login item, which can be removed there
        self.autostart.blockSignals(False)
        self.update_check.blockSignals(True)
        self.update_check.setChecked(settings.check_for_updates)
        self.update_check.blockSignals(False)
        self.level.blockSignals(True)
        self.level.setCurrentText(settings.log_level)
        self.level.blockSignals(False)
        for box, value in ((self.activity_cap, settings.activity_max_mb), (self.approval_timeout,
                                                                             settings.approval_timeout)):  # fmt: skip
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._show_port_state()

    def _show_port_state(self) -> None:
        saved, serving = self.api.settings().local_port, self.controller.snapshot.port
        if saved != serving:  # `--port` on the command line: this run only
            self.port_notice.show_text(
                f"This run serves on {serving} (given on the command line); the saved port is {saved}.", "warn"
            )
        else:
            self.port_notice.show_text(f"Clients connect to {mcp_url(serving)}.", "muted")

    def apply_port(self) -> None:
        """Move the bridge now (it restarts on the new port), then offer to update the clients connected to it."""
        port = self.port.value()

        def moved(_: object) -> None:
            self.controller.refresh()
            self.work(self._connected, lambda ids: self._offer_update(ids, self.port_notice, "the new port"),
                      self.port_notice)  # fmt: skip

        def refused(exc: BaseException) -> None:
            if isinstance(exc, PortInUse):  # the chooser is right here: a free port, ready to apply
                self.choose_port()
                self.port_notice.show_text(f"{exc.message} {self.port_notice.text()}", "warn")
            else:
                self.port_notice.show_text(describe_error(exc)[1], "error")

        self.port_notice.show_text(f"Moving the bridge to port {port}…", "muted")
        self.controller.run(lambda: self.api.move_to(port), moved, refused)

    def choose_port(self) -> None:
        """The port is taken ("Choose another port"): a free one near it, ready to apply, the field focused."""
        taken = self.port.value()
        self.port.setValue(free_port_near(taken))
        self.port.setFocus()
        self.port.selectAll()
        self.port_notice.show_text(
            f"Port {taken} is taken. {self.port.value()} is free: press Apply to move the bridge there.", "warn"
        )

    def _connected(self) -> list[str]:
        return [s.client.id for s in self.api.client_statuses() if s.entries[0].state != State.ABSENT]

    # --- the local key: shown only on request -----------------------------------------------------------------

    def toggle_key(self) -> None:
        if self._key_value is not None:
            self._hide_key()
            return
        self.work(self._read_key, self._reveal, self.key_notice)

    def _read_key(self) -> str:
        return self.api.reveal_local_key()

    def _reveal(self, key: str) -> None:
        self._key_value = key
        self.key.setText(key)
        self.show_key.setText("&Hide")

    def _hide_key(self) -> None:
        self._key_value = None
        self.key.setText(HIDDEN)
        self.show_key.setText("S&how")

    def copy(self) -> None:
        def done(key: str) -> None:
            QGuiApplication.clipboard().setText(key)
            self.key_notice.show_text("Key copied.", "ok")

        self.work(self._read_key, done, self.key_notice)

    def regenerate_key(self) -> None:
        if not self.confirm(
            "Regenerate the local key?",
            "Assistants using the old key stop working until their configuration is updated. "
            "Port MCP Bridge can update the ones it connected.",
            "Regenerate",
        ):
            return
        self.work(self.api.regenerate_local_key, self._regenerated, self.key_notice, "Regenerating…")

    def _regenerated(self, key: str) -> None:
        if self._key_value is not None:
            self._reveal(key)

        self.work(self._connected, lambda ids: self._offer_update(ids, self.key_notice, "the new key"), self.key_notice)

    def _offer_update(self, client_ids: list[str], notice: Notice, what: str) -> None:
        """After a change every connected client must learn (`what`: the new key, the new port): ask, then write it."""
        done = f"{what[0].upper()}{what[1:]} is in place"
        if not client_ids:
            notice.show_text(f"{done}. No client configuration needed updating.", "ok")
            return
        names = ", ".join(client_ids)
        if not self.confirm("Update your clients?", f"Write {what} into: {names}?", "Update"):
            notice.show_text(f"{done}. Update your clients on the Clients page.", "warn")
            return

        def update() -> list[str]:
            return [str(self.api.connect_client(client_id).path) for client_id in client_ids]

        self.work(update, lambda paths: notice.show_text(f"{done}; updated {len(paths)} client(s).", "ok"), notice)

    # --- the rest --------------------------------------------------------------------------------------------

    def set_autostart(self, on: bool) -> None:
        def done(_: object) -> None:
            self.notice.show_text("Will start at login." if on else "Will not start at login.", "ok")

        self.work(lambda: self.api.set_start_at_login(on), done, self.notice)

    def set_update_check(self, on: bool) -> None:
        if self.change(lambda: self.api.updates.set_enabled(on), self.notice):
            self.notice.show_text("Will check for updates once a day." if on else "Will not check for updates.", "ok")

    def set_level(self, level: str) -> None:
        if self.change(lambda: self.api.set_log_level(level), self.notice):
            self.notice.show_text(f"Logging at {level}.", "muted")

    def set_activity_cap(self) -> None:
        mb = self.activity_cap.value()
        if mb != self.api.limits.activity_max_mb() and self.change(
            lambda: self.api.limits.set_activity_max_mb(mb), self.limits_notice
        ):
            self.limits_notice.show_text(f"The activity file is kept under {mb} MB.", "ok")

    def set_approval_timeout(self) -> None:
        seconds = self.approval_timeout.value()
        if seconds != self.api.limits.approval_timeout() and self.change(
            lambda: self.api.limits.set_approval_timeout(seconds), self.limits_notice
        ):
            self.limits_notice.show_text(f"An unanswered approval is denied after {seconds} s.", "ok")
