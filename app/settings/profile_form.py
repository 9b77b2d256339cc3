"""The Profiles page's form: name, region or URL, how to sign in (and API credentials), the API URL for a custom URL.

It knows how its values read (`region_text`, `api_url_change`), whether they differ from a saved profile (`differs`),
and which rows apply; the page decides what saving does. Enter in any field submits, as in a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QPushButton

from app.settings.common import Notice
from app.sso_hint import credential_fields
from bridge.api import PORT_REGIONS, Profile, default_api_url, parse_region, region_note

REGIONS = [*((f"{r.label} ({r.app_host})", r.code.value) for r in PORT_REGIONS.values()), ("Custom URL…", "custom")]
MODES = [("Browser sign-in", "oauth"), ("API credentials (client id and secret)", "token")]


class ProfileForm(QGroupBox):
    """`changed` when a value that decides rows or buttons changes; `submitted` on Save or Enter."""

    changed = Signal()
    submitted = Signal()

    def __init__(self) -> None:
        super().__init__("Profile")
        self.form = form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Acme production")
        form.addRow("Name:", self.name)
        self.region = QComboBox()
        for label, value in REGIONS:
            self.region.addItem(label, value)
        self.region.currentIndexChanged.connect(lambda _: self.changed.emit())
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
        self.mode.currentIndexChanged.connect(lambda _: self.changed.emit())
        form.addRow("Sign in with:", self.mode)
        self.client_id, self.secret = credential_fields(form)
        for typed in (self.client_id, self.secret):  # new API credentials make Sign in apply again
            typed.textChanged.connect(lambda _: self.changed.emit())
        # Custom URL + API credentials only: where the credentials are exchanged for a token. Never guessed from the
        # MCP URL (only this computer's sandbox has a default, shown as the placeholder).
        self.api_url = QLineEdit()
        self.api_url.setToolTip(
            "The Port API behind this MCP endpoint: API credentials are sent there, and only there."
        )
        form.addRow("API URL:", self.api_url)
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.submitted)
        for field in (self.name, self.url, self.api_url, self.client_id, self.secret):
            field.returnPressed.connect(self.submitted)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addStretch(1)
        form.addRow("", save_row)
        self.form_notice = Notice()
        form.addRow("", self.form_notice)

    @property
    def custom(self) -> bool:
        return self.region.currentData() == "custom"

    @property
    def token(self) -> bool:
        return self.mode.currentData() == "token"

    def fill(self, profile: Profile | None) -> None:
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

    def sync_rows(self) -> None:
        custom, token = self.custom, self.token
        self.url.setEnabled(custom)
        self.form.setRowVisible(self.url, custom)
        self.form.setRowVisible(self.url_note, bool(self.url_note.text()))
        self.form.setRowVisible(self.client_id, token)
        self.form.setRowVisible(self.secret, token)
        self.form.setRowVisible(self.api_url, custom and token)

    def new_credentials(self) -> tuple[str, str]:
        """API credentials typed (token mode only), or ("", "")."""
        if not self.token:
            return "", ""
        return self.client_id.text().strip(), self.secret.text().strip()

    def differs(self, profile: Profile | None) -> bool:
        """Something typed that is not saved: credentials, or (`profile` None: a new one) any name or URL."""
        if self.client_id.text().strip() or self.secret.text():
            return True
        if profile is None:
            return bool(self.name.text().strip() or self.url.text().strip())
        api_url = self.api_url_change().get("api_url", profile.api_base_url or "")
        return (self.name.text().strip(), self.region_text(), self.mode.currentData(), api_url) != (
            profile.name, profile.region_label, profile.auth_mode.value, profile.api_base_url or "")  # fmt: skip

    def _url_typed(self) -> None:
        """Say at once what a pasted Port address is (its region), and what the API URL defaults to, if anything."""
        text = self.url.text()
        self.url_note.show_text(region_note(text) or "", "ok")
        default = default_api_url(text.strip()) if "://" in text else None
        self.api_url.setPlaceholderText(f"{default} (this computer's sandbox)" if default else
                                        "Required, e.g. https://api.example.com/v1")  # fmt: skip
        self.changed.emit()

    def understood(self) -> str | None:
        """A Port address in the MCP URL field is its region: switch to it, and say why (returned, to say again once
        the saved profile is shown)."""
        if not self.custom:
            return None
        note = region_note(self.url.text())
        if note is None:
            return None
        region = parse_region(self.url.text())[0].value
        self.region.setCurrentIndex([v for _, v in REGIONS].index(region))
        self.url.clear()
        self.url_note.show_text(note, "ok")
        self.changed.emit()
        return note

    def region_text(self) -> str:
        return self.url.text().strip() if self.custom else self.region.currentData()

    def api_url_change(self) -> dict[str, str]:
        """The API URL to save: only where the field is shown (custom + token); "" clears it."""
        return {"api_url": self.api_url.text().strip()} if self.custom and self.token else {}
