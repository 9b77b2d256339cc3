"""The log viewer: the bridge's log file shown, followed as it grows (and across rotation), filtered by level and
text, copied, its folder opened; tokens never shown."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication, QTextCursor
from pytestqt.qtbot import QtBot

from app.log_viewer import LogViewer
from bridge.api import log_file

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hQGFjbWUuZXhhbXBsZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
LINES = """\
2026-12-06 10:00:00,001 INFO bridge.proxy: serving on http://127.0.0.1:47600/mcp
2026-12-06 10:00:01,002 DEBUG bridge.auth: token for acme valid for 3600 s
2026-12-06 10:00:02,003 WARNING bridge.proxy: Port answered 503, retrying
2026-12-06 10:00:03,004 ERROR app.controller: unexpected failure in a background task
Traceback (most recent call last):
  File "x.py", line 1, in <module>
RuntimeError: boom
2026-12-06 10:00:04,005 INFO bridge.proxy: Port is back
"""


@pytest.fixture
def viewer(qtbot: QtBot, settings_home: Path) -> Iterator[tuple[LogViewer, list[QUrl]]]:
    path = log_file()
    path.parent.mkdir(parents=True)
    path.write_text(LINES, encoding="utf-8")
    opened: list[QUrl] = []
    window = LogViewer(open_url=opened.append)
    qtbot.addWidget(window)
    window.bring_to_front()
    yield window, opened
    window.close()


def test_it_shows_the_log_and_filters_by_level_and_text(viewer: tuple[LogViewer, list[QUrl]]) -> None:
    window, _ = viewer
    assert window.text() == LINES.rstrip("\n")
    assert window.status.text() == "5 entries in bridge.log"
    window.level.setCurrentText("Warnings and errors")
    assert window.text().splitlines() == [
        "2026-12-06 10:00:02,003 WARNING bridge.proxy: Port answered 503, retrying",
        "2026-12-06 10:00:03,004 ERROR app.controller: unexpected failure in a background task",
        "Traceback (most recent call last):",  # a traceback stays with its record
        '  File "x.py", line 1, in <module>',
        "RuntimeError: boom",
    ]
    window.level.setCurrentText("Errors only")
    assert window.text().startswith("2026-12-06 10:00:03,004 ERROR") and "boom" in window.text()
    window.level.setCurrentText("All levels")
    window.search.setText("PORT")  # any case
    assert [line.split()[2] for line in window.text().splitlines()] == ["WARNING", "INFO"]
    assert window.status.text() == "2 of 5 entries shown"
    window.search.setText("boom")
    assert "ERROR app.controller" in window.text()  # a match in a traceback shows its whole record
    window.search.clear()
    window.level.setCurrentText("Info and above")
    assert "DEBUG" not in window.text() and window.text().count("\n2026-") == 3


def test_new_lines_appear_as_they_are_written(viewer: tuple[LogViewer, list[QUrl]], qtbot: QtBot) -> None:
    window, _ = viewer
    window.level.setCurrentText("Info and above")
    with log_file().open("a", encoding="utf-8") as log:
        log.write("2026-12-06 10:00:05,006 INFO bridge.proxy: Cursor conn")  # not finished yet: not shown
        log.flush()
        log.write("ected\n2026-12-06 10:00:06,007 DEBUG bridge.proxy: quiet\n")
    qtbot.waitUntil(lambda: "Cursor connected" in window.text(), timeout=5000)
    assert "quiet" not in window.text() and "Cursor conn\n" not in window.text()
    with log_file().open("a", encoding="utf-8") as log:  # a traceback finished after its record was shown
        log.write("2026-12-06 10:00:07,008 ERROR bridge.proxy: failed\n")
        log.flush()
    qtbot.waitUntil(lambda: window.text().endswith("failed"), timeout=5000)
    with log_file().open("a", encoding="utf-8") as log:
        log.write("ValueError: later\n")
    qtbot.waitUntil(lambda: window.text().endswith("failed\nValueError: later"), timeout=5000)


def test_a_rotated_log_is_followed(viewer: tuple[LogViewer, list[QUrl]], qtbot: QtBot) -> None:
    window, _ = viewer
    handler = logging.handlers.RotatingFileHandler(log_file(), maxBytes=200, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    record = logging.LogRecord("bridge.test", logging.INFO, __file__, 1, "after rotation %d", (1,), None)
    handler.emit(record)  # the file is over 200 bytes: rotated to bridge.log.1, then written anew
    handler.close()
    assert log_file().with_name("bridge.log.1").exists()
    qtbot.waitUntil(lambda: "after rotation 1" in window.text(), timeout=5000)
    assert "Port is back" in window.text()  # what was read before stays


def test_tokens_are_never_shown(viewer: tuple[LogViewer, list[QUrl]], qtbot: QtBot) -> None:
    window, _ = viewer
    with log_file().open("a", encoding="utf-8") as log:  # a line that did not come through the bridge's filter
        log.write(f"2026-12-06 10:00:08,009 INFO other: Authorization: Bearer {JWT} and client_secret=s3cr3t\n")
    qtbot.waitUntil(lambda: "other:" in window.text(), timeout=5000)
    assert JWT not in window.text() and "s3cr3t" not in window.text() and "[redacted]" in window.text()
    window.copy_button.click()
    assert JWT not in QGuiApplication.clipboard().text()


def test_copy_the_selection_or_everything_shown(viewer: tuple[LogViewer, list[QUrl]]) -> None:
    window, _ = viewer
    window.level.setCurrentText("Warnings and errors")
    window.copy_button.click()
    assert QGuiApplication.clipboard().text() == window.text() and "retrying\n" in window.text()
    assert window.status.text() == "Copied every line shown."
    cursor = window.view.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor, 2)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfLine, QTextCursor.MoveMode.KeepAnchor)
    window.view.setTextCursor(cursor)
    window.copy_button.click()
    assert QGuiApplication.clipboard().text() == "\n".join(window.text().splitlines()[:3])
    assert window.status.text() == "Copied the selected lines."


def test_open_folder(viewer: tuple[LogViewer, list[QUrl]]) -> None:
    window, opened = viewer
    window.folder_button.click()
    assert opened == [QUrl.fromLocalFile(str(log_file().parent))]


def test_no_log_yet_then_the_bridge_starts_writing(qtbot: QtBot, settings_home: Path) -> None:
    from bridge.system import logs

    window = LogViewer(open_url=lambda url: None)
    qtbot.addWidget(window)
    window.bring_to_front()
    assert window.text() == "" and window.status.text() == "No log yet: the bridge writes bridge.log once it runs."
    root = logging.getLogger()
    before = root.level, list(root.handlers)
    try:
        logs.setup("INFO")
        logging.getLogger("bridge.test").info("signed in with %s", f"Bearer {JWT}")
        for handler in root.handlers:
            handler.flush()
        qtbot.waitUntil(lambda: "signed in with" in window.text(), timeout=5000)
    finally:
        for handler in root.handlers[len(before[1]) :]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(before[0])
    assert JWT not in window.text() and "Bearer [redacted]" in window.text()
    window.close()
