"""The tray icon and its menu, rebuilt from the controller's snapshot each time it opens (Vorta's `build_menu`).

Everything a click does goes through the controller: settings changes are a small file write, anything that may
wait (client files, the keychain, sign-in) runs off the GUI thread and reports back as a notification.
"""

from __future__ import annotations

import concurrent.futures
import sys
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCursor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QSystemTrayIcon

from app.about import AboutDialog
from app.actions_row import error_box
from app.controller import SWITCHED_TO_SIGN_IN, UNREACHABLE, Controller
from app.icons import TrayState, state_label, tray_icon, tray_state
from app.log_viewer import LogViewer
from app.menu_model import KEY_OFF_LINE, NOT_SET_UP, Item, client_items, fill_menu, menu_items, profile_label
from app.updates import UpdateChecker
from bridge.api import (
    CallRecord,
    ClientStatus,
    OpenBrowser,
    ProfileView,
    SignedIn,
    SignInStep,
    Snapshot,
    WriteResult,
    system_browser,
)
from bridge.errors import BridgeError, SignInFailed

ShowSettings = Callable[[str], None]


RECENT_CALLS = 5  # the last calls in the menu's Recent activity
TOOL_DRIFT_TITLE = "Port renamed or removed tools"


def tool_drift_text(profile: str, summary: str) -> str:
    end = "" if summary.endswith("?") else "."
    return f"Port renamed or removed tools your list names ({profile}): {summary}{end} Review in Settings → Tools."


