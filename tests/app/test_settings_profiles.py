"""Settings → Profiles against the real bridge and sandbox: the demo shown as the demo, and profiles added, edited
and signed in without dead ends (the first profile, token mode, Enter, unsaved edits, the buttons' states)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.settings import SettingsWindow
from app.settings.common import Page
from app.settings.doctor import DoctorPage
from app.settings.profiles import ProfilesPage
from app.tray import Tray
from bridge.api import BridgeApi
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore

SECRET = DEMO_CREDENTIALS["acme-builder-demo"][0]


def _window(qtbot: QtBot, api: BridgeApi, home: Path) -> tuple[Controller, SettingsWindow]:
    api.export_env = Env(home, "linux", {})
    controller = Controller(api)
    controller.start()
    window = SettingsWindow(controller)
    qtbot.addWidget(window)
    window.show()
    return controller, window


def add_token_profile(page: ProfilesPage, url: str, secret: str) -> None:
    """Add profile "Acme" on a custom `url` with API credentials (the demo client id, `secret`), as a person fills
    the form, and Save (which signs in)."""
    page.add_button.click()
    page.name.setText("Acme")
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText(url)
    page.mode.setCurrentIndex(page.mode.findData("token"))
    page.client_id.setText("acme-builder-demo")
    page.secret.setText(secret)
    page.save_button.click()


@pytest.fixture
def empty(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProfilesPage]:
    """The Profiles page with no profile yet (the wizard was closed without one)."""
    monkeypatch.setattr(Page, "confirm", lambda self, title, text, action: True)
    controller, window = _window(qtbot, BridgeApi(SettingsStore(), port=0), tmp_path / "home")
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    try:
        yield page
    finally:
        controller.stop()


@pytest.fixture
def demo(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SettingsWindow]:
    """The settings window after "Try the demo organization", with one real profile beside it."""
    monkeypatch.setattr(Page, "confirm", lambda self, title, text, action: True)
    api = BridgeApi(SettingsStore(), port=0)
    controller, window = _window(qtbot, api, tmp_path / "home")
    api.start_demo()
    controller.refresh()
    try:
        yield window
    finally:
        controller.stop()


def _profiles(window: SettingsWindow) -> ProfilesPage:
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    return page


def _press_enter(qtbot: QtBot, widget: object) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_Return)  # type: ignore[arg-type]


# --- 1. the demo is the demo ---------------------------------------------------------------------------------------


def test_the_demo_profile_is_shown_as_the_demo_with_nothing_to_fill_in(qtbot: QtBot, demo: SettingsWindow) -> None:
    page = _profiles(demo)
    demo_id = demo.controller.snapshot.active.id  # type: ignore[union-attr]
    page.select(demo_id)
    line = page.list.currentItem().text()
    assert "on this computer" in line and "127.0.0.1" not in line and "signed in" in line
    assert page.demo_panel.isVisibleTo(page)
    assert not page.details.isVisibleTo(page) and not page.account.isVisibleTo(page)  # no URL, id, secret, Sign in
    said = page.demo_panel.text()
    assert "runs on this computer" in said and "signed in automatically" in said.lower() and "Acme Corp" in said
    assert "Nothing to fill in" in said
    # The way on: a real organization is one click away, and the demo can still be made active or removed.
    page.demo_panel.add_button.click()
    assert page.details.isVisibleTo(page) and page.save_button.text().replace("&", "") == "Add profile"


def test_the_demo_started_while_the_page_waits_for_a_first_profile_is_shown(qtbot: QtBot, empty: ProfilesPage) -> None:
    assert page_adds(empty)
    empty.api.start_demo()  # the wizard's "Try the demo organization", while Settings is open
    empty.controller.refresh()
    assert empty.demo_panel.isVisibleTo(empty) and empty.list.currentRow() == 0 and not page_adds(empty)


def page_adds(page: ProfilesPage) -> bool:
    return page.save_button.text().replace("&", "") == "Add profile" and page.details.isVisibleTo(page)


def test_doctor_runs_every_check_for_the_demo_and_says_it_signs_in_by_itself(
    qtbot: QtBot, demo: SettingsWindow
) -> None:
    api: BridgeApi = demo.controller.api
    report = api.doctor()
    names = [c.name for c in report.checks]
    assert report.ok, report.text
    for step in ("Profile", "Connection", "Sign-in", "MCP", "Tools", "Tool call", "Tool count"):
        assert step in names, report.text
    sign_in = next(c for c in report.checks if c.name == "Sign-in")
    assert "automatically" in sign_in.detail and "demo" in sign_in.detail
    profile = next(c for c in report.checks if c.name == "Profile")
    assert "demo organization" in profile.detail and "on this computer" in profile.detail
    assert "Sign in in" not in report.text


def test_the_doctor_page_passes_the_demo_and_shows_steps_a_failure_blocked_as_not_run(
    qtbot: QtBot, demo: SettingsWindow, sandbox: Sandbox
) -> None:
    page = demo.page("doctor")
    assert isinstance(page, DoctorPage)
    page.run_button.click()
    qtbot.waitUntil(lambda: page.copy_button.isEnabled(), timeout=30000)
    names = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    assert page.status.text() == "Everything works." and names[-1] == "Tool count"

    api: BridgeApi = demo.controller.api
    api.add_profile("Nobody", sandbox.mcp_url, "token")  # no API credentials saved
    demo.controller.refresh()
    page.profiles.select("nobody")
    page.run_button.click()
    qtbot.waitUntil(lambda: page.run_button.isEnabled() and page.tree.topLevelItemCount() > 0, timeout=30000)
    assert page.status.text() == "1 check(s) need attention: Sign-in. 3 later check(s) could not run until then."
    rows = {page.tree.topLevelItem(i).text(0): page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())}
    assert rows["Tools"].text(1) == "Not checked: it needs the sign-in above." and rows["MCP"].text(1).startswith(
        "Port's MCP server answers"
    )


def test_the_tray_names_the_demo_as_on_this_computer_with_nothing_to_sign_in(demo: SettingsWindow) -> None:
    tray = Tray(demo.controller, show_settings=lambda page: None, quit_app=lambda: None)
    tray.build_menu()
    items = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert "Demo — Acme Corp, on this computer" in items and not any(i.startswith("Sign") for i in items)
    assert "Demo — Acme Corp, on this computer: Serving" in tray.tooltip(demo.controller.snapshot)


# --- 2. adding and signing in ----------------------------------------------------------------------------------------


def test_the_first_profile_added_is_shown_ready_to_sign_in(qtbot: QtBot, empty: ProfilesPage, sandbox: Sandbox) -> None:
    page = empty
    assert page.list.count() == 0
    page.add_button.click()
    page.name.setText("Acme")
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText(sandbox.mcp_url)
    page.save_button.click()
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=3000)
    assert page.profile_id == "acme" and page.save_button.text().replace("&", "") == "Save"
    assert page.sign_in_button.isEnabled() and "Save the profile" not in page.sign_state.text()
    qtbot.waitUntil(lambda: page.sign_state.text() == "Not signed in.", timeout=5000)
    assert not page.sign_out_button.isEnabled()


def test_adding_a_token_profile_signs_in_with_the_credentials_typed(
    qtbot: QtBot, empty: ProfilesPage, sandbox: Sandbox
) -> None:
    page = empty
    add_token_profile(page, sandbox.mcp_url, SECRET)
    qtbot.waitUntil(lambda: page.sign_status.text().startswith("Signed in"), timeout=15000)
    qtbot.waitUntil(lambda: "API credentials saved" in page.sign_state.text(), timeout=5000)
    assert page.secret.text() == ""


def test_enter_in_the_form_saves(qtbot: QtBot, empty: ProfilesPage, sandbox: Sandbox) -> None:
    page = empty
    page.add_button.click()
    page.name.setText("Acme")
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText(sandbox.mcp_url)
    _press_enter(qtbot, page.url)
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=3000)
    page.name.setText("Acme prod")
    _press_enter(qtbot, page.name)
    assert page.api.settings().get_profile("acme").name == "Acme prod" and page.form_notice.text() == "Saved."


def test_signed_in_offers_sign_out_only_and_a_warning_is_not_green(qtbot: QtBot, window: SettingsWindow) -> None:
    page = _profiles(window)
    page.select("acme")
    qtbot.waitUntil(lambda: "API credentials saved" in page.sign_state.text(), timeout=5000)
    assert page.sign_out_button.isEnabled() and not page.sign_in_button.isEnabled()

    class Result:
        profile = None
        warnings = ("Port did not say which organization this is.",)

    page._signed_in("acme", Result())
    assert page.sign_status.kind == "warn" and "Port did not say" in page.sign_status.text()
    qtbot.waitUntil(lambda: "API credentials saved" in page.sign_state.text(), timeout=5000)
    assert page.sign_out_button.isEnabled() and not page.sign_in_button.isEnabled()
    page.client_id.setText("acme-developer-demo")  # new API credentials: Sign in replaces the saved ones
    assert not page.sign_in_button.isEnabled()
    page.secret.setText("typed")
    assert page.sign_in_button.isEnabled() and page.sign_in_button.toolTip() == ""


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_switching_profiles_with_unsaved_edits_asks(
    qtbot: QtBot, window: SettingsWindow, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    page = _profiles(window)
    page.select("acme")
    asked: list[str] = []
    monkeypatch.setattr(page, "ask_unsaved", lambda name: asked.append(name) or answer)
    page.select("globex")  # nothing changed: no question
    assert asked == [] and page.profile_id == "globex"
    page.name.setText("Globex prod")
    page.select("acme")
    assert asked == ["Globex"]
    api: BridgeApi = window.controller.api
    if answer == "cancel":
        assert page.profile_id == "globex" and page.name.text() == "Globex prod"
        assert page.list.currentItem().data(Qt.ItemDataRole.UserRole) == "globex"
    else:
        assert page.profile_id == "acme" and page.name.text() == "Acme"
        saved = api.settings().get_profile("globex").name
        assert saved == ("Globex prod" if answer == "save" else "Globex")


def test_the_list_is_wide_enough_for_its_lines(qtbot: QtBot, window: SettingsWindow, sandbox: Sandbox) -> None:
    api: BridgeApi = window.controller.api
    api.edit_profile("globex", organization="Globex International Holdings")  # a long line: org · host:port
    window.controller.refresh()
    page = _profiles(window)
    window.show()
    qtbot.waitExposed(window)
    metrics = page.list.fontMetrics()
    lines = [line for i in range(page.list.count()) for line in page.list.item(i).text().splitlines()]
    assert any("Globex International Holdings" in line for line in lines)
    for line in lines:
        assert metrics.horizontalAdvance(line) < page.list.viewport().width(), line
    # and the details beside it are never clipped at the right: at the smallest window, the window makes room
    window.resize(window.minimumWidth(), window.minimumHeight())
    page.list.setCurrentRow(next(i for i in range(page.list.count()) if "Globex" in page.list.item(i).text()))
    scroll = page.details.parentWidget().parentWidget().parentWidget()  # holder → viewport → the scroll area
    qtbot.waitUntil(lambda: scroll.viewport().width() >= page.details.minimumSizeHint().width(), timeout=3000)


def test_a_refused_sign_in_on_the_profiles_page_offers_the_way_out_as_a_button(
    qtbot: QtBot, empty: ProfilesPage, sandbox: Sandbox
) -> None:
    """A wrong API secret: the page says where new credentials are made and has the button that opens it."""
    page = empty
    add_token_profile(page, sandbox.mcp_url, "not-the-secret")
    qtbot.waitUntil(lambda: page.sign_actions.isVisible(), timeout=15000)
    assert "refused the API credentials" in page.sign_status.text()
    assert [b.text() for b in page.sign_actions.buttons.values()] == ["Open Port to create credentials"]
    assert "port-mcp-bridge " not in page.sign_status.text()


def test_a_browser_that_said_yes_and_showed_nothing_leaves_the_link_to_copy(
    qtbot: QtBot, empty: ProfilesPage, sandbox: Sandbox
) -> None:
    """On a desktop without a default browser the opener still reports success (xdg-open started, then failed): the
    box offers the sign-in link all the same, and the link pasted into a browser by hand completes the sign-in."""
    from PySide6.QtGui import QGuiApplication

    from tests.support.browser import Browser

    page = empty
    user = Browser()
    opened: list[str] = []
    page.open_browser = lambda url: opened.append(url) or True  # "opened", and nothing appeared
    page.add_button.click()
    page.name.setText("Acme")
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText(sandbox.mcp_url)
    page.save_button.click()
    qtbot.waitUntil(lambda: page.sign_in_button.isEnabled(), timeout=5000)
    page.sign_in_button.click()
    link = page.account.link
    qtbot.waitUntil(lambda: link.isVisible() and bool(opened), timeout=10000)
    assert link.hint.isVisible() and not link.text.isVisible()  # out of the way: a browser may well have opened
    link.copy_button.click()
    assert QGuiApplication.clipboard().text() == opened[0]
    page.api.submit(user._approve(QGuiApplication.clipboard().text()))  # the user pastes it into a browser
    qtbot.waitUntil(lambda: page.sign_state.text().startswith("Signed in"), timeout=15000)
    assert not link.isVisible()
