"""The controller: snapshots as signals, notifications on transitions, work off the GUI thread."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from app.controller import Controller
from bridge.api import BridgeApi


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


def test_a_sign_in_port_ended_is_said_as_a_sign_in_not_as_port_unreachable(qtbot: QtBot, api: BridgeApi) -> None:
    """Port refused the token: the profile's last error says so too, but the notice is the sign-in one, whose click
    signs in, not "Port unreachable", whose click runs the doctor."""
    from dataclasses import replace

    controller = Controller(api)
    notices: list[tuple[str, str]] = []
    controller.notify.connect(lambda title, text: notices.append((title, text)))
    before = api.snapshot()
    acme = next(p for p in before.profiles if p.id == "acme")
    ended = replace(acme, state="needs_sign_in", last_error="sign-in required")
    after = replace(before, profiles=tuple(ended if p.id == "acme" else p for p in before.profiles))
    controller._announce(before, after)
    assert notices == [("Sign-in needed", f"{acme.name}: sign in again from the app's menu.")]
    controller._announce(after, before)  # signed in again: the sign-in says so, not "Port is back"
    assert len(notices) == 1
