"""Approvals in the tray app: a native dialog per call that waits for the user (Allow once, Allow for this session,
Deny), and `Approvals`, the asker the bridge calls.

The bridge calls `Approvals.ask` on its event loop thread: it must not block, so it hands the request to the GUI
thread with a queued signal and returns a `concurrent.futures.Future` at once. The dialog completes the future; the
bridge cancels it when the time is up, and the dialog then closes itself. Several calls at once get a dialog each,
offset so none hides another; none is lost.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont, QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import windows
from app.icons import app_icon
from bridge.api import ApprovalRequest, Decision

log = logging.getLogger(__name__)

CASCADE = 28  # pixels between dialogs shown together
GRACE = 3.0  # seconds past the deadline before the dialog answers Deny itself


def describe(request: ApprovalRequest) -> str:
    """The question in one sentence: who wants to do what, where."""
    client = request.client or "An assistant"
    where = request.profile + (f" ({request.organization})" if request.organization and
                               request.organization.casefold() != request.profile.casefold() else "")  # fmt: skip
    if request.action:
        return f"{client} wants to run “{request.action}” with {request.tool} in {where}."
    return f"{client} wants to use {request.tool} in {where}."


def arguments_text(arguments: dict[str, Any]) -> str:
    """The arguments as indented JSON (non-ASCII kept readable); "(none)" when the call has none."""
    if not arguments:
        return "(none)"
    return json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def countdown_text(seconds: int) -> str:
    return f"Denied in {max(0, seconds)} s if you do not answer."


class ApprovalDialog(QDialog):
    """One call waiting for the user. `answered` carries the decision; a decision is given once, whichever comes
    first: a button, Esc or the window's close (Deny), the time running out (Deny), or the bridge giving up."""

    answered = Signal(str)

    def __init__(self, request: ApprovalRequest, future: concurrent.futures.Future[Decision],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.request, self.future = request, future
        self.deadline = time.monotonic() + request.timeout
        self.decision: Decision | None = None
        self.setWindowTitle("Port MCP Bridge: allow this call?")
        self.setWindowIcon(app_icon())
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)  # the user is in their IDE: the question must be seen
        self.setMinimumWidth(520)

        column = QVBoxLayout(self)
        self.question = QLabel(describe(request))
        self.question.setWordWrap(True)
        font = QFont(self.question.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.question.setFont(font)
        column.addWidget(self.question)

        form = QFormLayout()
        form.addRow("Profile:", self._value(request.profile))
        if request.organization:
            form.addRow("Organization:", self._value(request.organization))
        form.addRow("Client:", self._value(request.client or "Unknown (it did not say its name)"))
        form.addRow("Tool:", self._value(request.tool))
        if request.action:
            form.addRow("Action:", self._value(request.action))
        column.addLayout(form)

        column.addWidget(QLabel("Arguments:"))
        self.arguments = QPlainTextEdit(arguments_text(request.arguments))
        self.arguments.setReadOnly(True)
        self.arguments.setAccessibleName("Arguments")
        self.arguments.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.arguments.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # long values wrap
        lines = min(14, max(3, self.arguments.toPlainText().count("\n") + 2))
        self.arguments.setFixedHeight(self.arguments.fontMetrics().lineSpacing() * lines + 12)
        column.addWidget(self.arguments)

        self.countdown = QLabel(countdown_text(int(request.timeout)))
        self.countdown.setAccessibleName("Time left")
        column.addWidget(self.countdown)

        buttons = QDialogButtonBox()
        self.allow_once = QPushButton("Allow &once")
        self.allow_session = QPushButton("Allow for this &session")
        self.allow_session.setToolTip("This tool (and action) from this client session, until the session ends")
        self.deny = QPushButton("&Deny")
        buttons.addButton(self.allow_once, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.allow_session, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.deny, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.allow_once, self.allow_session):
            button.setAutoDefault(False)
        self.deny.setDefault(True)  # Enter denies: nothing changes in Port by accident
        self.allow_once.clicked.connect(lambda: self.answer("once"))
        self.allow_session.clicked.connect(lambda: self.answer("session"))
        self.deny.clicked.connect(lambda: self.answer("deny"))
        column.addWidget(buttons)

        self._tick = QTimer(self)
        self._tick.setInterval(250)  # the seconds shown stay within a quarter of a second of the bridge's clock
        self._tick.timeout.connect(self._update_countdown)
        self._tick.start()

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        return label

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.deny.setFocus()

    @property
    def seconds_left(self) -> int:
        return max(0, round(self.deadline - time.monotonic()))

    @Slot()
    def _update_countdown(self) -> None:
        self.countdown.setText(countdown_text(self.seconds_left))
        # The bridge cancels the future at its deadline (recorded as timed out) and the dialog then closes; should
        # that not come, the dialog denies a little later rather than leave the call waiting.
        if time.monotonic() > self.deadline + GRACE:
            self.answer("deny")

    def answer(self, decision: Decision) -> None:
        """Give the decision to the bridge (once) and close."""
        if self.decision is None:
            self.decision = decision
            # The bridge may have cancelled it a moment before (its time was up): then this answer is moot.
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                self.future.set_result(decision)
            log.info("approval %s: %s", self.request.id, decision)
            self.answered.emit(decision)
        self._tick.stop()
        super().done(QDialog.DialogCode.Accepted if decision != "deny" else QDialog.DialogCode.Rejected)

    def settled(self) -> None:
        """The bridge no longer waits (time up, or the call went away): close without answering."""
        self._tick.stop()
        if self.decision is None:
            self.decision = "deny"
        super().done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Esc, and the window's close button: Deny."""
        self.answer("deny")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.decision is None:
            self.answer("deny")
        super().closeEvent(event)


class Approvals(QObject):
    """The asker the bridge calls (`ask`, from any thread). Lives on the GUI thread; `dialogs` are the open ones by
    request id."""

    requested = Signal(object, object)  # ApprovalRequest, Future: queued to the GUI thread
    finished = Signal(str)  # a request's id, when its future is done (answered here or cancelled by the bridge)
    shown = Signal(object)  # ApprovalDialog: for tests and screenshots

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialogs: dict[str, ApprovalDialog] = {}
        # Emitted from the bridge's thread, received here: Qt queues the call to this object's (the GUI) thread.
        self.requested.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)

    def ask(self, request: ApprovalRequest) -> concurrent.futures.Future[Decision]:
        """Called on the bridge's loop: returns at once; the dialog completes the future."""
        future: concurrent.futures.Future[Decision] = concurrent.futures.Future()
        future.add_done_callback(lambda _: self.finished.emit(request.id))
        self.requested.emit(request, future)
        return future

    @Slot(object, object)
    def _show(self, request: ApprovalRequest, future: concurrent.futures.Future[Decision]) -> None:
        if future.done():  # cancelled before the GUI thread got to it
            return
        dialog = ApprovalDialog(request, future)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs[request.id] = dialog
        dialog.finished.connect(lambda _: self.dialogs.pop(request.id, None))
        if len(self.dialogs) > 1:  # another is up: this one a little lower and to the right
            windows.bring_to_front(dialog)
            dialog.move(dialog.pos() + QPoint(CASCADE, CASCADE) * (len(self.dialogs) - 1))
        else:
            windows.bring_to_front(dialog)
        self.shown.emit(dialog)

    @Slot(str)
    def _finished(self, request_id: str) -> None:
        dialog = self.dialogs.get(request_id)
        if dialog is not None and dialog.decision is None:
            dialog.settled()

    def close_all(self) -> None:
        """Quitting: every open question is answered Deny (the bridge stops next)."""
        for dialog in list(self.dialogs.values()):
            dialog.answer("deny")
