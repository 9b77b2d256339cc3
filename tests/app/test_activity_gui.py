"""Settings → Activity and the menu's Recent activity, over records a real `ActivityLog` wrote to the activity file
(the bridge's own writer): shown newest first, narrowed by filters and search, copied, linked to Port, reloaded live
when a record is added."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.activity_text import RECORD_ARGUMENTS_HINT, menu_line, record_json
from app.controller import Controller
from app.menu_model import activity_items, menu_items
from app.palette import STATUS, status_color
from app.settings.activity import EMPTY, ActivityPage
from app.settings.window import SettingsWindow
from app.tray import Tray
from bridge.activity.log import activity_log
from bridge.api import BridgeApi, CallRecord, log_dir
from tests.app.test_no_commands import Opened

NOW = time.time()


def record(n: int, **fields: object) -> CallRecord:
    values: dict[str, object] = dict(time=NOW - 100 + n, profile_id="acme", profile="Acme", organization="",
                                     client="Cursor", client_version="1.4", tool="list_entities", outcome="ok",
                                     duration_ms=40.0 + n)  # fmt: skip
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def write(api: BridgeApi, *records: CallRecord) -> None:
    """Through the bridge's own recorder, into the activity file the app reads."""
    recorder = activity_log(api.settings, log_dir())
    for one in records:
        recorder.record(one)
    assert recorder.flush()
    recorder.close()


CALLS = (
    record(1),
    record(2, tool="run_action", action="deploy_service", outcome="declined", approval="denied"),
    record(
        3,
        profile_id="globex",
        profile="Globex",
        client="Claude Code",
        client_version="2.0",
        tool="upsert_entity",
        outcome="refused",
        detail="read-only mode: upsert_entity writes",
    ),
    record(
        4,
        tool="run_action",
        action="restart",
        outcome="ok",
        run_id="r_Abc123",
        approval="once",
        arguments={"actionIdentifier": "restart", "properties": {"service": "payments"}},
    ),
)