class Tray(QObject):
    """`menu` is the context menu (tests drive it without a system tray); `shown` carries every message the tray
    shows, so a desktop without notifications (or a test) still sees them."""

    shown = Signal(str, str)  # title, text
    changed = Signal()  # the menu's model changed without a new snapshot (clients read, a sign-in step)
    _progress = Signal(object)  # sign-in progress (a SignInStep), from the bridge's thread

    def __init__(
        self,
        controller: Controller,
        *,
        show_settings: ShowSettings,
        quit_app: Callable[[], None],
        warning: str | None = None,
        show_wizard: Callable[[], None] | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        open_browser: OpenBrowser = system_browser,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.api = controller.api
        self.warning = warning
        self.show_settings = show_settings
        self.quit_app = quit_app
        self.show_wizard = show_wizard or (lambda: show_settings("profiles"))
        self._open_url = open_url
        self._open_browser = open_browser
        self.dialog: QMessageBox | None = None
        self.clients: list[ClientStatus] | None = None  # None until the first look at the client files
        self.signing_in: tuple[str, concurrent.futures.Future[SignedIn]] | None = None
        self._sign_in_step = ""
        self.support_request = ""  # while the browser is open, or after a sign-in Port support must unblock
        self.in_window = False  # no system tray: the main window shows every message, so warnings need no dialog
        self.sign_in_link = ""  # no browser could be opened: the address to open by hand (Copy sign-in link)
        self.recent: list[CallRecord] | None = None  # the last calls (Recent activity), None until first read

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
        controller.notify.connect(self._notice)
        controller.activity.changed.connect(self.load_recent)
        controller.failed.connect(self.warn)
        controller.failedWith.connect(self.warn_with_actions)
        self._progress.connect(self._sign_in_progress)
        self.updates = UpdateChecker(controller, tell=self.message, open_url=open_url, parent=self)
        self.about: AboutDialog | None = None
        self.log_viewer: LogViewer | None = None
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
            lines.append(f"{NOT_SET_UP}: open the menu to try the demo or sign in")
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
                             lambda: self.show_settings("tools"))  # fmt: skip

    @property
    def message_action(self) -> Callable[[], None] | None:
        """What clicking the last message does (the main window offers it as a button)."""
        return self._on_click

    @Slot(str, str)
    def _notice(self, title: str, text: str) -> None:
        """The controller's notices; clicking "Port unreachable" runs the doctor, clicking a switch to a profile not
        signed in signs in."""
        on_click: Callable[[], None] | None = None
        if title == UNREACHABLE:
            on_click = partial(self.controller.showPage.emit, "doctor")
        elif title == SWITCHED_TO_SIGN_IN:
            on_click = self._sign_in_active
        self.message(title, text, on_click)

    def _sign_in_active(self) -> None:
        active = self.controller.snapshot.active
        if active is not None:
            self.sign_in(active)

    @Slot(object)
    def warn_with_actions(self, exc: BridgeError) -> None:
        """A failure with what to do about it (Copy snippet, Run doctor…): a dialog with those buttons, since a
        notification cannot carry them."""
        self.shown.emit(exc.title, exc.message)
        self.dialog = error_box(exc, self.controller, self._open_url)  # kept: no parent holds it
        self.dialog.open()

    @Slot(str, str)
    def warn(self, title: str, text: str) -> None:
        """An operation the user started failed: a notification, or a dialog where there is no tray to show it."""
        self._on_click = None
        self.shown.emit(title, text)
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10000)
        elif not self.in_window:
            self.dialog = QMessageBox(QMessageBox.Icon.Warning, title, text)  # kept: no parent holds it
            self.dialog.open()

    # --- the menu ----------------------------------------------------------------------------------------------

    @Slot()
    def build_menu(self) -> None:
        self.controller.refresh()
        fill_menu(self.menu, self.items(), {"clients": self.clients_menu})
        self.load_clients()

    def items(self) -> list[Item]:
        """The menu's model (app/menu_model.py): the main window and Settings render the same items."""
        return menu_items(self)

    def action(self, text: str, menu: QMenu | None = None) -> QAction:
        """The menu item whose text starts with `text` (tests and accessibility checks)."""
        for action in (menu or self.menu).actions():
            if action.text().startswith(text):
                return action
        raise KeyError(text)

    # --- what the items do -------------------------------------------------------------------------------------

    def set_read_only(self, profile_id: str, checked: bool) -> None:
        self.controller.set_read_only(profile_id, checked)
        self.message(
            "Read-only on" if checked else "Read-only off",
            "Your assistants can only read from Port now."
            if checked
            else "Your assistants can change things in Port again.",
        )

    def copy_url(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        self.message("MCP URL copied", f"{url}\nClients also need the local key: Connect a client adds both.")

    def open_logs(self) -> None:
        """The log viewer (which has Open folder)."""
        if self.log_viewer is None:
            self.log_viewer = LogViewer(open_url=self._open_url)
        self.log_viewer.bring_to_front()

    def show_about(self) -> None:
        if self.about is None:
            updates = self.api.updates
            self.about = AboutDialog(updates.version, check_for_updates=self.updates.check_now,
                                     automatic=updates.enabled, open_url=self._open_url)  # fmt: skip
        self.about.bring_to_front()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click opens the menu too (macOS does that by itself; Windows and Linux would do nothing).
        if reason == QSystemTrayIcon.ActivationReason.Trigger and sys.platform != "darwin":
            self.menu.popup(QCursor.pos())

    # --- sign-in -----------------------------------------------------------------------------------------------

    def sign_in(self, profile: ProfileView) -> None:
        if profile.auth_mode == "token":
            self.show_settings("profiles")  # API credentials are typed in the Profiles page
            return
        future = self.api.sign_in(profile.id, open_browser=self._open_browser, progress=self._progress.emit)
        self.signing_in, self._sign_in_step, self.support_request = (profile.name, future), "", ""
        self.sign_in_link = ""
        self.message("Signing in", f"Approve access for {profile.name} in your browser.")
        self.controller.watch(
            future, partial(self._signed_in, profile.name), partial(self._sign_in_failed, profile.name)
        )

    @property
    def sign_in_step(self) -> str:
        return self._sign_in_step

    @Slot(object)
    def _sign_in_progress(self, step: SignInStep) -> None:
        self._sign_in_step = step.text.split(":")[0].split("\n")[0].rstrip(" .…")
        if step.link:  # Copy sign-in link in the menu while the sign-in waits
            self.sign_in_link = step.link
        if step.link and not step.opened:  # no browser could be opened: the address itself, and a click that copies it
            self.message("Open the sign-in link", f"No browser could be opened. Click to copy the address, or use "
                         f"Copy sign-in link in this app's menu:\n{step.link}", self.copy_link)  # fmt: skip
        self.changed.emit()
        if step.sso is not None:  # the browser is open: if it shows Port's SSO error page, the menu has what to do
            self.support_request = step.sso.support_request
            self.message("Waiting for the browser", f"{step.sso.hint} Both are in this app's menu.")

    def _signed_in(self, name: str, result: SignedIn) -> None:
        self.signing_in, self.support_request, self.sign_in_link = None, "", ""
        who = result.identity
        text = f"{name} is signed in" + (f" to {who.organization_name}" if who.organization_name else "")
        text += f" as {who.email}." if who.email else "."
        self.message("Signed in", " ".join([text, *result.warnings]))

    def _sign_in_failed(self, name: str, exc: BaseException) -> None:
        self.signing_in, self.sign_in_link = None, ""
        if isinstance(exc, concurrent.futures.CancelledError):
            self.message("Sign-in cancelled", f"{name} is not signed in.")
            return
        from app.controller import describe_error

        # a time-out or a refusal Port support must unblock keeps the request in the menu; anything else drops it
        self.support_request = exc.support_request if isinstance(exc, SignInFailed) else ""
        if isinstance(exc, BridgeError) and exc.actions:
            self.warn_with_actions(exc)
        else:
            self.warn(*describe_error(exc))

    @Slot()
    def cancel_sign_in(self) -> None:
        if self.signing_in is not None:
            self.signing_in[1].cancel()

    def copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self.sign_in_link)
        self.message("Sign-in link copied", "Paste it into a browser's address bar and approve access there.")

    def copy_support_request(self) -> None:
        QGuiApplication.clipboard().setText(self.support_request)
        self.message("Request copied", "Paste it into a message to Port support. Meanwhile, API credentials work.")

    def use_credentials(self, profile_id: str) -> None:
        """Give up the browser for API credentials: the profile switches to them, typed in the Profiles page."""
        self.cancel_sign_in()
        self.support_request = ""
        self.controller.run(lambda: self.api.edit_profile(profile_id, auth_mode="token"),
                            lambda _: self.show_settings("profiles"))  # fmt: skip

    def sign_out(self, profile: ProfileView) -> None:
        self.controller.watch(
            self.api.sign_out(profile.id), lambda _: self.message("Signed out", f"{profile.name} is signed out.")
        )

    # --- clients -----------------------------------------------------------------------------------------------

    def load_clients(self) -> None:
        """Look at the client files again (off the GUI thread); the submenu fills in when the answer comes."""
        self.controller.run(self.api.client_statuses, self._clients_loaded, lambda exc: None)

    def load_recent(self) -> None:
        """The last calls, read off the GUI thread when the activity file changed: the menu never reads the file."""
        self.controller.run(lambda: self.api.activity.recent(RECENT_CALLS), self._recent_loaded, lambda exc: None)

    def _recent_loaded(self, records: list[CallRecord]) -> None:
        self.recent = records
        self.changed.emit()

    def _clients_loaded(self, statuses: list[ClientStatus]) -> None:
        self.clients = statuses
        self._fill_clients()

    def _fill_clients(self) -> None:
        fill_menu(self.clients_menu, client_items(self))
        self.changed.emit()

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
