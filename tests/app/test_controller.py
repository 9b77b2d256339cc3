"""The controller: snapshots as signals, notifications on transitions, work off the GUI thread."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from app.controller import Controller
from bridge.api import BridgeApi
from bridge.sandbox import Sandbox


def test_changes_arrive_as_signals_and_notices(qtbot: QtBot, api: BridgeApi) -> None:
    controller = Controller(api)
    controller.start()
    try:
        notices: list[tuple[str, str]] = []
        controller.notify.connect(lambda title, text: notices.append((title, text)))
        with qtbot.waitSignal(controller.snapshotChanged, timeout=3000) as changed:
            controller.use_profile("globex")
        assert changed.args[0].active.id == "globex"
        assert notices == [("Profile switched", "Your assistants now reach Globex.")]
        with qtbot.waitSignal(controller.snapshotChanged, timeout=3000) as changed:
            controller.set_read_only("globex", True)
        assert {p.id: p.read_only for p in changed.args[0].profiles}["globex"] is True
    finally:
        controller.stop()


def test_background_results_come_back_on_the_gui_thread(qtbot: QtBot, api: BridgeApi) -> None:
    controller = Controller(api)
    controller.start()
    try:
        gui = threading.current_thread()
        seen: list[tuple[int, bool]] = []
        controller.watch(
            api.fetch_tools("acme"), lambda tools: seen.append((len(tools), threading.current_thread() is gui))
        )
        qtbot.waitUntil(lambda: bool(seen), timeout=10000)
        assert seen == [(42, True)]
        failures: list[tuple[str, str]] = []
        controller.failed.connect(lambda title, text: failures.append((title, text)))
        controller.run(lambda: api.settings().get_profile("nope"))
        qtbot.waitUntil(lambda: bool(failures), timeout=3000)
        assert failures[0][0] == "No such profile"
    finally:
        controller.stop()


def test_a_sign_in_port_ended_is_said_as_a_sign_in_not_as_port_unreachable(
    qtbot: QtBot, api: BridgeApi, sandbox: Sandbox
) -> None:
    """Port refuses the token even after a new one: the notice is the sign-in one, whose click signs in, not "Port
    unreachable", whose click runs the doctor; and Port accepting again is no "Port is back"."""
    from tests.app.test_tray import ask

    api.start()
    controller = Controller(api)  # not started: each refresh is this test's
    notices: list[tuple[str, str]] = []
    controller.notify.connect(lambda title, text: notices.append((title, text)))
    try:
        controller.refresh()
        sandbox.faults.force_401 = True
        with pytest.raises(Exception):  # noqa: B017 (how the client fails is the SDK's business)
            ask(api)
        controller.refresh()
        assert notices == [("Sign-in needed", "Acme: sign in again from the app's menu.")]
        sandbox.faults.force_401 = False
        ask(api)
        controller.refresh()
        assert len(notices) == 1
    finally:
        api.stop()
