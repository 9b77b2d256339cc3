"""Profiles: add, edit and remove the Port organizations the bridge reaches, and sign each in (browser or API
credentials). Secrets go straight to the keychain through the bridge; this page never keeps them. The demo
organization gets `DemoPanel` instead of the form: there is nothing to fill in. Edits are never dropped silently:
selecting another profile asks to save them."""

from __future__ import annotations

import concurrent.futures

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.actions_row import ActionsRow
from app.controller import Controller, describe_error
from app.settings.approvals_box import ApprovalsBox
from app.settings.common import Page, VerticalScroll
from app.settings.demo_panel import DemoPanel
from app.settings.profile_form import ProfileForm
from app.settings.profile_list import MAX_WIDTH, ProfileList
from app.settings.sign_in_box import Progress, SignInBox, ask_unsaved
from bridge.api import (
    AuthMode,
    OpenBrowser,
    Profile,
    RemovedProfile,
    SignInStatus,
    SignInStep,
    Snapshot,
    parse_region,
    system_browser,
    validate_profile_name,
)
from bridge.errors import BridgeError, SignInFailed


class ProfilesPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Profiles",
            "Each profile is one Port organization. Your assistants reach the active one; switch with Make active "
            "or from the app's menu.",
        )
        self.open_browser: OpenBrowser = system_browser  # tests sign in without a real browser
        self._sign_in: concurrent.futures.Future | None = None  # of an account.SignedIn
        self._state: str | None = None  # the shown profile's saved sign-in (account.SignInStatus.state), once read
        self._progress = Progress()
        self._progress.step.connect(self._sign_in_step)

        columns = QHBoxLayout()
        left = QVBoxLayout()
        self.list = ProfileList()
        self.list.setAccessibleName("Profiles")
        self.list.setMaximumWidth(MAX_WIDTH)
        self.list.currentItemChanged.connect(self._current_changed)
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add")
        self.add_button.clicked.connect(lambda: self.new_profile())
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.clicked.connect(self.remove)
        self.use_button = QPushButton("&Make active")
        self.use_button.clicked.connect(self.make_active)
        for button in (self.add_button, self.remove_button, self.use_button):
            buttons.addWidget(button)
        left.addLayout(buttons)
        columns.addLayout(left)

        right = QVBoxLayout()
        self.details = details = ProfileForm()
        self.name, self.region, self.url, self.url_note = details.name, details.region, details.url, details.url_note
        self.mode, self.client_id, self.secret = details.mode, details.client_id, details.secret
        self.api_url = details.api_url
        self.save_button, self.form_notice = details.save_button, details.form_notice
        details.changed.connect(self._sync_form)
        details.submitted.connect(self.save)
        right.addWidget(details)

        self.sign_actions = ActionsRow(controller)
        self.account = account = SignInBox(self.sign_actions)
        self.sign_state, self.sign_status, self.sso_hint = account.sign_state, account.sign_status, account.sso_hint
        self.sign_in_button, self.cancel_button = account.sign_in_button, account.cancel_button
        self.sign_out_button, self.busy = account.sign_out_button, account.busy
        self.sign_in_button.clicked.connect(self.sign_in)
        self.cancel_button.clicked.connect(self.cancel_sign_in)
        self.sign_out_button.clicked.connect(self.sign_out)
        self.sso_hint.useCredentials.connect(self.use_credentials)
        right.addWidget(account)
        self.demo_panel = DemoPanel()
        self.demo_panel.addProfile.connect(lambda: self.new_profile())
        right.addWidget(self.demo_panel)
        self.approvals = ApprovalsBox(self._save_setting)  # the demo's too: approvals can be tried on it
        right.addWidget(self.approvals)
        right.addStretch(1)
        holder = QWidget()
        holder.setLayout(right)
        # A sign-in under way adds the link, the SSO help and their buttons: on a short window the column scrolls
        # rather than squeezing its wrapped lines into clipped ones.
        scroll = VerticalScroll(holder)
        scroll.verticalScrollBar().setAccessibleName("Scroll the profile's details")
        columns.addWidget(scroll, 1)
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
        row = self.list.row_of(profile_id)
        if row >= 0 and row == self.list.currentRow():  # already current (a new first profile): no signal comes
            self._current_changed(self.list.currentItem(), None)
        elif row >= 0:
            self.list.setCurrentRow(row)

    def _update_list(self, snapshot: Snapshot) -> None:
        if self._asking:  # the rows stay as they are while the user answers; redrawn after
            return
        if self._creating and self._untouched and snapshot.profiles and not self._dirty():
            self._creating = False  # a first profile came from elsewhere (the wizard's demo): show it
        # While a new profile is being written no row is current, so clicking any row (the active one too) leaves it.
        keep = None if self._creating else self.profile_id or (snapshot.active.id if snapshot.active else None)
        self.list.show_profiles(snapshot, keep)
        if not snapshot.profiles and not self._creating:
            self.new_profile(focus=False)  # nothing to edit: the form adds the first profile
            self._untouched = True
        elif not self._creating and self.list.currentItem() is None:
            self.list.setCurrentRow(0)
        elif not self._creating:
            self._selected(refill=self._shown != keep)

    _shown: str | None = None  # the profile whose values the form holds
    _asking = False
    _untouched = False  # the "Add profile" form was opened by the page (no profile yet), not by the user

    def _current_changed(self, *_: object) -> None:
        """Another row: first ask what to do with edits the form holds (Cancel, or a save that fails, stays)."""
        if not self._dirty():
            self._selected()
            return
        item, name, self._asking = self.list.currentItem(), self.name.text().strip(), True
        target = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        try:
            answer = self.ask_unsaved(self._shown_name())
        finally:
            self._asking = False
        saved = answer == "save" and self.save(then_select=False)
        if answer == "cancel" or (answer == "save" and not saved):  # back to the row the form belongs to
            self.list.show_profiles(self.controller.snapshot, None if self._creating else self._shown)
            return
        self.list.show_profiles(self.controller.snapshot, target)  # rows and their current one, without a signal
        self._selected()
        if saved:
            self.form_notice.show_text(f"Saved {name}.", "ok")

    def _shown_name(self) -> str:
        profile = self.api.settings().find_profile(self._shown or "") if not self._creating else None
        return profile.name if profile else "the new profile"

    def _dirty(self) -> bool:
        """The form holds something not saved (never for the demo, which has no form)."""
        if self._creating:
            return self.details.differs(None)
        profile = self.api.settings().find_profile(self._shown or "")
        return profile is not None and not self.details.isHidden() and self.details.differs(profile)

    def ask_unsaved(self, name: str) -> str:
        """ "save", "discard" or "cancel" (tests replace this)."""
        return ask_unsaved(self, name)

    def _selected(self, refill: bool = True) -> None:
        if self.list.currentItem() is not None:
            self._creating = False
        profile = self.api.settings().find_profile(self.profile_id or "")
        if refill:
            self._fill(profile)
        self.approvals.show_profile(profile)
        view = next((v for v in self.controller.snapshot.profiles if profile and v.id == profile.id), None)
        demo = bool(view and view.demo)
        self.details.setVisible(not demo)
        self.account.setVisible(not demo)
        if view is not None and demo:
            self.demo_panel.show_profile(view)
        else:
            self.demo_panel.hide()
        self._sync_form()
        if profile is not None and not demo:
            self._load_sign_in(profile)

    def _fill(self, profile: Profile | None) -> None:
        self._shown = profile.id if profile else None
        self.details.fill(profile)
        self.sign_status.show_text("")
        self.sign_actions.show_actions(())
        self.sso_hint.hide()
        self.account.link.clear()
        self._state = None
        self.sign_state.show_text("" if profile else "Save the profile, then sign in.", "muted")

    def _load_sign_in(self, profile: Profile) -> None:
        def show(status: SignInStatus) -> None:
            if self.profile_id == profile.id:
                self._state = self.account.show_status(status)
                self._sync_form()

        self.work(lambda: self.api.sign_in_status(profile.id), show, self.sign_state)

    def _sync_form(self) -> None:
        self.details.sync_rows()
        signing = self._sign_in is not None
        exists = self.profile_id is not None
        typed = all(self.details.new_credentials())
        self.account.show_buttons(exists=exists, signing=signing, state=self._state, token=self.details.token,
                                  new_credentials=typed)  # fmt: skip
        self.remove_button.setEnabled(exists and not signing)
        active = self.controller.snapshot.active
        self.use_button.setEnabled(exists and not (active and active.id == self.profile_id))
        self.save_button.setText("A&dd profile" if self._creating else "&Save")

    # --- add / edit / remove ---------------------------------------------------------------------------------------

    def new_profile(self, focus: bool = True) -> None:
        if self._dirty() and self.profile_id is not None:
            answer = self.ask_unsaved(self._shown_name())
            if answer == "cancel" or (answer == "save" and not self.save(then_select=False)):
                return
        self._creating, self._untouched = True, False
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)  # no current item (what setCurrentItem(None) does)
        self.list.blockSignals(False)
        self._fill(None)
        self.approvals.show_profile(None)  # saved with the profile's defaults; changed once it exists
        self.details.show()
        self.account.show()
        self.demo_panel.hide()
        self._sync_form()
        if focus:
            self.name.setFocus()

    def save(self, then_select: bool = True) -> bool:
        """Validate with the same functions (and messages) as the command line, then write; API credentials typed
        are then checked with Port. `then_select`: show the profile saved (False: another row is being selected)."""
        credentials = self.details.new_credentials()  # before a refill clears them
        note = self.details.understood()
        try:
            name = validate_profile_name(self.name.text())
            region = self.details.region_text()
            if self.details.custom:
                parse_region(region or "custom")
        except Exception as exc:
            self.form_notice.show_text(describe_error(exc)[1], "error")
            return False
        mode = self.mode.currentData()
        if self._creating:
            created: list[Profile] = []
            api_url = self.details.api_url_change().get("api_url")
            if not self.change(lambda: created.append(self.api.add_profile(name, region, mode, api_url=api_url)),
                               self.form_notice):  # fmt: skip
                return False
            self._creating, target = False, created[0].id
            if then_select:
                self.select(target)
            self.form_notice.show_text(f"Added {name}." if all(credentials) else
                                       f"Added {name}. Now sign in.", "ok")  # fmt: skip
        else:
            profile_id = self._shown  # the profile whose values the form holds
            if profile_id is None:
                return False
            changes = {"name": name, "region": region, "auth_mode": mode, **self.details.api_url_change()}
            if not self.change(lambda: self.api.edit_profile(profile_id, **changes), self.form_notice):
                return False
            self.form_notice.show_text("Saved.", "ok")
            target = profile_id
        self._say(note)
        self.secret.clear()
        if all(credentials):
            self._start_sign_in(target, *credentials)
        return True

    def _save_setting(self, profile_id: str, **changes: object) -> str:
        """A setting saved as soon as it is changed (the approvals box): "" when saved, else why not."""
        try:
            self.api.edit_profile(profile_id, **changes)
        except BridgeError as exc:
            return exc.message
        self.controller.refresh()
        return ""

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
        self.sign_actions.show_actions(())
        profile_id = self.profile_id
        if profile_id is not None:
            self._start_sign_in(profile_id, self.client_id.text().strip(), self.secret.text().strip())

    def _start_sign_in(self, profile_id: str, client_id: str, secret: str) -> None:
        if self._sign_in is not None:
            return
        profile = self.api.settings().get_profile(profile_id)
        try:
            if profile.auth_mode == AuthMode.TOKEN:
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
        if step.link:
            self.account.link.show_link(step.link, opened=step.opened)
        if step.sso is not None:  # the browser is open: what Port's SSO error page there would mean
            self.sso_hint.show_help(step.sso.hint, step.sso.support_request)
        else:
            self.sso_hint.hide()

    def use_credentials(self) -> None:
        """The way out for an SSO organization today: the form in API-credentials mode, the browser given up."""
        self.mode.setCurrentIndex(self.mode.findData("token"))
        self.cancel_sign_in()
        self.sso_hint.hide()
        self.account.link.clear()
        self._ask_for_credentials()
        self.client_id.setFocus()

    def _ask_for_credentials(self) -> None:
        self.sign_status.show_text("Enter the client ID and secret from Port (avatar menu → Credentials), then Save: "
                                   "they are checked with Port and kept in the system keychain.", "info")  # fmt: skip

    def _signed_in(self, profile_id: str, result: object) -> None:
        self._sign_in = None
        self.sso_hint.hide()
        self.account.link.clear()
        updated = getattr(result, "profile", None)
        org = getattr(updated, "organization", "") or ""
        warnings = " ".join(getattr(result, "warnings", ()))  # said in the warning colour, not the success one
        self.sign_status.show_text(f"Signed in{' to ' + org if org else ''}. {warnings}".strip(),
                                   "warn" if warnings else "ok")  # fmt: skip
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
            self.sign_actions.show_error(exc)  # a button for what to do, never a command
        if isinstance(exc, SignInFailed) and exc.support_request:  # the message explains; keep the buttons
            self.sso_hint.show_help("", exc.support_request)
        else:
            self.sso_hint.hide()
        self.account.link.clear()
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
            self.sign_status.show_text(" ".join(["Signed out.", *notes]), "warn" if notes else "ok")
            profile = self.api.settings().find_profile(profile_id)
            if profile is not None:
                self._load_sign_in(profile)

        self.controller.watch(future, done, self._sign_in_failed)
