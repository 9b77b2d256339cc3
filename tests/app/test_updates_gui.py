"""About and the update check in the app, against a release feed on loopback: the tray's entries, the windows they
open, the daily check's notification, the switch in Settings → General. Nothing is ever downloaded or installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.tray import Tray
from app.updates import UpdateDialog
from bridge.api import PORT_MCP_DOCS_URL, README_URL, BridgeApi
from bridge.export import Env
from bridge.settings import SettingsStore
from tests.support.release_feed import ReleaseFeed, release_feed

NOTES = "## What's new\n\n- **About** in the tray\n- A log viewer"


class Rig:
    def __init__(self, tray: Tray, api: BridgeApi, feed: ReleaseFeed) -> None:
        self.tray, self.api, self.feed = tray, api, feed
        self.opened: list[QUrl] = []
        self.shown: list[tuple[str, str]] = []

    def click(self, text: str) -> None:
        self.tray.build_menu()  # as when the user opens the menu
        self.tray.action(text).trigger()

    def items(self) -> list[str]:
        self.tray.build_menu()
        return [a.text() for a in self.tray.menu.actions() if not a.isSeparator()]


@pytest.fixture
def rig(qtbot: QtBot, settings_home: Path, tmp_path: Path) -> Iterator[Rig]:
    """The tray on a bridge of version 0.1.0 (not started: the update check needs none) that reads a local feed."""
    api = BridgeApi(SettingsStore())
    api.export_env = Env(tmp_path / "user", "linux", {}, None)
    api.updates.version = "0.1.0"
    api.updates.timeout = 2.0
    controller = Controller(api)
    with release_feed() as feed:
        api.updates.feed = feed.url
        holder: list[Rig] = []
        tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None,
                    open_url=lambda url: holder[0].opened.append(url))  # fmt: skip
        rig = Rig(tray, api, feed)
        holder.append(rig)
        tray.shown.connect(lambda title, text: rig.shown.append((title, text)))
        try:
            yield rig
        finally:
            controller.stop()


def dialog(rig: Rig, qtbot: QtBot) -> UpdateDialog | QMessageBox:
    qtbot.waitUntil(lambda: not rig.tray.updates.checking and rig.tray.updates.dialog is not None, timeout=5000)
    shown = rig.tray.updates.dialog
    assert shown is not None
    qtbot.addWidget(shown)
    return shown


def test_check_for_updates_shows_the_notes_and_download_opens_the_release_page(rig: Rig, qtbot: QtBot) -> None:
    release = rig.feed.publish("v0.2.0", NOTES)
    rig.click("Check for updates…")
    assert "Checking for updates…" in rig.items()  # while it runs, the entry says so
    window = dialog(rig, qtbot)
    assert isinstance(window, UpdateDialog) and window.isVisible()
    assert window.windowTitle() == "Update available"
    assert "About in the tray" in window.notes.toPlainText() and "A log viewer" in window.notes.toPlainText()
    assert "##" not in window.notes.toPlainText()  # the Markdown is rendered, not shown raw
    assert "Update available: 0.2.0…" in rig.items()  # it stays in the menu
    window.download.click()
    assert rig.opened == [QUrl(release["html_url"])]  # the browser, nothing downloaded by the app
    assert not window.isVisible()
    rig.click("Update available: 0.2.0…")  # the menu entry shows it again, without asking the feed
    assert len(rig.feed.requests) == 1 and isinstance(rig.tray.updates.dialog, UpdateDialog)


def test_the_latest_version_says_so(rig: Rig, qtbot: QtBot) -> None:
    rig.feed.publish("v0.1.0")
    rig.click("Check for updates…")
    box = dialog(rig, qtbot)
    assert isinstance(box, QMessageBox)
    assert box.text() == "Port MCP Bridge 0.1.0 is the latest version."
    assert "Check for updates…" in rig.items()


def test_a_failed_check_says_so_with_try_again(rig: Rig, qtbot: QtBot) -> None:
    rig.feed.answer(200, b"<html>not the feed</html>")
    rig.click("Check for updates…")
    box = dialog(rig, qtbot)
    assert isinstance(box, QMessageBox) and box.windowTitle() == "Could not check for updates"
    assert "not JSON" in box.text()
    retry = next(b for b in box.buttons() if b.text() == "Try again")
    rig.feed.publish("v0.3.0")
    rig.tray.updates.dialog = None
    retry.click()
    assert isinstance(dialog(rig, qtbot), UpdateDialog)


def test_a_feed_with_no_release_yet_offers_the_releases_page(rig: Rig, qtbot: QtBot) -> None:
    from bridge.api import RELEASES_PAGE

    rig.feed.answer(404, b'{"message": "Not Found"}')  # GitHub's answer before the first release
    rig.click("Check for updates…")
    box = dialog(rig, qtbot)
    assert isinstance(box, QMessageBox) and "No release of Port MCP Bridge is published" in box.text()
    next(b for b in box.buttons() if b.text() == "Open the releases page").click()
    assert rig.opened == [QUrl(RELEASES_PAGE)]


def test_the_daily_check_notifies_once_and_only_when_due(rig: Rig, qtbot: QtBot) -> None:
    rig.feed.publish("v0.2.0", NOTES)
    rig.tray.updates.check_if_due()
    qtbot.waitUntil(lambda: bool(rig.shown), timeout=5000)
    assert rig.shown == [("Port MCP Bridge 0.2.0 is available", "Click to see what's new and download it.")]
    assert rig.tray.updates.dialog is None  # a notification, not a window out of nowhere
    rig.tray._on_click()  # type: ignore[misc]  # clicking the notification
    assert isinstance(rig.tray.updates.dialog, UpdateDialog)
    qtbot.addWidget(rig.tray.updates.dialog)
    rig.tray.updates.check_if_due()  # within the day: the feed is not asked again
    qtbot.waitUntil(lambda: not rig.tray.updates.checking, timeout=5000)
    assert len(rig.feed.requests) == 1 and len(rig.shown) == 1


def test_a_failed_daily_check_is_only_a_log_line(rig: Rig, qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    rig.feed.answer(500, b"{}")
    rig.tray.updates.check_if_due()
    qtbot.waitUntil(lambda: bool(rig.feed.requests) and not rig.tray.updates.checking, timeout=5000)
    assert rig.shown == [] and rig.tray.updates.dialog is None
    assert "update check failed: The release feed answered HTTP 500." in caplog.text


def test_the_switch_in_general_turns_the_daily_check_off(rig: Rig, qtbot: QtBot) -> None:
    from app.settings.general import GeneralPage

    rig.feed.publish("v0.2.0")
    page = GeneralPage(rig.tray.controller)
    qtbot.addWidget(page)
    assert page.update_check.isChecked()  # on by default
    page.update_check.setChecked(False)
    assert rig.api.settings().check_for_updates is False
    assert page.notice.text() == "Will not check for updates."
    rig.tray.updates.check_if_due()
    qtbot.waitUntil(lambda: not rig.tray.updates.checking, timeout=5000)
    assert rig.feed.requests == [] and rig.shown == []
    rig.click("Check for updates…")  # on demand still works
    assert isinstance(dialog(rig, qtbot), UpdateDialog)
    page.update_check.setChecked(True)
    assert rig.api.settings().check_for_updates is True


def test_about_shows_the_version_the_docs_and_checks_for_updates(rig: Rig, qtbot: QtBot) -> None:
    rig.feed.publish("v0.1.0")
    rig.click("About Port MCP Bridge…")
    about = rig.tray.about
    assert about is not None and about.isVisible()
    qtbot.addWidget(about)
    texts = " ".join(w.text() for w in about.findChildren(type(about.links)))
    assert "Version 0.1.0" in texts and "once a day" in texts
    for url in (README_URL, PORT_MCP_DOCS_URL):
        assert url in about.links.text()
        about.links.linkActivated.emit(url)
    assert rig.opened == [QUrl(README_URL), QUrl(PORT_MCP_DOCS_URL)]
    assert PORT_MCP_DOCS_URL == "https://docs.port.io/ai-interfaces/port-mcp-server/overview-and-installation"
    about.check_button.click()
    assert isinstance(dialog(rig, qtbot), QMessageBox)
    assert sorted(b.text() for b in about.findChildren(QPushButton)) == ["Check for &updates…", "Close"]
