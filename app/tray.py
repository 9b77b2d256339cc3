"""The tray icon and its menu, rebuilt from the controller's snapshot each time it opens (Vorta's `build_menu`).

Everything a click does goes through the controller: settings changes are a small file write, anything that may
wait (client files, the keychain, sign-in) runs off the GUI thread and reports back as a notification.
"""

from __future__ import annotations

import concurrent.futures
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCursor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QSystemTrayIcon

from app.controller import Controller
from app.icons import LABELS, TrayState, state_label, tray_icon, tray_state
from bridge.api import (
    SSO_ERROR_PAGE,
    ClientStatus,
    OpenBrowser,
    ProfileView,
    SignedIn,
    SignInStep,
    Snapshot,
    State,
    WriteResult,
    system_browser,
)
from bridge.errors import SignInFailed

ShowSettings = Callable[[str], None]
# The settings file has require_local_key false: any program on this computer can use the bridge.
KEY_OFF_LINE = "⚠ Local key off: any program here can use Port"


TOOL_DRIFT_TITLE = "Port renamed or removed tools"


def tool_drift_text(profile: str, summary: str) -> str:
    end = "" if summary.endswith("?") else "."
    return f"Port renamed or removed tools your list names ({profile}): {summary}{end} Review in Settings → Tools."


