"""Profiles: add, edit and remove the Port organizations the bridge reaches, and sign each in (browser or API
credentials). Secrets go straight to the keychain through the bridge; this page never keeps them."""

from __future__ import annotations

import concurrent.futures
import time
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.controller import Controller, describe_error
from app.settings.common import Notice, Page
from app.sso_hint import SsoHint, credential_fields
from bridge.api import (
    PORT_REGIONS,
    AuthMode,
    OpenBrowser,
    Profile,
    RemovedProfile,
    SignInStep,
    Snapshot,
    default_api_url,
    parse_region,
    region_note,
    system_browser,
    validate_profile_name,
)
from bridge.errors import SignInFailed

REGIONS = [*((f"{r.label} ({r.app_host})", r.code.value) for r in PORT_REGIONS.values()), ("Custom URL…", "custom")]
MODES = [("Browser sign-in", "oauth"), ("API credentials (client id and secret)", "token")]
SIGN_IN_TEXT = {"signed in": "Signed in", "API credentials": "API credentials saved in the keychain",
                "expired": "The sign-in has expired", "not signed in": "Not signed in",
                "sign-in needed": "Port ended this sign-in: sign in again"}  # fmt: skip
STATE_TEXT = {"signed_in": "signed in", "needs_sign_in": "sign-in needed", "error": "Port unreachable", "idle": ""}


class _Progress(QObject):
    """Sign-in progress is reported from the bridge's thread; a signal carries it to the GUI thread."""

    step = Signal(object)  # a SignInStep


class ProfilesPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Profiles",
            "Each profile is one Port organization. Your assistants reach the active one; switch from the tray.",
        )
        self.open_browser: OpenBrowser = system_browser  # tests sign in without a real browser
        self._sign_in: concurrent.futures.Future | None = None  # of an account.SignedIn
        self._progress = _Progress()
        self._progress.step.connect(self._sign_in_step)

        columns = QHBoxLayout()
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setAccessibleName("Profiles")
        self.list.setMinimumWidth(200)
        self.list.setMaximumWidth(260)
        self.list.setSpacing(3)
        self.list.setStyleSheet("QListWidget::item { padding: 4px 6px; }")
        self.list.currentItemChanged.connect(lambda *_: self._selected())
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.new_profile)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.clicked.connect(self.remove)
        self.use_button = QPushButton("Make active")
        self.use_button.clicked.connect(self.make_active)
        for button in (self.add_button, self.remove_button, self.use_button):
            buttons.addWidget(button)
        left.addLayout(buttons)
        columns.addLayout(left)

        right = QVBoxLayout()
        details = QGroupBox("Profile")
        form = QFormLayout(details)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Acme production")
        form.addRow("Name:", self.name)
        self.region = QComboBox()
        for label, value in REGIONS:
            self.region.addItem(label, value)
        self.region.currentIndexChanged.connect(lambda _: self._sync_form())
        form.addRow("Region:", self.region)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://mcp.example.com/v1")
        self.url.textChanged.connect(lambda _: self._url_typed())
        form.addRow("MCP URL:", self.url)
        self.url_note = Notice()  # what a pasted Port address is read as
        form.addRow("", self.url_note)
        self.mode = QComboBox()
        for label, value in MODES:
            self.mode.addItem(label, value)
        self.mode.currentIndexChanged.connect(lambda _: self._sync_form())
        form.addRow("Sign in with:", self.mode)
        self.client_id, self.secret = credential_fields(form)
        # Custom URL + API credentials only: where the credentials are exchanged for a token. Never guessed from the
        # MCP URL (only this computer's sandbox has a default, shown as the placeholder).
        self.api_url = QLineEdit()
        self.api_url.setToolTip(
            "The Port API behind this MCP endpoint: API credentials are sent there, and only there."
        )
        form.addRow("API URL:", self.api_url)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addStretch(1)
        form.addRow("", save_row)
        self.form_notice = Notice()
        form.addRow("", self.form_notice)
        right.addWidget(details)

        account = QGroupBox("Sign-in")
        box = QVBoxLayout(account)
        self.sign_state = Notice()
        box.addWidget(self.sign_state)
        row = QHBoxLayout()
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_sign_in)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self.sign_out)
        for button in (self.sign_in_button, self.cancel_button, self.sign_out_button):
            row.addWidget(button)
        row.addStretch(1)
        box.addLayout(row)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        box.addWidget(self.busy)
        self.sign_status: Notice = Notice()
        box.addWidget(self.sign_status)
        self.sso_hint = SsoHint()
        self.sso_hint.useCredentials.connect(self.use_credentials)
        box.addWidget(self.sso_hint)
        right.addWidget(account)
        right.addStretch(1)
        holder = QWidget()
        holder.setLayout(right)
        columns.addWidget(holder, 1)
        self.body.addLayout(columns, 1)

        self._creating = False
        controller.snapshotChanged.connect(self._update_list)
        self._update_list(controller.snapshot)

    # --- the list ------------------------------------------------------------------------------------------------

    @property
    def profile_id(self) -> str | None:
        item = self.list.currentItem()
        return None if self._creating or item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, profile_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == profile_id:
                self.list.setCurrentRow(i)

    def _update_list(self, snapshot: Snapshot) -> None:
        keep = self.profile_id or (snapshot.active.id if snapshot.active else None)
        self.list.blockSignals(True)
        self.list.clear()
        for view in snapshot.profiles:
            state = STATE_TEXT.get(view.state, view.state)
            where = view.region.upper() if len(view.region) == 2 else urlsplit(view.region).netloc
            detail = " · ".join(x for x in (view.organization, where, state) if x)
            item = QListWidgetItem(f"{view.name}{'  (active)' if view.active else ''}\n{detail}")
            item.setToolTip(view.region)
            item.setData(Qt.ItemDataRole.UserRole, view.id)
            self.list.addItem(item)
            if view.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if not self._creating and self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        elif not self._creating:
            self._selected(refill=self._shown != keep)

    _shown: str | None = None

    def _selected(self, refill: bool = True) -> None:
        if self.list.currentItem() is not None:
            self._creating = False
        profile = self.api.settings().find_profile(self.profile_id or "")
        if refill:
            self._fill(profile)
        self._sync_form()
        if profile is not None:
            self._load_sign_in(profile)

    def _fill(self, profile: Profile | None) -> None:
        self._shown = profile.id if profile else None
        self.name.setText(profile.name if profile else "")
        region = profile.region.value if profile else "eu"
        self.region.setCurrentIndex([v for _, v in REGIONS].index(region))
        self.url.setText((profile.base_url or "") if profile else "")
        self.api_url.setText((profile.api_base_url or "") if profile else "")
        self.url_note.show_text("")
        self.mode.setCurrentIndex([v for _, v in MODES].index(profile.auth_mode.value if profile else "oauth"))
        self.client_id.clear()
        self.secret.clear()
        self.form_notice.show_text("")
        self.sign_status.show_text("")
        self.sso_hint.hide()
        self.sign_state.show_text("" if profile else "Save the profile, then sign in.", "muted")

    def _load_sign_in(self, profile: Profile) -> None:
        def show(status: object) -> None:
            if self.profile_id != profile.id:
                return
            state = getattr(status, "state", "")
            expires = getattr(status, "expires_at", None)
            who = getattr(getattr(status, "identity", None), "email", "") or ""
            text = SIGN_IN_TEXT.get(state, state)
            if who:
                text += f" as {who}"
            if expires and state == "signed in":
                text += f" (token renews itself; current one until {time.strftime('%H:%M', time.localtime(expires))})"
            self.sign_state.show_text(text + ".", "ok" if state in ("signed in", "API credentials") else "warn")
            self.sign_out_button.setEnabled(state != "not signed in")

        self.work(lambda: self.api.sign_in_status(profile.id), show, self.sign_state)

    def _sync_form(self) -> None:
        custom = self.region.currentData() == "custom"
        token = self.mode.currentData() == "token"
        self.url.setEnabled(custom)
        self.url.setVisible(custom)
        parent = self.url.parentWidget()
        form = parent.layout() if parent is not None else None
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.url, custom)
            form.setRowVisible(self.url_note, bool(self.url_note.text()))
            form.setRowVisible(self.client_id, token)
            form.setRowVisible(self.secret, token)
            form.setRowVisible(self.api_url, custom and token)
        signing = self._sign_in is not None
        exists = self.profile_id is not None
        self.sign_in_button.setEnabled(exists and not signing)
        self.cancel_button.setVisible(signing)
        self.busy.setVisible(signing)
        self.remove_button.setEnabled(exists and not signing)
        active = self.controller.snapshot.active
        self.use_button.setEnabled(exists and not (active and active.id == self.profile_id))
        self.save_button.setText("Add profile" if self._creating else "Save")

    # --- add / edit / remove ---------------------------------------------------------------------------------------

    def new_profile(self) -> None:
        self._creating = True
        self.list.clearSelection()
        self.list.setCurrentRow(-1)  # no current item (what setCurrentItem(None) does)
        self._fill(None)
        self._sync_form()
        self.name.setFocus()

    def _url_typed(self) -> None:
        """Say at once what a pasted Port address is (its region), and what the API URL defaults to, if anything."""
        text = self.url.text()
        self.url_note.show_text(region_note(text) or "", "ok")
        default = default_api_url(text.strip()) if "://" in text else None
        self.api_url.setPlaceholderText(f"{default} (this computer's sandbox)" if default else
                                        "Required, e.g. https://api.example.com/v1")  # fmt: skip
        self._sync_form()

    def _understood(self) -> str | None:
        """A Port address in the MCP URL field is its region: switch to it, and say why (returned, to say again once
        the saved profile is shown)."""
        if self.region.currentData() != "custom":
            return None
        note = region_note(self.url.text())
        if note is None:
            return None
        region = parse_region(self.url.text())[0].value
        self.region.setCurrentIndex([v for _, v in REGIONS].index(region))
        self.url.clear()
        self.url_note.show_text(note, "ok")
        self._sync_form()
        return note

    def _region_text(self) -> str:
        value = self.region.currentData()
        return self.url.text().strip() if value == "custom" else value

    def _api_url_change(self) -> dict[str, str]:
        """The API URL to save: only where the field is shown (custom + token); "" clears it."""
        if self.region.currentData() == "custom" and self.mode.currentData() == "token":
            return {"api_url": self.api_url.text().strip()}
        return {}

    def save(self) -> None:
        """Validate with the same functions (and messages) as the command line, then write."""
        note = self._understood()
        try:
            name = validate_profile_name(self.name.text())
            region = self._region_text()
            if self.region.currentData() == "custom":
                parse_region(region or "custom")
        except Exception as exc:
            self.form_notice.show_text(describe_error(exc)[1], "error")
            return
        mode = self.mode.currentData()
        if self._creating:
            created: list[Profile] = []
            api_url = self._api_url_change().get("api_url")
            if not self.change(lambda: created.append(self.api.add_profile(name, region, mode, api_url=api_url)),
                               self.form_notice):  # fmt: skip
                return
            self._creating = False
            self.controller.refresh()
            self.select(created[0].id)
            self.form_notice.show_text(f"Added {name}. Now sign in.", "ok")
            self._say(note)
        else:
            profile_id = self.profile_id
            if profile_id is None:
                return
            changes = {"name": name, "region": region, "auth_mode": mode, **self._api_url_change()}
            if self.change(lambda: self.api.edit_profile(profile_id, **changes), self.form_notice):
                self.form_notice.show_text("Saved.", "ok")
                self._say(note)
        if mode == "token" and self.client_id.text().strip() and self.secret.text():
            self.sign_in()

    def _say(self, note: str | None) -> None:
        if note:
            self.url_note.show_text(note, "ok")
            self._sync_form()

    def remove(self) -> None:
        profile_id = self.profile_id
        if profile_id is None:
            return
        name = self.api.settings().get_profile(profile_id).name
        if not self.confirm(
            f"Remove {name}?",
            f"{name} and its saved sign-in (in the system keychain) are deleted. Assistants using it switch to "
            "another profile.",
            "Remove",
        ):
            return

        def done(removed: RemovedProfile) -> None:
            self._shown = None
            self.controller.refresh()
            if removed.keychain_note:
                self.form_notice.show_text(f"Removed {name}, but its keychain entries remain: {removed.keychain_note}",
                                           "warn")  # fmt: skip
            else:
                self.form_notice.show_text(f"Removed {name}.", "ok")

        self.work(lambda: self.api.remove_profile(profile_id), done, self.form_notice, f"Removing {name}…")

    def make_active(self) -> None:
        profile_id = self.profile_id
        if profile_id:
            self.change(lambda: self.api.use_profile(profile_id), self.form_notice)
            self._sync_form()

    # --- sign-in -------------------------------------------------------------------------------------------------

    def sign_in(self) -> None:
        profile_id = self.profile_id
        if profile_id is None or self._sign_in is not None:
            return
        profile = self.api.settings().get_profile(profile_id)
        try:
            if profile.auth_mode == AuthMode.TOKEN:
                client_id, secret = self.client_id.text().strip(), self.secret.text().strip()
                if not client_id or not secret:
                    self.sign_status.show_text("Enter the client id and secret first (Port: avatar menu → "
                                               "Credentials).", "error")  # fmt: skip
                    return
                future = self.api.sign_in_with_token(profile_id, client_id, secret)
                self.sign_status.show_text("Checking the credentials with Port…", "muted")
            else:
                future = self.api.sign_in(profile_id, open_browser=self.open_browser,
                                          progress=self._progress.step.emit)  # fmt: skip
                self.sign_status.show_text("Opening your browser…", "muted")
        except Exception as exc:
            self.sign_status.show_text(describe_error(exc)[1], "error")
            return
        self.secret.clear()  # the page does not hold on to it
        self._sign_in = future
        self._sync_form()
        self.controller.watch(future, lambda result: self._signed_in(profile_id, result), self._sign_in_failed)

    def _sign_in_step(self, step: SignInStep) -> None:
        self.sign_status.show_text(step.text, "muted")
        if step.sso is not None:  # the browser is open: what Port's SSO error page there would mean
            self.sso_hint.show_help(step.sso.hint, step.sso.support_request)
        else:
            self.sso_hint.hide()

    def use_credentials(self) -> None:
        """The way out for an SSO organization today: the form in API-credentials mode, the browser given up."""
        self.mode.setCurrentIndex([v for _, v in MODES].index("token"))
        self.cancel_sign_in()
        self.sso_hint.hide()
        self._ask_for_credentials()
        self.client_id.setFocus()

    def _ask_for_credentials(self) -> None:
        self.sign_status.show_text("Enter the client ID and secret from Port (avatar menu → Credentials), then Save: "
                                   "they are checked with Port and kept in the system keychain.", "info")  # fmt: skip

    def _signed_in(self, profile_id: str, result: object) -> None:
        self._sign_in = None
        self.sso_hint.hide()
        updated = getattr(result, "profile", None)
        org = getattr(updated, "organization", "") or ""
        warnings = " ".join(getattr(result, "warnings", ()))
        self.sign_status.show_text(f"Signed in{' to ' + org if org else ''}. {warnings}".strip(), "ok")
        self._sync_form()
        profile = self.api.settings().find_profile(profile_id)
        if profile is not None and self.profile_id == profile_id:
            self._load_sign_in(profile)

    def _sign_in_failed(self, exc: BaseException) -> None:
        self._sign_in = None
        title, message = describe_error(exc)
        cancelled = isinstance(exc, concurrent.futures.CancelledError)
        if cancelled and self.mode.currentData() == "token":
            self._ask_for_credentials()  # the browser was given up for API credentials
        else:
            self.sign_status.show_text("Sign-in cancelled." if cancelled else f"{title}: {message}",
                                       "muted" if cancelled else "error")  # fmt: skip
        if isinstance(exc, SignInFailed) and exc.support_request:  # the message explains; keep the buttons
            self.sso_hint.show_help("", exc.support_request)
        else:
            self.sso_hint.hide()
        self._sync_form()

    def cancel_sign_in(self) -> None:
        if self._sign_in is not None:
            self._sign_in.cancel()

    def sign_out(self) -> None:
        profile_id = self.profile_id
        if profile_id is None:
            return
        try:
            future = self.api.sign_out(profile_id)
        except Exception as exc:
            self.sign_status.show_text(describe_error(exc)[1], "error")
            return

        def done(notes: list[str]) -> None:
            self.sign_status.show_text(" ".join(["Signed out.", *notes]), "ok")
            profile = self.api.settings().find_profile(profile_id)
            if profile is not None:
                self._load_sign_in(profile)

        self.controller.watch(future, done, self._sign_in_failed)
