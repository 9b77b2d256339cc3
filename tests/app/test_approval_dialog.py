"""The approval dialog: the asker is called from another thread (as the bridge's loop calls it), a dialog comes up on
the GUI thread with the call readably shown, and its buttons, Esc, the bridge's cancel (time up) and quitting each end
it with the right answer, once."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from app import approval_dialog
from app.accessibility import controls, unnamed
from app.approval_dialog import ApprovalDialog, Approvals
from bridge.api import ApprovalRequest, Decision

LEFT = Qt.MouseButton.LeftButton


def request(n: int = 1, *, timeout: float = 60.0, action: str | None = "deploy_service") -> ApprovalRequest:
    return ApprovalRequest(
        id=f"req-{n}",
        profile_id="p1",
        profile="Production",
        organization="Acme",
        client="Cursor",
        tool="run_action",
        action=action,
        arguments={"actionIdentifier": "deploy_service", "properties": {"service": "payments", "note": "x" * 300}},
        timeout=timeout,
    )


def ask_from_another_thread(approvals: Approvals, req: ApprovalRequest) -> concurrent.futures.Future[Decision]:
    """Call the asker as the bridge does: on a thread that is not the GUI's, and it must return at once."""
    futures: list[concurrent.futures.Future[Decision]] = []
    caller = threading.Thread(target=lambda: futures.append(approvals.ask(req)))
    caller.start()
    caller.join(5)
    assert not caller.is_alive() and futures  # it did not block
    assert threading.current_thread() is threading.main_thread()
    return futures[0]


def closed(dialog: ApprovalDialog) -> bool:
    """Closed (and, as the app's dialogs are, deleted)."""
    return not isValid(dialog) or not dialog.isVisible()


@pytest.fixture
def approvals(qtbot: QtBot) -> Iterator[Approvals]:
    asker = Approvals()
    try:
        yield asker
    finally:
        asker.close_all()


def shown(qtbot: QtBot, approvals: Approvals, req: ApprovalRequest) -> ApprovalDialog:
    qtbot.waitUntil(lambda: req.id in approvals.dialogs and approvals.dialogs[req.id].isVisible(), timeout=5000)
    return approvals.dialogs[req.id]


@pytest.mark.parametrize(("button", "decision"), [("allow_once", "once"), ("allow_session", "session"),
                                                  ("deny", "deny")])  # fmt: skip
def test_each_button_answers_the_bridge(qtbot: QtBot, approvals: Approvals, button: str, decision: str) -> None:
    req = request()
    future = ask_from_another_thread(approvals, req)
    dialog = shown(qtbot, approvals, req)
    assert not future.done()
    qtbot.mouseClick(getattr(dialog, button), LEFT)
    assert future.result(timeout=5) == decision
    qtbot.waitUntil(lambda: req.id not in approvals.dialogs and closed(dialog), timeout=5000)


def test_escape_and_enter_deny(qtbot: QtBot, approvals: Approvals) -> None:
    first, second = request(1), request(2)
    future = ask_from_another_thread(approvals, first)
    dialog = shown(qtbot, approvals, first)
    assert dialog.deny.isDefault() and not dialog.allow_once.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert future.result(timeout=5) == "deny"

    future = ask_from_another_thread(approvals, second)
    dialog = shown(qtbot, approvals, second)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # the default button
    assert future.result(timeout=5) == "deny"


def test_the_bridge_cancelling_closes_the_dialog(qtbot: QtBot, approvals: Approvals) -> None:
    """Time up: the bridge cancels the future (on its own thread); the dialog closes without answering."""
    req = request()
    future = ask_from_another_thread(approvals, req)
    dialog = shown(qtbot, approvals, req)
    threading.Thread(target=future.cancel).start()
    qtbot.waitUntil(lambda: closed(dialog) and req.id not in approvals.dialogs, timeout=5000)
    assert future.cancelled()


def test_a_request_cancelled_before_it_is_shown_shows_nothing(qtbot: QtBot, approvals: Approvals) -> None:
    seen: list[ApprovalDialog] = []
    approvals.shown.connect(seen.append)
    req = request()
    future = ask_from_another_thread(approvals, req)
    future.cancel()  # before the GUI thread ran its queued call
    later = request(2)
    ask_from_another_thread(approvals, later)
    shown(qtbot, approvals, later)
    assert [d.request.id for d in seen] == [later.id]


def test_the_dialog_denies_when_the_bridge_never_gives_up(
    qtbot: QtBot, approvals: Approvals, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval_dialog, "GRACE", 0.0)
    req = request(timeout=1.0)
    future = ask_from_another_thread(approvals, req)
    dialog = shown(qtbot, approvals, req)
    assert "Denied in 1 s" in dialog.countdown.text()
    qtbot.waitUntil(future.done, timeout=5000)  # the GUI thread runs the dialog's clock meanwhile
    assert future.result() == "deny"
    qtbot.waitUntil(lambda: closed(dialog), timeout=5000)


def test_several_requests_each_get_their_own_dialog(qtbot: QtBot, approvals: Approvals) -> None:
    reqs = [request(n) for n in range(3)]
    futures = [ask_from_another_thread(approvals, r) for r in reqs]
    dialogs = [shown(qtbot, approvals, r) for r in reqs]
    assert len({d.pos().toTuple() for d in dialogs}) == 3  # offset: none hides another
    qtbot.mouseClick(dialogs[1].allow_once, LEFT)
    assert futures[1].result(timeout=5) == "once"
    assert not futures[0].done() and not futures[2].done()
    approvals.close_all()  # quitting denies what is left
    assert [f.result(timeout=5) for f in (futures[0], futures[2])] == ["deny", "deny"]


def test_the_call_is_shown_readably(qtbot: QtBot, approvals: Approvals) -> None:
    req = request()
    ask_from_another_thread(approvals, req)
    dialog = shown(qtbot, approvals, req)
    assert dialog.question.text() == "Cursor wants to run “deploy_service” with run_action in Production (Acme)."
    texts = {label.text() for label in dialog.findChildren(type(dialog.question))}
    assert {"Production", "Acme", "Cursor", "run_action", "deploy_service"} <= texts
    arguments = dialog.arguments.toPlainText()
    assert arguments.count("\n") >= 5 and '"service": "payments"' in arguments  # indented JSON, not one line
    assert dialog.arguments.isReadOnly()
    assert dialog.countdown.text().startswith("Denied in ") and dialog.countdown.text().endswith(
        "s if you do not answer."
    )
    assert dialog.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert QApplication.activeWindow() in (dialog, None)  # offscreen may not activate, but nothing else is


def test_a_call_without_action_or_client_name(qtbot: QtBot) -> None:
    req = ApprovalRequest("r", "p", "Dev", "", "", "upsert_entity", None, {})
    dialog = ApprovalDialog(req, concurrent.futures.Future())
    qtbot.addWidget(dialog)
    assert dialog.question.text() == "An assistant wants to use upsert_entity in Dev."
    assert dialog.arguments.toPlainText() == "(none)"
    dialog.answer("deny")


def test_the_dialog_is_accessible(qtbot: QtBot) -> None:
    dialog = ApprovalDialog(request(), concurrent.futures.Future())
    qtbot.addWidget(dialog)
    dialog.show()
    assert list(controls(dialog)) and not unnamed(dialog)
    keys = [b.text().split("&")[1][0].lower() for b in dialog.findChildren(QAbstractButton) if "&" in b.text()]
    assert sorted(keys) == ["d", "o", "s"]
    dialog.answer("deny")
