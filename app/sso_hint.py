"""`SsoHint`: what the wizard and the Profiles page show under "Waiting for the browser…"; `credential_fields`:
the API-credentials rows both offer as the way out.

Port's SSO organizations whose connection is not "domain level" get an error page in the browser that never comes
back to the app, so the help must be on screen while the browser is open: the words (from `bridge.api.SsoHelp`), a
button that copies the request for Port support, and one that switches to API credentials, which work today.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout

COPY = "Copy request for Port support"


class SsoHint(QFrame):
    """Hidden until `show_help`; `useCredentials` when the user picks API credentials instead of the browser."""

    useCredentials = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("ssoHint")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.request = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton(COPY)
        self.copy_button.clicked.connect(self.copy_request)
        self.credentials_button = QPushButton("Use API credentials instead")
        self.credentials_button.clicked.connect(self.useCredentials)
        buttons = QVBoxLayout()  # one under the other: side by side they outgrow a narrow column and clip their words
        for button in (self.copy_button, self.credentials_button):
            buttons.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.addWidget(self.label)
        box.addLayout(buttons)
        self.hide()

    def show_help(self, hint: str, request: str) -> None:
        """`hint` may be "" when the message above already explains (a sign-in that failed with a request)."""
        self.label.setText(hint)
        self.label.setVisible(bool(hint))
        self.request = request
        self.copy_button.setText(COPY)
        self.show()

    def copy_request(self) -> None:
        QGuiApplication.clipboard().setText(self.request)
        self.copy_button.setText("Copied: paste it into a message to Port support")


def credential_fields(form: QFormLayout) -> tuple[QLineEdit, QLineEdit]:
    """The client ID and secret rows, added to `form` (the secret is never echoed; it goes to the keychain)."""
    client_id = QLineEdit()
    client_id.setPlaceholderText("Port: avatar menu → Credentials")
    form.addRow("Client ID:", client_id)
    secret = QLineEdit()
    secret.setEchoMode(QLineEdit.EchoMode.Password)
    secret.setPlaceholderText("kept in the system keychain")
    form.addRow("Client secret:", secret)
    return client_id, secret
