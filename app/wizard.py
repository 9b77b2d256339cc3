"""First run: choose the demo organization or sign in to Port, connect a client, done.

Three clicks from first launch to a connected IDE on the demo: "Try the demo organization", a client's "Connect",
"Done". Every step that waits (the sandbox starting, the browser, client files) runs through the controller, so the
window stays responsive and shows what is happening.
"""

from __future__ import annotations

import concurrent.futures
import html

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCommandLinkButton,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import windows
from app.accessibility import close_keys
from app.actions_row import ActionsRow, LinkBox
from app.client_row import note_label, text_label, title_label
from app.controller import Controller, describe_error
from app.icons import app_icon
from app.palette import warning_style
from app.sso_hint import SsoHint, credential_fields
from app.wizard_done import DonePage
from bridge.api import (
    PORT_REGIONS,
    OpenBrowser,
    Profile,
    SignedIn,
    SignInStep,
    parse_region,
    region_note,
    system_browser,
)
from bridge.errors import SignInFailed

REGIONS = [(r.code.value, r.label, r.app_host) for r in PORT_REGIONS.values()]  # Port's regions: one table


class FirstRunWizard(QDialog):
    """`finishedSetup` when the user presses Done (a profile exists then); closing early leaves the tray to it."""

    finishedSetup = Signal()
    _progress = Signal(object)  # sign-in progress (a SignInStep), from the bridge's thread

    def __init__(
        self,
        controller: Controller,
        *,
        warning: str | None = None,
        open_browser: OpenBrowser = system_browser,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.api = controller.api
        self._open_browser = open_browser
        self.profile: Profile | None = None
        self.signing_in: concurrent.futures.Future | None = None  # of an account.SignedIn
        self.with_credentials = False  # API credentials instead of the browser (SSO organizations, for now)
        # (the profile sign-in added here, the one active before it) until it is signed in: removed otherwise
        self.unfinished: tuple[str, str | None] | None = None
        self.setWindowTitle("Set up Port MCP Bridge")
        self.setWindowIcon(app_icon())
        self.resize(620, 360)
        self._close_keys = close_keys(self, self.reject, escape=False)  # Ctrl+W / Cmd+W; a dialog has Esc
        self.setStyleSheet(
            f"QLabel#warning {{ {warning_style(self.palette())} padding: 6px 8px; }}"
            " QLabel#note { color: palette(placeholder-text); }"
        )

        self.pages = QStackedWidget()
        self.pages.addWidget(self._welcome_page(warning))
        self.pages.addWidget(self._sign_in_page())
        self.last_page = DonePage(controller)
        self.last_page.finished.connect(self.finish)
        self.done_button = self.last_page.done_button
        self.pages.addWidget(self.last_page)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grow as client rows and results appear
        layout.setContentsMargins(28, 24, 28, 20)
        layout.addWidget(self.pages)
        self._progress.connect(self._sign_in_step)
        self._go(0)

    def _go(self, index: int) -> None:
        """Show a page with its main button as the default (Enter presses it, and it is drawn as the one to press)."""
        self.pages.setCurrentIndex(index)
        button = (self.demo_button, self.browser_button, self.done_button)[index]
        button.setDefault(True)
        button.setFocus()

    def page(self) -> str:
        return ("welcome", "sign-in", "connect")[self.pages.currentIndex()]

    # --- 1. welcome ----------------------------------------------------------------------------------------------

    def _welcome_page(self, warning: str | None) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(48, 48))
        header.addWidget(icon)
        header.addWidget(title_label("Welcome to Port MCP Bridge"), 1)
        box.addLayout(header)
        box.addWidget(
            text_label(
                "Your IDE's AI assistant reaches Port through this app, with one local address for "
                "every client. How would you like to start?"
            )
        )
        box.addSpacing(6)
        self.demo_button = QCommandLinkButton(
            "&Try the demo organization",
            "Acme Corp, a sample Port organization that runs on this computer. No account needed.",
        )
        self.demo_button.clicked.connect(self.start_demo)
        self.sign_in_button = QCommandLinkButton(
            "&Sign in to Port", "Your own organization: choose its region, then approve access in the browser."
        )
        self.sign_in_button.clicked.connect(lambda: self._go(1))
        box.addWidget(self.demo_button)
        box.addWidget(self.sign_in_button)
        self.welcome_status = note_label("")
        self.welcome_status.hide()
        box.addWidget(self.welcome_status)
        self.welcome_actions = ActionsRow(self.controller)  # a demo that could not start: what to do, as buttons
        box.addWidget(self.welcome_actions)
        if warning:
            box.addWidget(note_label(warning, warning=True))
        box.addStretch(1)
        box.addWidget(
            note_label(
                "You can add more organizations later (Settings → Profiles) and switch between them "
                "from the app's menu in one click."
            )
        )
        return page

    @Slot()
    def start_demo(self) -> None:
        self.demo_button.setEnabled(False)
        self.sign_in_button.setEnabled(False)
        self.welcome_status.setText("Starting the demo organization…")
        self.welcome_status.show()
        self.welcome_actions.show_actions(())

        def failed(exc: BaseException) -> None:
            self.demo_button.setEnabled(True)
            self.sign_in_button.setEnabled(True)
            self.welcome_status.setText("{}: {}".format(*describe_error(exc)))
            self.welcome_actions.show_error(exc)

        self.controller.run(self.api.start_demo, self._ready, failed)

    # --- 2. sign in ----------------------------------------------------------------------------------------------

    def _sign_in_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        box.addWidget(title_label("Sign in to Port"))
        box.addWidget(text_label("Where is your organization? It is in the address you open Port at."))
        self.regions = QButtonGroup(self)
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        radios = QVBoxLayout()
        for i, (code, label, host) in enumerate(REGIONS):
            radio = QRadioButton(f"{label}  ({host})")
            radio.setProperty("region", code)
            radio.setChecked(i == 0)
            self.regions.addButton(radio)
            radios.addWidget(radio)
        other = QRadioButton("Another address (a Port MCP URL)")
        other.setProperty("region", "")
        self.regions.addButton(other)
        radios.addWidget(other)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://…/v1")
        self.url_edit.setAccessibleName("Port MCP URL")
        self.url_edit.setEnabled(False)
        other.toggled.connect(self.url_edit.setEnabled)
        radios.addWidget(self.url_edit)
        self.url_note = text_label("")  # what a pasted Port address is read as: its region
        self.url_note.hide()
        self.url_edit.textChanged.connect(self._url_typed)
        radios.addWidget(self.url_note)
        form.addRow("Region:", radios)
        self.name_edit = QLineEdit("Port")
        self.name_edit.setPlaceholderText("A name for this organization, e.g. Acme EU")
        form.addRow("Profile name:", self.name_edit)
        self.client_id, self.secret = credential_fields(form)  # shown when API credentials are chosen instead
        for field in (self.client_id, self.secret):
            form.setRowVisible(field, False)
        self.credentials_form = form
        box.addLayout(form)
        self.browser_button = QPushButton("Sign in with the browser")
        self.browser_button.clicked.connect(self.sign_in)
        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self._back)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.browser_button)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        self.sign_in_status = text_label("")
        self.sign_in_status.hide()
        self.sso_hint = SsoHint()
        self.sso_hint.useCredentials.connect(self.use_credentials)
        self.sign_in_link = LinkBox()  # no browser could be opened: the address, wrapped, with Copy link
        self.sign_in_actions = ActionsRow(self.controller)  # what to do about a failed sign-in, as buttons
        box.addWidget(self.busy)
        box.addWidget(self.sign_in_status)
        box.addWidget(self.sign_in_link)
        box.addWidget(self.sign_in_actions)
        box.addWidget(self.sso_hint)
        box.addStretch(1)
        box.addLayout(buttons)
        return page

    def region(self) -> str:
        """What `add_profile` takes: "eu", "us" or the typed URL (checked there, with the same messages as the CLI)."""
        checked = self.regions.checkedButton()
        code = str(checked.property("region")) if checked else "eu"
        return code or self.url_edit.text().strip()

    @Slot(str)
    def _url_typed(self, text: str) -> None:
        note = region_note(text)
        self.url_note.setText(note or "")
        self.url_note.setVisible(bool(note))

    def understood(self) -> None:
        """Port's own address typed as "another address" (its web app's, say) is its region: tick that region."""
        checked = self.regions.checkedButton()
        text = self.url_edit.text()
        if checked is None or checked.property("region") or region_note(text) is None:
            return
        code = parse_region(text)[0].value
        for button in self.regions.buttons():
            if button.property("region") == code:
                button.setChecked(True)
        self.url_note.show()  # keeps saying why the region changed

    @Slot()
    def sign_in(self) -> None:
        if self.signing_in is not None:
            self.signing_in.cancel()
            return
        self.understood()
        self.sign_in_actions.show_actions(())
        try:
            if self.profile is None:
                name = self.name_edit.text().strip() or "Port"
                was_active = self.api.settings().active_profile
                self.profile = self.api.add_profile(name, self.region(), make_active=True)
                self.unfinished = (self.profile.id, was_active)
            else:  # a retry: the region may have changed meanwhile
                self.profile = self.api.edit_profile(self.profile.id, region=self.region())
        except Exception as exc:  # a name already taken, an invalid name: said on the page
            self._show_sign_in_result("{}: {}".format(*describe_error(exc)))
            return
        if self.with_credentials:
            client_id, secret = self.client_id.text().strip(), self.secret.text().strip()
            if not client_id or not secret:
                self._show_sign_in_result("Enter the client ID and secret first (Port: avatar menu → Credentials).")
                self._drop_unfinished()
                return
            future = self.signing_in = self.api.sign_in_with_token(self.profile.id, client_id, secret)
            self.secret.clear()  # the wizard does not hold on to it
            step = SignInStep("Checking the credentials with Port…")
        else:
            future = self.signing_in = self.api.sign_in(
                self.profile.id, open_browser=self._open_browser, progress=self._progress.emit
            )
            step = SignInStep("Opening your browser…")
        self.browser_button.setText("Cancel")
        self.back_button.setEnabled(False)
        self.name_edit.setEnabled(False)
        self.busy.show()
        self._sign_in_step(step)
        self.controller.watch(future, self._signed_in, self._sign_in_failed)

    @Slot(object)
    def _sign_in_step(self, step: SignInStep) -> None:
        self.sign_in_status.setText(step.text)
        self.sign_in_status.show()
        if step.link:
            self.sign_in_link.show_link(step.link, opened=step.opened)
        if step.sso is not None:  # the browser is open: what Port's SSO error page there would mean
            self.sso_hint.show_help(step.sso.hint, step.sso.support_request)
        else:
            self.sso_hint.hide()

    @Slot()
    def use_credentials(self) -> None:
        """The way out for an SSO organization today: API credentials, on this page."""
        self.with_credentials = True
        for field in (self.client_id, self.secret):
            self.credentials_form.setRowVisible(field, True)
        if self.signing_in is not None:
            self.signing_in.cancel()  # `_sign_in_failed` then asks for the credentials
        else:
            self._ask_for_credentials()

    def _ask_for_credentials(self) -> None:
        self.sso_hint.hide()
        self.browser_button.setText("Sign in with API credentials")
        self._show_sign_in_result("Enter API credentials from Port (avatar menu → Credentials): they are checked with "
                                  "Port and kept in the system keychain.")  # fmt: skip
        self.client_id.setFocus()

    def _signed_in(self, result: SignedIn) -> None:
        self._sign_in_done()
        self.unfinished = None
        self._ready(self.api.settings().get_profile(self.profile.id) if self.profile else None, result)

    def _sign_in_failed(self, exc: BaseException) -> None:
        self._sign_in_done()
        if self.with_credentials and isinstance(exc, concurrent.futures.CancelledError) and self.isVisible():
            self._ask_for_credentials()  # the browser sign-in was given up for API credentials
            return
        self._drop_unfinished()
        title, message = describe_error(exc)
        self._show_sign_in_result(f"<b>{html.escape(title)}</b><br>{html.escape(message)}".replace("\n", "<br>"))
        if isinstance(exc, SignInFailed) and exc.support_request:  # the message explains; keep the buttons
            self.sso_hint.show_help("", exc.support_request)
        else:
            self.sso_hint.hide()
        self.sign_in_actions.show_error(exc)

    def _sign_in_done(self) -> None:
        self.signing_in = None
        self.sign_in_link.clear()
        self.busy.hide()
        self.browser_button.setText(
            "Sign in with API credentials" if self.with_credentials else "Sign in with the browser"
        )
        self.back_button.setEnabled(True)
        self.name_edit.setEnabled(True)

    def _show_sign_in_result(self, text: str) -> None:
        self.sign_in_status.setText(text)
        self.sign_in_status.show()

    def _back(self) -> None:
        self._drop_unfinished()  # a profile kept for API credentials that were never given
        self._go(0)

    def _drop_unfinished(self) -> None:
        """A sign-in that did not finish leaves no profile behind: the one added here is removed (its keychain
        entries too), and the profile that was active before is active again. Sign in adds it afresh."""
        if self.unfinished is None:
            return
        (added, was_active), self.unfinished, self.profile = self.unfinished, None, None
        self.browser_button.setEnabled(False)  # until it is gone: a retry adds a profile of the same name

        def drop() -> None:
            self.api.remove_profile(added)
            if was_active and was_active != added and self.api.settings().find_profile(was_active):
                self.api.use_profile(was_active)

        def failed(exc: BaseException) -> None:
            self.browser_button.setEnabled(True)
            self._show_sign_in_result("{}: {}".format(*describe_error(exc)))

        self.controller.run(drop, lambda _: self.browser_button.setEnabled(True), failed)

    def reject(self) -> None:
        """Closed (Esc, the window's close button): a sign-in under way is cancelled, and what it added removed."""
        if self.signing_in is not None:
            self.signing_in.cancel()  # `_sign_in_failed` then drops the profile
        else:
            self._drop_unfinished()
        super().reject()

    # --- 3. connect a client (app/wizard_done.py) ----------------------------------------------------------------

    def _ready(self, profile: Profile | None, signed: SignedIn | None = None) -> None:
        """A profile is active and serving: on to the clients."""
        self.profile = profile
        self.last_page.show_profile(profile, signed)
        self._go(2)

    @Slot()
    def finish(self) -> None:
        """Done on the last page, start at login applied."""
        self.finishedSetup.emit()
        self.accept()

    def bring_to_front(self) -> None:
        windows.bring_to_front(self)