@pytest.fixture
def opened() -> Iterator[Opened]:
    catcher = Opened()
    for scheme in ("file", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    try:
        yield catcher
    finally:
        for scheme in ("file", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


def activity(window: SettingsWindow) -> ActivityPage:
    window.show()
    page = window.page("activity")
    assert isinstance(page, ActivityPage)
    return page


def rows(page: ActivityPage) -> list[list[str]]:
    return [
        [page.table.item(r, c).text() for c in range(page.table.columnCount())] for r in range(page.table.rowCount())
    ]


def shown(qtbot: QtBot, page: ActivityPage, count: int) -> None:
    qtbot.waitUntil(lambda: not page.loading and page.table.rowCount() == count, timeout=10000)


def test_the_page_shows_the_calls_newest_first(qtbot: QtBot, window: SettingsWindow) -> None:
    write(window.controller.api, *CALLS)
    page = activity(window)
    shown(qtbot, page, 4)
    table = rows(page)
    assert [row[3] for row in table] == ["run_action · restart", "upsert_entity", "run_action · deploy_service",
                                         "list_entities"]  # fmt: skip
    assert table[0][1:] == ["Acme", "Cursor 1.4", "run_action · restart", "OK", "44 ms", "Allowed once"]
    assert table[1][4] == "Refused by policy" and table[2][4:] == ["Declined by you", "42 ms", "Denied"]
    assert page.stack.currentIndex() == 0
    outcome = page.table.item(2, 4)
    assert outcome.foreground().color() == QColor(status_color("info", page.table.palette()))  # colour and words
    assert page.table.item(1, 4).toolTip() == "read-only mode: upsert_entity writes"


def test_filters_and_search_narrow_the_list(qtbot: QtBot, window: SettingsWindow) -> None:
    write(window.controller.api, *CALLS)
    page = activity(window)
    shown(qtbot, page, 4)
    page.outcome.setCurrentIndex(page.outcome.findData("declined"))
    shown(qtbot, page, 1)
    assert rows(page)[0][3] == "run_action · deploy_service"
    page.outcome.setCurrentIndex(0)
    page.profile.setCurrentIndex(page.profile.findData("globex"))
    shown(qtbot, page, 1)
    assert rows(page)[0][2] == "Claude Code 2.0"
    page.profile.setCurrentIndex(0)
    assert [page.client.itemText(i) for i in range(page.client.count())] == ["All clients", "Claude Code", "Cursor"]
    page.client.setCurrentIndex(page.client.findData("Cursor"))
    shown(qtbot, page, 3)
    page.search.setText("deploy")
    shown(qtbot, page, 1)
    page.search.setText("nothing-like-this")
    shown(qtbot, page, 0)
    assert page.notice.text() == "No call matches these filters." and page.stack.currentIndex() == 0
    assert page.client.count() == 3  # a filter never takes a client out of the list


def test_the_selected_call_is_shown_copied_and_linked_to_its_run_in_port(
    qtbot: QtBot, window: SettingsWindow, opened: Opened
) -> None:
    api = window.controller.api
    eu = api.add_profile("Production", "eu")  # a Port region: its runs have a page in Port's web app
    linked = record(5, profile_id=eu.id, profile="Production", tool="run_action", action="deploy", run_id="r_Run42")
    write(api, *CALLS, linked)
    page = activity(window)
    shown(qtbot, page, 5)
    assert not page.copy_button.isEnabled() and not page.run_button.isEnabled()

    page.table.selectRow(3)  # the declined call: no arguments recorded, no run
    record_shown = page.selected()
    assert record_shown is not None and record_shown.outcome == "declined"
    assert "Outcome: Declined by you" in page.detail.toPlainText()
    assert RECORD_ARGUMENTS_HINT in page.detail.toPlainText() and not page.run_button.isEnabled()
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == record_json(record_shown)
    assert json.loads(QGuiApplication.clipboard().text())["approval"] == "denied"

    page.table.selectRow(1)  # recorded with its arguments
    assert '"service": "payments"' in page.detail.toPlainText() and "Run: r_Abc123" in page.detail.toPlainText()
    assert not page.run_button.isEnabled()  # the sandbox's profile: no web app the bridge knows

    page.table.selectRow(0)
    assert page.run_button.isEnabled()
    page.run_button.click()
    assert opened.urls == [QUrl("https://app.port.io/organization/run?runId=r_Run42")]


def test_a_new_call_appears_while_the_page_is_open(qtbot: QtBot, window: SettingsWindow) -> None:
    api = window.controller.api
    write(api, CALLS[0])
    page = activity(window)
    shown(qtbot, page, 1)
    page.table.selectRow(0)
    write(api, record(9, tool="get_entity"))  # the bridge writes another record: no click, the page follows
    shown(qtbot, page, 2)
    assert rows(page)[0][3] == "get_entity"
    assert page.selected() == CALLS[0]  # the selection stays on the call it was on


def test_no_activity_yet_says_what_will_appear_and_leads_to_profiles(qtbot: QtBot, window: SettingsWindow) -> None:
    page = activity(window)
    qtbot.waitUntil(lambda: page.stack.currentIndex() == 1, timeout=10000)
    assert page.empty_text.text() == EMPTY and "Record arguments in Activity" in EMPTY
    with qtbot.waitSignal(window.controller.showPage) as asked:
        page.profiles_button.click()
    assert asked.args == ["profiles"]
    write(window.controller.api, CALLS[0])
    qtbot.waitUntil(lambda: page.stack.currentIndex() == 0 and page.table.rowCount() == 1, timeout=10000)


def test_the_menu_shows_the_last_calls_and_leads_to_the_page(qtbot: QtBot, api: BridgeApi) -> None:
    write(api, *CALLS, *(record(10 + n, tool=f"tool_{n}") for n in range(4)))
    controller = Controller(api)
    pages: list[str] = []
    tray = Tray(controller, show_settings=pages.append, quit_app=lambda: None)
    assert activity_items(tray)[0].text == "Reading activity…"  # the menu never reads the file itself
    controller.start()
    try:
        qtbot.waitUntil(lambda: tray.recent is not None, timeout=10000)
        assert tray.recent is not None
        lines = [i for i in activity_items(tray) if i.role == "call"]
        assert [i.text for i in lines] == [menu_line(r) for r in tray.recent] and len(lines) == 5
        assert lines[0].text.endswith("Cursor: tool_3 — OK") and all(i.enabled for i in lines)
        with qtbot.waitSignal(controller.showCall) as picked:
            assert lines[1].run is not None
            lines[1].run()  # a click on a call: its details in Settings → Activity
        assert picked.args == [tray.recent[1]]
        submenu = next(i for i in menu_items(tray) if i.role == "activity")
        assert submenu.text == "Recent activity"
        tray.build_menu()
        menu = tray.action("Recent activity").menu()
        assert isinstance(menu, QMenu)
        tray.action("Show all activity…", menu).trigger()
        assert pages == ["activity"]
        write(api, record(30, tool="newest_tool"))
        qtbot.waitUntil(lambda: bool(tray.recent) and tray.recent[0].tool == "newest_tool", timeout=10000)
    finally:
        controller.stop()


def test_a_call_picked_in_the_menu_is_selected_on_the_page_whatever_the_filters(
    qtbot: QtBot, window: SettingsWindow
) -> None:
    write(window.controller.api, *CALLS)
    page = activity(window)
    shown(qtbot, page, len(CALLS))
    page.search.setText("no call has this")  # a filter that hides it
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)
    wanted = page.api.activity.recent()[2]
    page.show_record(wanted)
    qtbot.waitUntil(lambda: page.selected() == wanted, timeout=10000)
    assert page.search.text() == "" and page.table.rowCount() == len(CALLS)
    assert wanted.tool in page.detail.toPlainText()


def test_the_menu_says_when_there_is_no_call_yet(qtbot: QtBot, api: BridgeApi) -> None:
    controller = Controller(api)
    tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None)
    controller.start()
    try:
        qtbot.waitUntil(lambda: tray.recent == [], timeout=10000)
        assert [i.text for i in activity_items(tray)] == ["No calls yet", "", "Show all activity…"]
    finally:
        controller.stop()


def test_clear_deletes_the_recorded_calls(qtbot: QtBot, window: SettingsWindow) -> None:
    write(window.controller.api, *CALLS)
    page = activity(window)
    shown(qtbot, page, 4)
    page.clear_button.click()  # the window fixture's confirmations say yes
    qtbot.waitUntil(lambda: page.stack.currentIndex() == 1 and not page.loading, timeout=10000)
    assert window.controller.api.activity.recent() == []


def test_the_outcome_colours_follow_the_switch_to_dark(qtbot: QtBot, window: SettingsWindow) -> None:
    from tests.app.test_palette import dark_windows

    write(window.controller.api, CALLS[2])  # refused: the neutral colour
    page = activity(window)
    shown(qtbot, page, 1)

    def colour() -> QColor:
        return page.table.item(0, 4).foreground().color()  # the item of the latest reload

    assert colour() == QColor(STATUS["neutral"][0])
    with dark_windows():
        qtbot.waitUntil(lambda: colour() == QColor(STATUS["neutral"][1]), timeout=5000)
