"""The desktop app: one instance per user, the bridge started behind a tray icon, windows on demand.

`TrayApp` wires the controller, the tray, the first-run wizard and the settings window; `run()` is `python -m app`
with a display. Closing a window leaves the tray running; Quit stops the bridge (and the demo sandbox) cleanly. Where
the desktop has no system tray, the main window (app/main_window.py) takes the tray's place, and closing it quits.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import signal
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox

from app.approval_dialog import Approvals
from app.controller import Controller
from app.icons import app_icon
from app.tray import Tray
from app.wizard import FirstRunWizard
from bridge.api import BridgeApi, CallRecord, config_dir, free_port_near, session_key
from bridge.errors import BridgeError, PortInUse

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.settings.window import SettingsWindow

log = logging.getLogger(__name__)

SHOW = b"show\n"


def instance_name() -> str:
    """One app per user and settings folder (a portable install or a test's folder gets its own)."""
    seed = f"{getpass.getuser()}\0{config_dir().resolve()}"
    return f"port-mcp-bridge-{hashlib.sha256(seed.encode()).hexdigest()[:16]}"


class SingleInstance(QObject):
    """The first launch listens on a local socket; a later one tells it to come forward, then exits."""

    activated = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or instance_name()
        self.server: QLocalServer | None = None

    def claim(self, timeout_ms: int = 1000) -> bool:
        """True: we are the first (and now listen). False: another instance was asked to come forward."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if socket.waitForConnected(timeout_ms):
            socket.write(QByteArray(SHOW))
            socket.waitForBytesWritten(timeout_ms)
            socket.disconnectFromServer()
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed instance (Unix)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(self.name):
            log.warning("single-instance socket unavailable: %s", self.server.errorString())
            return True
        self.server.newConnection.connect(self._connection)
        return True

    @Slot()
    def _connection(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            # Read right here: the message is a few bytes, sent before the other launch disconnects.
            arrived = socket.bytesAvailable() or socket.waitForReadyRead(500)
            if arrived and bytes(socket.readAll().data()).startswith(SHOW.strip()):
                self.activated.emit()
            socket.disconnectFromServer()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def _ask(title: str, text: str, accept: str) -> bool:
    """A question with two buttons, `accept` and Quit."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


class TrayApp(QObject):
    """Everything the running app is. Tests build it on the pytest-qt application with a `BridgeApi` of their own."""

    def __init__(self, api: BridgeApi, *, warning: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.warning = warning
        self.controller = Controller(api, self)
        self.tray: Tray | None = None
        self.wizard: FirstRunWizard | None = None
        self.settings_window: SettingsWindow | None = None
        self.main_window: MainWindow | None = None  # only where there is no system tray
        self.tray_visible = False
        self.controller.showPage.connect(self.open_page)
        self.controller.showCall.connect(self.open_call)
        # Calls that need the user's yes (a profile's "Ask before") open a dialog here, for as long as the app runs.
        self.approvals = Approvals(self)

    @Slot(str)
    def open_page(self, page: str) -> None:
        """An error's button: "doctor" runs the checks, "choose_port" opens General with a free port suggested."""
        from app.settings.doctor import DoctorPage
        from app.settings.general import GeneralPage

        self.controller.refresh()  # the pages' profile choosers drop a profile just removed (a wizard's unfinished one)
        self.show_settings("general" if page == "choose_port" else page)
        assert self.settings_window is not None
        shown = self.settings_window.page(self.settings_window.current_page)
        if isinstance(shown, GeneralPage):
            shown.choose_port()
        elif isinstance(shown, DoctorPage):
            shown.run_checks()

    def open_call(self, record: object) -> None:
        """A call picked in the menu's Recent activity: Settings → Activity with its details."""
        from app.settings.activity import ActivityPage

        self.show_settings("activity")
        assert self.settings_window is not None
        page = self.settings_window.page("activity")
        if isinstance(page, ActivityPage) and isinstance(record, CallRecord):
            page.show_record(record)

    def start(self) -> None:
        """Start the bridge (raises `BridgeError`, e.g. `PortInUse`), show the tray, and the wizard on first run."""
        self.api.approvals.set_asker(self.approvals.ask)  # before the bridge starts: no call goes unasked
        self.controller.start()
        self.tray = Tray(self.controller, show_settings=self.show_settings, quit_app=self.quit, warning=self.warning,
                         show_wizard=self.show_wizard)  # fmt: skip
        self.tray_visible = self.tray.show()
        if not self.tray_visible:  # no system tray here: the main window, so the user is never left with nothing
            self.tray.in_window = True
            self.show_main_window()
        if not self.controller.snapshot.profiles:
            self.show_wizard()

    def start_elsewhere(self, refused: PortInUse, ask: Callable[[str, str, str], bool] | None = None) -> bool:
        """The bridge's port cannot be had: offer the nearest free one. On yes, serve there, point the assistants
        connected to the old port at the new one (their files backed up first, as every write is), and open Settings →
        Clients to show them. False on no."""
        port = free_port_near(refused.port)
        text = (
            f"Port MCP Bridge cannot listen on port {refused.port}: {refused.reason}.\n\n"
            f"It can use port {port} instead, and update the assistants you connected so they find it there (their "
            "files are backed up first; Settings → Clients can undo it)."
        )
        if not (ask or _ask)("Port MCP Bridge: port in use", text, f"Use port {port}"):
            return False
        log.warning("port %d refused (%s): serving on %d instead", refused.port, refused.reason, port)
        self.api.use_port(port)
        self.start()
        updated = self.api.update_moved_clients()
        log.info("moved to port %d; updated %s", port, ", ".join(updated) or "no client")
        if self.controller.snapshot.profiles:  # on a first run the wizard is up, and it connects clients itself
            self.show_settings("clients")
            from app.settings.clients import ClientsPage

            clients = self.settings_window.page("clients") if self.settings_window else None
            if isinstance(clients, ClientsPage):  # it says why it opened
                clients.port_moved(refused.port, port, updated)
        return True

    def show_wizard(self) -> None:
        """The wizard, from its start unless it is open (a finished or closed one is not reopened on its last page)."""
        if self.wizard is None or not self.wizard.isVisible():
            self.wizard = FirstRunWizard(self.controller, warning=self.warning)
            self.wizard.finishedSetup.connect(self._setup_finished)
        self.wizard.bring_to_front()

    @Slot()
    def _setup_finished(self) -> None:
        if self.tray is not None and self.tray_visible:
            self.tray.message("Port MCP Bridge is ready", "It keeps running in the tray: everything is in its menu.")
        elif self.tray is not None:
            self.show_main_window()
            self.tray.message("Port MCP Bridge is ready", "Everything is in this window; it runs while it is open.")

    def show_settings(self, page: str = "profiles") -> None:
        if self.settings_window is None:
            from app.settings.window import SettingsWindow  # loaded when first needed: a tray-only run never pays

            self.settings_window = SettingsWindow(self.controller, tray=self.tray)
            self.settings_window.setWindowIcon(app_icon())
        self.settings_window.show_page(page)
        self.settings_window.bring_to_front()

    def show_main_window(self) -> None:
        if self.main_window is None:
            from app.main_window import MainWindow

            assert self.tray is not None  # made by start(), before any window
            self.main_window = MainWindow(self.tray, quit_app=self.quit)
            self.tray.load_clients()
        self.main_window.bring_to_front()

    @Slot()
    def bring_forward(self) -> None:
        """Another launch asked us to come forward: without a tray the main window (and the wizard over it if it is
        unfinished); with one, the wizard if it is unfinished, else the settings window."""
        log.info("another launch asked this one to come forward")
        if not self.tray_visible and self.tray is not None:
            self.show_main_window()
            if self.wizard is not None and self.wizard.isVisible():
                self.wizard.bring_to_front()
        elif self.wizard is not None and self.wizard.isVisible():
            self.wizard.bring_to_front()
        elif not self.controller.snapshot.profiles:
            self.show_wizard()
        else:
            self.show_settings(self.settings_window.current_page if self.settings_window else "profiles")

    @Slot()
    def quit(self) -> None:
        self.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        """Close the windows and stop the bridge; safe to call twice."""
        for window in (self.wizard, self.settings_window, self.main_window):
            if window is not None:
                window.hide()
        if self.tray is not None:
            self.tray.icon.hide()
        self.api.approvals.set_asker(None)  # calls asking from now on are refused with a way to approve, not hung
        self.approvals.close_all()  # the questions open are answered Deny
        self.controller.stop()


# --- crash handling -------------------------------------------------------------------------------------------------


def install_excepthook() -> None:
    """An unexpected exception (in a slot, say) is logged and shown, instead of vanishing or killing the tray."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.critical("unexpected error", exc_info=(kind, exc, tb))
        if QApplication.instance() is None:
            return
        from bridge.api import redact

        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Port MCP Bridge: unexpected error",
            f"Something went wrong: {redact(str(exc)) or kind.__name__}\n\nThe app keeps running. "
            "Details are in the log (Open logs, in the app's menu); please include them in a bug report.",
        )
        box.setDetailedText(redact("".join(traceback.format_exception(kind, exc, tb))))
        box.exec()

    sys.excepthook = hook


# --- python -m app ----------------------------------------------------------------------------------------------


# The installed menu entry is io.port.mcp-bridge.desktop (packaging/linux): the id the desktop matches windows by.
DESKTOP_ID = "io.port.mcp-bridge"


def run(port: int | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Port MCP Bridge")
    app.setOrganizationName("Port MCP Bridge")
    app.setDesktopFileName(DESKTOP_ID)  # on Wayland, matches windows to the menu entry
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the tray keeps running with no window open

    instance = SingleInstance()
    if not instance.claim():
        print("Port MCP Bridge is already running: brought it forward.", file=sys.stderr)
        return 0

    install_excepthook()
    key, warning = session_key()
    api = BridgeApi(port=port, key=key)
    api.setup_logging()
    if warning:
        log.warning("no usable keychain: an in-memory local key for this run")
    tray_app = TrayApp(api, warning=warning)
    instance.activated.connect(tray_app.bring_forward)
    try:
        try:
            tray_app.start()
        except PortInUse as refused:  # a desktop app cannot be given --port: offer a free one instead
            if not tray_app.start_elsewhere(refused):
                tray_app.shutdown()
                return 1
    except BridgeError as exc:
        QMessageBox.critical(None, f"Port MCP Bridge: {exc.title}", exc.message)
        tray_app.shutdown()
        return 1
    log.info("Port MCP Bridge is running: %s", tray_app.controller.snapshot.mcp_url)
    if tray_app.tray is not None:
        tray_app.tray.updates.schedule()  # the daily update check (here, not in start(): tests never reach GitHub)

    # Ctrl+C in the terminal that started us: Python only sees signals when the interpreter runs now and then.
    signal.signal(signal.SIGINT, lambda *_: tray_app.quit())
    signal.signal(signal.SIGTERM, lambda *_: tray_app.quit())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(300)
    try:
        return app.exec()
    finally:
        tray_app.shutdown()
        instance.release()
