"""A button, never a command (issue 17, section 3): every dead end a GUI user can meet offers the action itself, and
no text the app shows names a command or a command-line flag. Each situation is made for real: a client file the
exporter refuses, a browser that cannot be opened, Port gone (the sandbox stopped), a taken port (bound first), a
wrong API secret (the sandbox's token endpoint refuses it)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from app.application import TrayApp
from app.controller import Controller
from app.settings.clients import ClientsPage
from app.settings.doctor import DoctorPage
from app.settings.general import GeneralPage
from app.settings.window import SettingsWindow
from app.tray import Tray
from app.wizard import FirstRunWizard
from bridge.api import BridgeApi, SignInStep
from bridge.errors import Do
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from tests.support.browser import Browser
from tests.support.stack import token_profile

LEFT = Qt.MouseButton.LeftButton
COMMAND = re.compile(r"port-mcp-bridge |(?<![\w-])--[a-z]")


def shown_texts(window: QWidget) -> list[str]:
    """Every text a person can see in `window`: labels, text boxes, buttons."""
    texts = [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    texts += [w.toPlainText() for w in window.findChildren(QPlainTextEdit) if w.isVisible()]
    texts += [w.text() for w in window.findChildren(QAbstractButton) if w.isVisible()]
    return texts


def assert_no_command(texts: list[str]) -> None:
    for text in texts:
        assert not COMMAND.search(text), text


class Opened(QObject):
    """What `QDesktopServices.openUrl` was asked to open (Qt's own hook: a handler per scheme)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[Opened]:
    catcher = Opened()
    for scheme in ("file", "http", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    try:
        yield catcher
    finally:
        for scheme in ("file", "http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


class NoBrowser(Browser):
    """A computer where no browser can be opened: the address is never visited."""

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        return False


def wizard_on(qtbot: QtBot, api: BridgeApi, browser: Browser | None = None) -> FirstRunWizard:
    wizard = FirstRunWizard(Controller(api), open_browser=browser or Browser())
    qtbot.addWidget(wizard)
    wizard.controller.start()
    wizard.show()
    return wizard


def to_sign_in(qtbot: QtBot, wizard: FirstRunWizard, url: str) -> None:
    qtbot.mouseClick(wizard.sign_in_button, LEFT)
    next(b for b in wizard.regions.buttons() if not b.property("region")).setChecked(True)
    wizard.url_edit.setText(url)
    wizard.name_edit.setText("Work")


def test_a_refused_client_file_offers_copy_snippet_and_open_file(
    qtbot: QtBot, tmp_path: Path, sandbox: Sandbox, opened: Opened
) -> None:
    """The wizard's Connect on a file the exporter will not edit (not valid JSON): Copy snippet and Open file."""
    cursor = tmp_path / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"mine": {"url": "https://example.invalid/mcp"},}  // mine\n')
    store = SettingsStore()
    token_profile(store, "Acme", sandbox.mcp_url, "acme-builder-demo", active=True)
    api = BridgeApi(store, port=0)
    api.export_env = Env(tmp_path, "linux", {}, None)
    wizard = wizard_on(qtbot, api)
    try:
        wizard._ready(store.load().active())
        qtbot.waitUntil(lambda: "cursor" in wizard.last_page.rows, timeout=10000)
        row = wizard.last_page.rows["cursor"]
        qtbot.mouseClick(row.button, LEFT)
        qtbot.waitUntil(lambda: row.buttons is not None and row.buttons.isVisible(), timeout=10000)
        assert "left untouched" in row.result.text()
        assert_no_command(shown_texts(wizard))
        assert row.buttons is not None and set(row.buttons.buttons) == {Do.COPY_SNIPPET, Do.OPEN_FILE}

        qtbot.mouseClick(row.buttons.buttons[Do.COPY_SNIPPET], LEFT)
        snippet = QGuiApplication.clipboard().text()
        assert f"127.0.0.1:{api.snapshot().port}/mcp" in snippet and "mcpServers" in snippet
        qtbot.mouseClick(row.buttons.buttons[Do.OPEN_FILE], LEFT)
        assert [u.toLocalFile() for u in opened.urls] == [str(cursor)]
        assert "// mine" in cursor.read_text()  # untouched
    finally:
        wizard.controller.stop()


def test_no_browser_shows_the_link_wrapped_with_copy_link_and_cancel_stays_on_screen(
    qtbot: QtBot, sandbox: Sandbox
) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    browser = NoBrowser()
    wizard = wizard_on(qtbot, api, browser)
    try:
        to_sign_in(qtbot, wizard, sandbox.mcp_url)
        qtbot.mouseClick(wizard.browser_button, LEFT)
        qtbot.waitUntil(lambda: wizard.sign_in_link.isVisible(), timeout=15000)
        link = browser.opened[0]
        assert wizard.sign_in_link.text.toPlainText() == link and link not in wizard.sign_in_status.text()
        assert_no_command(shown_texts(wizard))
        qtbot.mouseClick(wizard.sign_in_link.copy_button, LEFT)
        assert QGuiApplication.clipboard().text() == link

        # Port's real sign-in address is long (2,271 px of it once widened the wizard past the screen): wrapped now.
        long_link = link + "&padding=" + "x" * 2000
        wizard._progress.emit(SignInStep("Could not open a browser. Open this address in a browser yourself:",
                                         link=long_link))  # fmt: skip
        qtbot.waitUntil(lambda: wizard.sign_in_link.text.toPlainText() == long_link, timeout=2000)
        wizard.adjustSize()
        screen = wizard.screen().availableGeometry()
        assert wizard.width() < screen.width()
        cancel = wizard.browser_button
        assert cancel.text() == "Cancel" and cancel.isVisible()
        assert cancel.mapTo(wizard, cancel.rect().bottomRight()).x() <= wizard.width()
        qtbot.mouseClick(cancel, LEFT)
        qtbot.waitUntil(lambda: wizard.signing_in is None, timeout=10000)
        assert wizard.sign_in_link.isHidden()
    finally:
        wizard.controller.stop()


def test_no_browser_in_the_tray_keeps_the_address_with_copy_sign_in_link(qtbot: QtBot, sandbox: Sandbox) -> None:
    store = SettingsStore()
    api = BridgeApi(store, port=0)
    api.add_profile("Work", sandbox.mcp_url, make_active=True)
    controller = Controller(api)
    controller.start()
    browser = NoBrowser()
    shown: list[tuple[str, str]] = []
    tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None, open_browser=browser)
    tray.shown.connect(lambda title, text: shown.append((title, text)))
    try:
        active = api.snapshot().active
        assert active is not None
        tray.sign_in(active)
        qtbot.waitUntil(lambda: any(t == "Open the sign-in link" for t, _ in shown), timeout=15000)
        link = browser.opened[0]
        assert any(link in text for _, text in shown)
        assert_no_command([text for pair in shown for text in pair])
        tray.build_menu()
        tray.action("Copy sign-in link").trigger()
        assert QGuiApplication.clipboard().text() == link
        tray.cancel_sign_in()
        qtbot.waitUntil(lambda: tray.signing_in is None, timeout=10000)
    finally:
        controller.stop()


def test_port_unreachable_offers_run_doctor_in_the_wizard_and_the_tray(
    qtbot: QtBot, api: BridgeApi, sandbox: Sandbox
) -> None:
    from tests.app.test_tray import ask

    tray_app = TrayApp(api)
    tray_app.start()
    try:
        ask(api)  # in use and signed in
        url = sandbox.mcp_url
        sandbox.stop()  # Port is gone

        # The tray: a failed request marks the profile unreachable; its menu offers the doctor.
        with pytest.raises(Exception):  # noqa: B017 (how the client fails is the SDK's business)
            ask(api)
        qtbot.waitUntil(lambda: bool(api.snapshot().active and api.snapshot().active.last_error), timeout=5000)
        tray = tray_app.tray
        assert tray is not None
        tray.build_menu()
        assert_no_command([a.text() for a in tray.menu.actions()])
        tray.action("Port unreachable: Run doctor").trigger()
        window = tray_app.settings_window
        assert window is not None and window.isVisible() and window.current_page == "doctor"
        doctor = window.page("doctor")
        assert isinstance(doctor, DoctorPage)
        qtbot.waitUntil(lambda: doctor.tree.topLevelItemCount() > 0, timeout=30000)  # the checks ran
        assert_no_command(shown_texts(window))
        window.hide()

        # The wizard: signing in to a Port that cannot be reached offers the doctor too.
        wizard = FirstRunWizard(tray_app.controller, open_browser=Browser())
        qtbot.addWidget(wizard)
        wizard.show()
        to_sign_in(qtbot, wizard, url)
        qtbot.mouseClick(wizard.browser_button, LEFT)
        qtbot.waitUntil(lambda: wizard.sign_in_actions.isVisible(), timeout=15000)
        assert "Could not reach" in wizard.sign_in_status.text()
        assert_no_command(shown_texts(wizard))
        assert set(wizard.sign_in_actions.buttons) == {Do.RUN_DOCTOR}
        doctor.tree.clear()
        # The wizard removes the profile its failed sign-in added (no orphan profile); the doctor checks the one left.
        qtbot.waitUntil(lambda: tray_app.api.settings().find_profile("work") is None, timeout=10000)
        qtbot.mouseClick(wizard.sign_in_actions.buttons[Do.RUN_DOCTOR], LEFT)
        assert window.isVisible() and window.current_page == "doctor"
        qtbot.waitUntil(lambda: doctor.tree.topLevelItemCount() > 0, timeout=30000)  # run again
    finally:
        tray_app.shutdown()


def test_a_taken_port_offers_choose_another_port(qtbot: QtBot, api: BridgeApi) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    tray_app = TrayApp(api)
    tray_app.start()
    try:
        # Settings → General: Apply on a taken port suggests a free one, ready to apply; no command.
        tray_app.show_settings("general")
        window = tray_app.settings_window
        assert window is not None
        general = window.page("general")
        assert isinstance(general, GeneralPage)
        general.port.setValue(taken)
        qtbot.mouseClick(general.port_button, LEFT)
        qtbot.waitUntil(lambda: general.port.value() != taken, timeout=10000)
        assert f"Port {taken} is taken" in general.port_notice.text() and "Apply" in general.port_notice.text()
        assert_no_command(shown_texts(window))

        # The error itself, wherever it is met, carries "Choose another port", which opens that chooser.
        from bridge.endpoint import check_port
        from bridge.errors import PortInUse

        with pytest.raises(PortInUse) as refused:
            check_port(taken)
        assert not COMMAND.search(refused.value.message) and "--port" in str(refused.value)  # the CLI's words
        box_texts: list[str] = []
        question = tray_app.start_elsewhere
        assert not question(refused.value, ask=lambda title, text, accept: box_texts.append(text) or False)
        assert_no_command(box_texts)

        from app.actions_row import ActionsRow

        row = ActionsRow(tray_app.controller)
        qtbot.addWidget(row)
        row.show_error(refused.value)
        general.port.setValue(taken)
        window.show_page("profiles")
        qtbot.mouseClick(row.buttons[Do.CHOOSE_PORT], LEFT)
        assert window.current_page == "general" and general.port.value() != taken
        assert general.port.hasFocus() or general.port.lineEdit().selectedText()
    finally:
        tray_app.shutdown()
        holder.close()


def test_a_wrong_api_secret_links_to_where_credentials_are_made(qtbot: QtBot, sandbox: Sandbox, opened: Opened) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    wizard = wizard_on(qtbot, api)
    try:
        to_sign_in(qtbot, wizard, sandbox.mcp_url)
        wizard.use_credentials()
        wizard.client_id.setText("acme-builder-demo")
        wizard.secret.setText("not-the-secret")
        qtbot.mouseClick(wizard.browser_button, LEFT)
        qtbot.waitUntil(lambda: wizard.sign_in_actions.isVisible(), timeout=15000)
        assert "refused the API credentials" in wizard.sign_in_status.text()
        assert "Credentials" in wizard.sign_in_status.text()
        assert_no_command(shown_texts(wizard))
        qtbot.mouseClick(wizard.sign_in_actions.buttons[Do.OPEN_URL], LEFT)
        # A local Port (the sandbox) has its web app at its own address; Port's regions at app.port.io and
        # app.us.port.io (test below).
        assert [u.toString() for u in opened.urls] == [f"http://127.0.0.1:{sandbox.port}"]
    finally:
        wizard.controller.stop()


def test_the_credentials_link_is_the_regions_web_app() -> None:
    from bridge.auth.tokens import web_app_url

    assert web_app_url("https://api.port.io/v1/auth/access_token") == "https://app.port.io"
    assert web_app_url("https://api.us.port.io/v1/auth/access_token") == "https://app.us.port.io"
    assert web_app_url("https://api.getport.io/v1") == "https://app.port.io"


BROKEN_JSON = '{"mcpServers": {"mine": {"url": "https://example.invalid/mcp"},}  // mine\n'


def test_settings_clients_offers_open_file_beside_copy_snippet(
    qtbot: QtBot, window: SettingsWindow, opened: Opened
) -> None:
    path = window.controller.api.export_env.home / ".cursor" / "mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text(BROKEN_JSON)
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    qtbot.waitUntil(lambda: page.client_id == "cursor" and not page.fix.isHidden(), timeout=10000)
    assert set(page.fix.buttons) == {Do.OPEN_FILE}
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=10000)  # the page's own Copy snippet
    window.show()
    assert_no_command(shown_texts(window))
    qtbot.mouseClick(page.fix.buttons[Do.OPEN_FILE], LEFT)
    assert [u.toLocalFile() for u in opened.urls] == [str(path)]


