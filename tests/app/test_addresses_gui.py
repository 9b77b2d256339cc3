"""Addresses people paste, in the GUI (issue 16, section 4): the Profiles form and the wizard read Port's own
addresses as their region and say so; the API URL field appears for a custom URL with API credentials only, and is
asked for rather than guessed."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.settings import SettingsWindow
from app.settings.profiles import ProfilesPage
from app.wizard import FirstRunWizard
from bridge.api import BridgeApi, Region
from bridge.export import Env
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore


def _row_shown(page: ProfilesPage, widget: object) -> bool:
    return bool(widget.isVisibleTo(page))  # type: ignore[attr-defined]


def test_profile_form_reads_a_pasted_app_address_as_its_region(window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    page.new_profile()
    page.name.setText("Acme EU")
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText("https://app.port.io/organization/catalog")
    note = "This is Port's EU web app address (app.port.io); the bridge will use https://mcp.port.io/v1."
    assert page.url_note.text() == note and _row_shown(page, page.url_note)  # said while typing
    page.save()
    profile = api.settings().get_profile("acme-eu")
    assert (profile.region, profile.base_url) == (Region.EU, None)
    assert page.region.currentData() == "eu" and page.url.text() == ""
    assert page.url_note.text() == note and _row_shown(page, page.url_note)  # still saying why it changed


def test_api_url_field_for_a_custom_url_with_api_credentials_only(window: SettingsWindow, sandbox: Sandbox) -> None:
    api: BridgeApi = window.controller.api
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    page.new_profile()
    page.name.setText("Lab")
    assert not _row_shown(page, page.api_url)  # EU, browser sign-in
    page.mode.setCurrentIndex(page.mode.findData("token"))
    assert not _row_shown(page, page.api_url)  # a Port region has its own API
    page.region.setCurrentIndex(page.region.findData("custom"))
    page.url.setText("https://mcp.lab.dev/v1")
    assert _row_shown(page, page.api_url) and page.api_url.placeholderText().startswith("Required")
    page.save()
    assert "Give the profile its API URL" in page.form_notice.text()
    assert api.settings().find_profile("lab") is None
    page.api_url.setText("https://api.lab.dev")
    page.save()
    assert api.settings().get_profile("lab").api_url == "https://api.lab.dev/v1"
    assert page.profile_id == "lab" and page.api_url.text() == "https://api.lab.dev/v1"  # filled back in

    page.mode.setCurrentIndex(page.mode.findData("oauth"))
    assert not _row_shown(page, page.api_url)
    page.mode.setCurrentIndex(page.mode.findData("token"))
    page.url.setText(sandbox.mcp_url)  # the sandbox on this computer serves its API too: a default, shown
    assert page.api_url.placeholderText() == f"{sandbox.mcp_url} (this computer's sandbox)"


def test_wizard_reads_a_pasted_app_address_as_its_region(qtbot: QtBot, tmp_path: Path) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(tmp_path, "linux", {}, None)
    wizard = FirstRunWizard(Controller(api), open_browser=lambda url: True)
    qtbot.addWidget(wizard)
    other = next(b for b in wizard.regions.buttons() if not b.property("region"))
    other.setChecked(True)
    wizard.url_edit.setText("https://app.us.getport.io/self-serve")
    assert wizard.url_note.text() == (
        "This is Port's US web app address (app.us.getport.io); the bridge will use https://mcp.us.port.io/v1."
    )
    wizard.understood()  # what "Sign in with the browser" does first
    assert wizard.region() == "us" and not wizard.url_note.isHidden()
    wizard.url_edit.setText("https://mcp.lab.dev/v1")
    assert wizard.url_note.isHidden()
