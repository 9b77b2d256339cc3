"""Approvals end to end: the tray app registers its dialog with the bridge it starts; an assistant's call (the official
`mcp` client, over loopback) that the profile's "Ask before" covers waits for the dialog. Allow: the sandbox (Port) gets
the call. Deny: the assistant is told the user declined it, and the sandbox never saw it. Quitting answers Deny."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import types
from pytestqt.qtbot import QtBot

from app.application import TrayApp
from app.approval_dialog import ApprovalDialog
from app.settings.activity import ActivityPage
from bridge.api import BridgeApi
from bridge.sandbox import Sandbox
from tests.support.mcp import mcp_client

ACTION = {"actionIdentifier": "create_incident", "entityIdentifier": "order-processing",
          "properties": {"title": "Checkout is down", "severity": "SEV2"}}  # fmt: skip


class Call:
    """One `run_action` from an assistant named Cursor, on its own thread (the GUI thread must stay free to show the
    dialog)."""

    def __init__(self, api: BridgeApi) -> None:
        self.result: types.CallToolResult | None = None
        self.error: BaseException | None = None
        url, key = api.snapshot().mcp_url, api.local_key() or ""
        self.thread = threading.Thread(target=lambda: self._run(url, key), daemon=True)
        self.thread.start()

    def _run(self, url: str, key: str) -> None:
        async def call() -> Any:
            cursor = types.Implementation(name="Cursor", version="1.7")
            async with mcp_client(url, {"Authorization": f"Bearer {key}"}, client_info=cursor) as session:
                return await session.call_tool("run_action", ACTION)

        try:
            self.result = anyio.run(call)
        except BaseException as exc:
            while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:  # the client's task group
                exc = exc.exceptions[0]
            self.error = exc

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def text(self) -> str:
        assert self.result is not None, self.error
        return " ".join(getattr(c, "text", "") for c in self.result.content)


@pytest.fixture
def app(qtbot: QtBot, api: BridgeApi) -> Iterator[TrayApp]:
    api.edit_profile("acme", ask_before="actions")
    tray_app = TrayApp(api)
    tray_app.start()
    try:
        yield tray_app
    finally:
        tray_app.shutdown()


def dialog_for(qtbot: QtBot, app: TrayApp) -> ApprovalDialog:
    qtbot.waitUntil(lambda: len(app.approvals.dialogs) == 1, timeout=20000)
    dialog = next(iter(app.approvals.dialogs.values()))
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog


def test_allow_sends_the_call_to_port(qtbot: QtBot, app: TrayApp, sandbox: Sandbox) -> None:
    call = Call(app.api)
    dialog = dialog_for(qtbot, app)
    request = dialog.request
    assert (request.client, request.tool, request.action, request.profile) == ("Cursor", "run_action",
                                                                               "create_incident", "Acme")  # fmt: skip
    assert not call.done and sandbox.state.tool_calls["run_action"] == 0  # waiting for the user, not at Port yet
    dialog.allow_once.click()
    qtbot.waitUntil(lambda: call.done, timeout=20000)
    assert call.result is not None and not call.result.is_error, call.error
    assert sandbox.state.tool_calls["run_action"] == 1


def test_deny_answers_the_assistant_and_port_never_sees_the_call(qtbot: QtBot, app: TrayApp, sandbox: Sandbox) -> None:
    call = Call(app.api)
    dialog_for(qtbot, app).deny.click()
    qtbot.waitUntil(lambda: call.done, timeout=20000)
    said = str(call.error) if call.error else call.text()
    assert "declined" in said.lower() and "Port MCP Bridge" in said
    assert sandbox.state.tool_calls["run_action"] == 0


def test_allow_for_the_session_asks_once(qtbot: QtBot, app: TrayApp, sandbox: Sandbox) -> None:
    """A second identical call in the same client session is not asked again."""
    url, key = app.api.snapshot().mcp_url, app.api.local_key() or ""
    results: list[Any] = []

    async def two_calls() -> None:
        async with mcp_client(url, {"Authorization": f"Bearer {key}"}) as session:
            results.append(await session.call_tool("run_action", ACTION))
            results.append(await session.call_tool("run_action", ACTION))

    thread = threading.Thread(target=lambda: anyio.run(two_calls), daemon=True)
    thread.start()
    dialog_for(qtbot, app).allow_session.click()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20000)
    assert len(results) == 2 and not any(r.is_error for r in results)
    assert sandbox.state.tool_calls["run_action"] == 2 and not app.approvals.dialogs


def test_quitting_denies_the_open_question(qtbot: QtBot, app: TrayApp, sandbox: Sandbox) -> None:
    call = Call(app.api)
    dialog_for(qtbot, app)
    app.shutdown()
    qtbot.waitUntil(lambda: call.done, timeout=20000)
    assert sandbox.state.tool_calls["run_action"] == 0


def test_approvals_and_declines_appear_in_activity(qtbot: QtBot, app: TrayApp, sandbox: Sandbox) -> None:
    """The bridge the app started records each call; Settings → Activity and the menu show how the approval went."""
    allowed = Call(app.api)
    dialog_for(qtbot, app).allow_once.click()
    qtbot.waitUntil(lambda: allowed.done, timeout=20000)
    qtbot.waitUntil(lambda: not app.approvals.dialogs, timeout=5000)
    declined = Call(app.api)
    dialog_for(qtbot, app).deny.click()
    qtbot.waitUntil(lambda: declined.done, timeout=20000)

    app.show_settings("activity")
    assert app.settings_window is not None
    page = app.settings_window.page("activity")
    assert isinstance(page, ActivityPage)
    qtbot.waitUntil(lambda: not page.loading and page.table.rowCount() == 2, timeout=20000)
    cells = [[page.table.item(r, c).text() for c in range(page.table.columnCount())] for r in range(2)]
    assert [row[2:] for row in cells] == [
        ["Cursor 1.7", "run_action · create_incident", "Declined by you", cells[0][5], "Denied"],
        ["Cursor 1.7", "run_action · create_incident", "OK", cells[1][5], "Allowed once"],
    ]
    assert app.tray is not None
    qtbot.waitUntil(lambda: bool(app.tray and app.tray.recent and len(app.tray.recent) == 2), timeout=20000)
    assert app.tray.recent is not None and app.tray.recent[0].approval == "denied"
    app.settings_window.hide()
    app.controller.showCall.emit(app.tray.recent[1])  # the allowed call, picked in the menu's Recent activity
    qtbot.waitUntil(lambda: page.selected() == app.tray.recent[1], timeout=20000)  # type: ignore[index]
    assert app.settings_window.isVisible() and app.settings_window.current_page == "activity"