def test_the_trays_connect_on_a_refused_file_shows_copy_snippet_and_open_file(
    qtbot: QtBot, api: BridgeApi, tmp_path: Path, opened: Opened
) -> None:
    path = tmp_path / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text(BROKEN_JSON)
    api.export_env = Env(tmp_path, "linux", {}, None)
    controller = Controller(api)
    controller.start()
    tray = Tray(controller, show_settings=lambda page: None, quit_app=lambda: None)
    try:
        status = next(s for s in api.client_statuses() if s.client.id == "cursor")
        tray.connect_client(status)
        qtbot.waitUntil(lambda: isinstance(tray.dialog, QMessageBox) and tray.dialog.isVisible(), timeout=10000)
        box = tray.dialog
        assert box is not None and "left untouched" in box.text() and not COMMAND.search(box.text())
        labels = {b.text(): b for b in box.buttons()}
        assert {"Copy snippet", "Open file", "Close"} <= set(labels)
        labels["Copy snippet"].click()
        assert "mcpServers" in QGuiApplication.clipboard().text()
    finally:
        controller.stop()


def test_a_demo_that_cannot_start_offers_its_way_out_as_a_button(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The welcome page's Try the demo failing (here: its port refused) shows the error's button, not a command."""
    from bridge.errors import PortInUse

    api = BridgeApi(SettingsStore(), port=0)

    def refused() -> None:
        raise PortInUse("Port MCP Bridge cannot listen on 127.0.0.1:47780.", port=47780, cli="Use --port.")

    monkeypatch.setattr(api, "start_demo", refused)
    wizard = wizard_on(qtbot, api)
    try:
        qtbot.mouseClick(wizard.demo_button, LEFT)
        qtbot.waitUntil(lambda: wizard.welcome_actions.isVisible(), timeout=10000)
        assert "cannot listen" in wizard.welcome_status.text() and wizard.demo_button.isEnabled()
        assert set(wizard.welcome_actions.buttons) == {Do.CHOOSE_PORT}
        assert_no_command(shown_texts(wizard))
    finally:
        wizard.controller.stop()


def test_the_doctor_page_offers_a_button_per_failed_check(qtbot: QtBot, opened: Opened) -> None:
    """A profile with no saved sign-in, against a Port that does not answer: the failed Sign-in check has a Sign in…
    button that opens Profiles (Port's own regions' copy-the-addresses button: tests/test_doctor.py, no network)."""
    from app.settings.doctor import DoctorPage

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    store = SettingsStore()
    store.add_profile("Acme", f"http://127.0.0.1:{port}/v1", auth_mode="token", make_active=True)
    api = BridgeApi(store, port=0)
    controller = Controller(api)
    controller.start()
    page = DoctorPage(controller)
    qtbot.addWidget(page)
    pages: list[str] = []
    controller.showPage.connect(pages.append)
    try:
        page.run_checks()
        qtbot.waitUntil(lambda: page.copy_button.isEnabled(), timeout=60000)
        assert page.report is not None
        assert_no_command([c.advice for c in page.report.checks])
        sign_in = page.action_rows["Sign-in"]
        qtbot.mouseClick(sign_in.buttons[Do.SIGN_IN], LEFT)
        assert pages == ["profiles"]
    finally:
        controller.stop()


def test_what_the_app_says_after_connecting_any_client_names_no_command() -> None:
    from bridge import export

    assert_no_command([c.after_write for c in export.clients()])
