"""The Profiles page's "Sign-in" box: the saved sign-in's state, Sign in / Cancel / Sign out, progress, and the SSO
hint while a browser is open. The page drives it; `show_buttons` is the one rule for which buttons apply. Also the
question asked before edits would be lost."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QMessageBox, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.actions_row import LinkBox
from app.settings.common import Notice
from app.sso_hint import SsoHint
from bridge.api import SignInStatus

SIGNED_IN = ("signed in", "API credentials")  # account.SignInStatus states with nothing to sign in to
SIGN_IN_TEXT = {"signed in": "Signed in", "API credentials": "API credentials saved in the keychain",
                "expired": "The sign-in has expired", "not signed in": "Not signed in",
                "sign-in needed": "Port ended this sign-in: sign in again"}  # fmt: skip
UNSAVED = {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}


class Progress(QObject):
    """Sign-in progress is reported from the bridge's thread; a signal carries it to the GUI thread."""

    step = Signal(object)  # a SignInStep


def ask_unsaved(parent: QWidget, name: str) -> str:
    """Save, Discard or Cancel for edits the form holds: "save", "discard" or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes", f"Save your changes to {name}?", parent=parent)
    box.setInformativeText("If you don't, they are lost.")
    buttons = QMessageBox.StandardButton
    box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
    box.setDefaultButton(buttons.Save)
    return UNSAVED.get(QMessageBox.StandardButton(box.exec()), "cancel")


class SignInBox(QGroupBox):
    def __init__(self, actions: QWidget | None = None) -> None:
        super().__init__("Sign-in")
        box = QVBoxLayout(self)
        self.sign_state = Notice()  # what the keychain holds (account.sign_in_status)
        box.addWidget(self.sign_state)
        row = QHBoxLayout()
        self.sign_in_button = QPushButton("Sign &in")
        self.cancel_button = QPushButton("Cancel")
        self.sign_out_button = QPushButton("Sign &out")
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
        self.sign_status = Notice()  # how the sign-in under way, or the last one, went
        box.addWidget(self.sign_status)
        if actions is not None:  # what a failed sign-in offers (Open Port to create credentials, Run doctor…)
            box.addWidget(actions)
        self.link = LinkBox()  # the sign-in address, in case no browser window shows it
        box.addWidget(self.link)
        self.sso_hint = SsoHint()
        box.addWidget(self.sso_hint)

    def show_status(self, status: SignInStatus) -> str:
        """What the keychain holds, in words; returns its state for `show_buttons`."""
        state, who = status.state, status.identity.email or ""
        text = SIGN_IN_TEXT.get(state, state) + (f" as {who}" if who else "")
        if status.expires_at and state == "signed in":
            until = time.strftime("%H:%M", time.localtime(status.expires_at))
            text += f" (token renews itself; current one until {until})"
        self.sign_state.show_text(text + ".", "ok" if state in SIGNED_IN else "warn")
        return state

    def show_buttons(
        self, *, exists: bool, signing: bool, state: str | None, token: bool, new_credentials: bool
    ) -> None:
        """`state`: the saved sign-in's (None until read). Sign in where there is something to sign in to (in token
        mode: once API credentials are typed), Sign out where something is saved; neither while a sign-in runs."""
        ready = new_credentials if token else state not in SIGNED_IN
        self.sign_in_button.setEnabled(exists and not signing and ready)
        self.sign_in_button.setToolTip("Enter the client ID and secret above first." if token and not ready else "")
        self.sign_out_button.setEnabled(exists and not signing and state not in (None, "not signed in"))
        self.cancel_button.setVisible(signing)
        self.busy.setVisible(signing)