def _call(fn: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """A slot without parameters: PySide would otherwise pass `checked` to whatever accepts it."""
    return lambda: fn(*args)


def profile_label(profile: ProfileView) -> str:
    if profile.organization and profile.organization.lower() != profile.name.lower():
        return f"{profile.name} — {profile.organization}"  # not in parentheses: labels add their own
    return profile.name


def client_label(status: ClientStatus) -> tuple[str, bool]:
    """(menu text, connected) for one client: what one click on it will do."""
    name = status.client.name
    if status.problem:
        return f"{name}: cannot edit its file", False
    entry = status.entries[0]
    if entry.state == State.CURRENT:
        return f"{name}: connected", True
    if entry.state == State.STALE:
        return f"{name}: update ({', '.join(entry.reasons) or 'outdated'})", False
    return f"{name}: connect", False


class Tray(QObject):
    """`menu` is the context menu (tests drive it without a system tray); `shown` carries every message the tray
    shows, so a desktop without notifications (or a test) still sees them."""

    shown = Signal(str, str)  # title, text
    _progress = Signal(object)  # sign-in progress (a SignInStep), from the bridge's thread

    def __init__(
        self,
        controller: Controller,
        *,
        show_settings: ShowSettings,
        quit_app: Callable[[], None],
        warning: str | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        open_browser: OpenBrowser = system_browser,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.api = controller.api
        self.warning = warning
        self._show_settings = show_settings
        self._quit = quit_app
        self._open_url = open_url
        self._open_browser = open_browser
        self.dialog: QMessageBox | None = None
        self.clients: list[ClientStatus] | None = None  # None until the first look at the client files
        self.signing_in: tuple[str, concurrent.futures.Future[SignedIn]] | None = None
        self._sign_in_step = ""
        self.support_request = ""  # while the browser is open, or after a sign-in Port support must unblock

        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.build_menu)
        self.clients_menu = QMenu("Connect a client")
        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        controller.snapshotChanged.connect(self.update_icon)
        controller.snapshotChanged.connect(self.tell_tool_drift)
        self._drift_told: dict[str, object] = {}  # profile id -> the tool change last told (once per change)
        self._on_click: Callable[[], None] | None = None  # what clicking the last notification does
        self.icon.messageClicked.connect(lambda: self._on_click() if self._on_click else None)
        controller.notify.connect(self.message)
        controller.failed.connect(self.warn)
        self._progress.connect(self._sign_in_progress)
        self.update_icon(controller.snapshot)
        self.build_menu()

    def show(self) -> bool:
        """Show the icon; False where the desktop has no system tray (the app then opens a window instead)."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return False
        self.icon.show()
        return True

    # --- icon, tooltip, messages -------------------------------------------------------------------------------

    @Slot(object)
    def update_icon(self, snapshot: Snapshot) -> None:
        state = tray_state(snapshot)
        self.state = state
        self.icon.setIcon(tray_icon(state, read_only=bool(snapshot.active and snapshot.active.read_only)))
        self.icon.setToolTip(self.tooltip(snapshot))

    def tooltip(self, snapshot: Snapshot) -> str:
        state = tray_state(snapshot)
        lines = ["Port MCP Bridge"]
        if snapshot.active is None:
            lines.append("No profile yet: open Settings to add one")
        else:
            detail = state_label(snapshot)
            if state == TrayState.ERROR and snapshot.active.last_error:
                detail = snapshot.active.last_error
            lines.append(f"{profile_label(snapshot.active)}: {detail}")
        lines.append(snapshot.mcp_url)
        if self.warning:
            lines.append("No keychain: the local key lasts until you quit")
        if not snapshot.local_key_required:
            lines.append(KEY_OFF_LINE)
        return "\n".join(lines)

    @Slot(str, str)
    def message(self, title: str, text: str, on_click: Callable[[], None] | None = None) -> None:
        self._on_click = on_click
        self.shown.emit(title, text)
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 6000)

    @Slot(object)
    def tell_tool_drift(self, snapshot: Snapshot) -> None:
        """Tools a profile's exposure list names that Port no longer lists (renamed, most likely): said once per
        change, with a click to the Tools page, where a banner offers to update the list."""
        for profile in snapshot.profiles:
            drift = profile.tool_drift
            key = drift.key if drift else None
            if key == self._drift_told.get(profile.id):
                continue
            self._drift_told[profile.id] = key
            if drift:
                self.message(TOOL_DRIFT_TITLE, tool_drift_text(profile.name, drift.summary()),
                             lambda: self._show_settings("tools"))  # fmt: skip

    @Slot(str, str)
    def warn(self, title: str, text: str) -> None:
        """An operation the user started failed: a notification, or a dialog where there is no tray to show it."""
        self.shown.emit(title, text)
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10000)
        else:
            self.dialog = QMessageBox(QMessageBox.Icon.Warning, title, text)  # kept: no parent holds it
            self.dialog.open()

    # --- the menu ----------------------------------------------------------------------------------------------

    @Slot()
    def build_menu(self) -> None:
        self.controller.refresh()
        snapshot = self.controller.snapshot
        menu = self.menu
        menu.clear()
        state = tray_state(snapshot)
        active = snapshot.active
        status = LABELS[state] if active is None else f"{state_label(snapshot)}: {profile_label(active)}"
        menu.addAction(status).setEnabled(False)
        if self.warning:
            menu.addAction("No keychain: local key for this run only").setEnabled(False)
        if not snapshot.local_key_required:
            menu.addAction(KEY_OFF_LINE).setEnabled(False)
        menu.addSeparator()

        if snapshot.profiles:
            group = QActionGroup(menu)
            for profile in snapshot.profiles:
                action = menu.addAction(profile_label(profile))
                action.setCheckable(True)
                action.setChecked(profile.active)
                group.addAction(action)
                action.triggered.connect(_call(self._use_profile, profile.id))
        else:
            menu.addAction("Add a profile…").triggered.connect(lambda: self._show_settings("profiles"))

        if active is not None:
            read_only = menu.addAction("Read-only")
            read_only.setCheckable(True)
            read_only.setChecked(active.read_only)
            read_only.setToolTip("Only tools that read: nothing in Port can be changed from your assistants")
            read_only.triggered.connect(lambda: self._set_read_only(active.id, read_only.isChecked()))
            self._add_sign_in(active)
            if active.tool_drift:
                menu.addAction("⚠ Port renamed tools in your list: review…").triggered.connect(
                    lambda: self._show_settings("tools")
                )
        menu.addSeparator()

        copy = menu.addAction("Copy MCP URL")
        copy.triggered.connect(_call(self._copy_url, snapshot.mcp_url))
        self._fill_clients()
        menu.addMenu(self.clients_menu)
        menu.addSeparator()

        pause = menu.addAction("Resume" if snapshot.paused else "Pause")
        pause.triggered.connect(_call(self.controller.set_paused, not snapshot.paused))
        menu.addAction("Settings…").triggered.connect(lambda: self._show_settings("profiles"))
        menu.addAction("Doctor…").triggered.connect(lambda: self._show_settings("doctor"))
        menu.addAction("Open logs").triggered.connect(self._open_logs)
        menu.addSeparator()
        menu.addAction("Quit Port MCP Bridge").triggered.connect(self._quit)
        self.load_clients()

    def _add_sign_in(self, active: ProfileView) -> None:
        if active.demo:
            return  # the demo organization signs in by itself
        if self.signing_in is not None:
            label = f"Cancel signing in to {self.signing_in[0]}"
            if self._sign_in_step:
                label += f": {self._sign_in_step}"
            self.menu.addAction(label).triggered.connect(self.cancel_sign_in)
        elif not active.has_credentials or active.state == "needs_sign_in":
            self.menu.addAction(f"Sign in to {active.name}…").triggered.connect(_call(self.sign_in, active))
        else:
            self.menu.addAction(f"Sign out of {active.name}").triggered.connect(_call(self.sign_out, active))
        if self.support_request:  # Port's SSO error page in the browser: what to do is one click away
            self.menu.addAction(f"Browser shows “{SSO_ERROR_PAGE}”? Copy request for Port support").triggered.connect(
                self.copy_support_request
            )
            self.menu.addAction("Use API credentials instead…").triggered.connect(
                _call(self.use_credentials, active.id)
            )

    def action(self, text: str, menu: QMenu | None = None) -> QAction:
        """The menu item whose text starts with `text` (tests and accessibility checks)."""
        for action in (menu or self.menu).actions():
            if action.text().startswith(text):
                return action
        raise KeyError(text)

    # --- what the items do -------------------------------------------------------------------------------------

    def _use_profile(self, profile_id: str) -> None:
        self.controller.use_profile(profile_id)

    def _set_read_only(self, profile_id: str, checked: bool) -> None:
        self.controller.set_read_only(profile_id, checked)
        self.message(
            "Read-only on" if checked else "Read-only off",
            "Your assistants can only read from Port now."
            if checked
            else "Your assistants can change things in Port again.",
        )

    def _copy_url(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        self.message("MCP URL copied", f"{url}\nClients also need the local key: Connect a client adds both.")

    def _open_logs(self) -> None:
        from bridge.api import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._open_url(QUrl.fromLocalFile(str(folder)))

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click opens the menu too (macOS does that by itself; Windows and Linux would do nothing).
        if reason == QSystemTrayIcon.ActivationReason.Trigger and sys.platform != "darwin":
            self.menu.popup(QCursor.pos())

    # --- sign-in -----------------------------------------------------------------------------------------------

    def sign_in(self, profile: ProfileView) -> None:
        if profile.auth_mode == "token":
            self._show_settings("profiles")  # API credentials are typed in the Profiles page
            return
        future = self.api.sign_in(profile.id, open_browser=self._open_browser, progress=self._progress.emit)
        self.signing_in, self._sign_in_step, self.support_request = (profile.name, future), "", ""
        self.message("Signing in", f"Approve access for {profile.name} in your browser.")
        self.controller.watch(
            future, partial(self._signed_in, profile.name), partial(self._sign_in_failed, profile.name)
        )

    @Slot(object)
    def _sign_in_progress(self, step: SignInStep) -> None:
        self._sign_in_step = step.text.split(":")[0].split("\n")[0].rstrip(" .…")
        if step.sso is not None:  # the browser is open: if it shows Port's SSO error page, the menu has what to do
            self.support_request = step.sso.support_request
            self.message("Waiting for the browser", f"{step.sso.hint} Both are in this app's menu.")

    def _signed_in(self, name: str, result: SignedIn) -> None:
        self.signing_in, self.support_request = None, ""
        who = result.identity
        text = f"{name} is signed in" + (f" to {who.organization_name}" if who.organization_name else "")
        text += f" as {who.email}." if who.email else "."
        self.message("Signed in", " ".join([text, *result.warnings]))

    def _sign_in_failed(self, name: str, exc: BaseException) -> None:
        self.signing_in = None
        if isinstance(exc, concurrent.futures.CancelledError):
            self.message("Sign-in cancelled", f"{name} is not signed in.")
            return
        from app.controller import describe_error

        # a time-out or a refusal Port support must unblock keeps the request in the menu; anything else drops it
        self.support_request = exc.support_request if isinstance(exc, SignInFailed) else ""
        self.warn(*describe_error(exc))

    @Slot()
    def cancel_sign_in(self) -> None:
        if self.signing_in is not None:
            self.signing_in[1].cancel()

    def copy_support_request(self) -> None:
        QGuiApplication.clipboard().setText(self.support_request)
        self.message("Request copied", "Paste it into a message to Port support. Meanwhile, API credentials work.")

    def use_credentials(self, profile_id: str) -> None:
        """Give up the browser for API credentials: the profile switches to them, typed in the Profiles page."""
        self.cancel_sign_in()
        self.support_request = ""
        self.controller.run(lambda: self.api.edit_profile(profile_id, auth_mode="token"),
                            lambda _: self._show_settings("profiles"))  # fmt: skip

    def sign_out(self, profile: ProfileView) -> None:
        self.controller.watch(
            self.api.sign_out(profile.id), lambda _: self.message("Signed out", f"{profile.name} is signed out.")
        )

    # --- clients -----------------------------------------------------------------------------------------------

    def load_clients(self) -> None:
        """Look at the client files again (off the GUI thread); the submenu fills in when the answer comes."""
        self.controller.run(self.api.client_statuses, self._clients_loaded, lambda exc: None)

    def _clients_loaded(self, statuses: list[ClientStatus]) -> None:
        self.clients = statuses
        self._fill_clients()

    def _fill_clients(self) -> None:
        menu = self.clients_menu
        menu.clear()
        if self.clients is None:
            menu.addAction("Looking for clients…").setEnabled(False)
            return
        detected = [s for s in self.clients if s.detected]
        if not detected:
            menu.addAction("No client found on this computer").setEnabled(False)
        for status in detected:
            text, connected = client_label(status)
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(connected)
            action.triggered.connect(_call(self.connect_client, status))
        others = [s for s in self.clients if not s.detected]
        if others:
            more = menu.addMenu("Not found here")
            for status in others:
                more.addAction(status.client.name).triggered.connect(_call(self.connect_client, status))
        menu.addSeparator()
        menu.addAction("Manage clients…").triggered.connect(lambda: self._show_settings("clients"))

    def connect_client(self, status: ClientStatus) -> None:
        client = status.client

        def done(result: WriteResult) -> None:
            if result.changed:
                written = self.api.shown_path(result.path)
                said = " ".join(x for x in (f"Wrote {written}.", result.note, client.after_write) if x)
                self.message(f"{client.name} connected", said)
            else:
                self.message(
                    f"{client.name} is connected",
                    f"{self.api.shown_path(result.path)} already has the current entry. {result.note}".strip(),
                )
            self.load_clients()

        self.controller.run(lambda: self.api.connect_client(client.id), done)
