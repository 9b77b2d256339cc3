"""The settings window's pages against the real bridge and sandbox (token mode): actions, clients, profiles,
doctor and general. Dialogs are answered by replacing `Page.confirm`."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.settings import SettingsWindow
from app.settings.actions import ActionsPage
from app.settings.clients import ClientsPage
from app.settings.doctor import DoctorPage
from app.settings.general import HIDDEN, GeneralPage
from app.settings.profiles import ProfilesPage
from bridge.api import BridgeApi
from bridge.auth.localkey import local_key
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore
from tests.support.browser import Browser


def test_show_page_selects_each_page_by_name(window: SettingsWindow) -> None:
    for name in ("profiles", "tools", "actions", "clients", "doctor", "general"):
        window.show_page(name)
        assert window.current_page == name and window.stack.currentWidget() is window.page(name)
    with pytest.raises(ValueError, match="No settings page"):
        window.show_page("nope")


def test_actions_page_sets_the_allowed_actions(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    page = window.page("actions")
    assert isinstance(page, ActionsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 9, timeout=15000)  # 7 actions, then 2 workflows
    assert page.count.text() == "All 9 actions and workflows allowed"
    assert page.every.isChecked() and not page.tree.isEnabled()
    kinds = {i.data(0, Qt.ItemDataRole.UserRole): i.text(1) for i in page.items()}
    assert kinds["onboard_engineer"] == kinds["rotate_service_secrets"] == "Workflow"
    assert kinds["scaffold_microservice"] == "Action" and list(kinds.values()).count("Workflow") == 2
    page.only.setChecked(True)  # everything stays ticked, but as an explicit list: later actions are not included
    assert sorted(api.settings().get_profile("acme").allowed_actions or []) == sorted(page.checked())
    page.none_button.click()
    assert (
        api.settings().get_profile("acme").allowed_actions == []
        and page.count.text() == "0 of 9 actions and workflows allowed"
    )
    item = next(i for i in page.items() if i.data(0, Qt.ItemDataRole.UserRole) == "scaffold_microservice")
    item.setCheckState(0, Qt.CheckState.Checked)
    assert api.settings().get_profile("acme").allowed_actions == ["scaffold_microservice"]
    listed = {a.identifier: a.allowed for a in api.fetch_actions("acme").result(30)}
    assert [k for k, on in listed.items() if on] == ["scaffold_microservice"]
    page.every.setChecked(True)
    assert api.settings().get_profile("acme").allowed_actions is None and all(
        i.checkState(0) == Qt.CheckState.Checked for i in page.items()
    )


def test_clients_page_previews_writes_and_undoes_a_config(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    home = api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 5, timeout=10000)
    assert page.client_id == "cursor"  # the one installed client comes first and is selected
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    preview = page.preview.toPlainText()
    assert "+" in preview and "<local key>" in preview and local_key() not in preview
    assert not (home / ".cursor" / "mcp.json").exists()  # previewing writes nothing
    page.connect_button.click()
    qtbot.waitUntil(lambda: (home / ".cursor" / "mcp.json").exists(), timeout=10000)
    written = json.loads((home / ".cursor" / "mcp.json").read_text())
    assert written["mcpServers"]["port"]["url"] == api.snapshot().mcp_url
    qtbot.waitUntil(lambda: page.tree.currentItem() is not None and page.tree.currentItem().text(2) == "Connected",
                    timeout=10000)  # fmt: skip
    assert page.undo_button.isEnabled() and not page.connect_button.isEnabled()
    page.undo_button.click()
    qtbot.waitUntil(lambda: not (home / ".cursor" / "mcp.json").exists(), timeout=10000)
    qtbot.waitUntil(lambda: "did not exist before" in page.outcome.text(), timeout=10000)


def test_clients_page_shows_a_refusal_and_the_snippet_to_copy(qtbot: QtBot, window: SettingsWindow) -> None:
    home = window.controller.api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    broken = b'{"mcpServers": {"other": {"url": "x"}},,, oops'
    (home / ".cursor" / "mcp.json").write_bytes(broken)
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    qtbot.waitUntil(lambda: page.copy_button.isEnabled(), timeout=10000)
    assert "left untouched" in page.explain.text() and not page.connect_button.isEnabled()
    assert "<local key>" in page.preview.toPlainText() and local_key() not in page.preview.toPlainText()
    page.copy_button.click()
    assert local_key() in QGuiApplication.clipboard().text()  # copied whole, on request
    assert (home / ".cursor" / "mcp.json").read_bytes() == broken


def test_clients_page_says_a_file_was_made_private_and_offers_the_snippet_for_a_read_only_one(
    qtbot: QtBot, window: SettingsWindow
) -> None:
    home = window.controller.api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    path = home / ".cursor" / "mcp.json"
    path.write_text('{"mcpServers": {}}\n')
    path.chmod(0o644)
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    page.connect_button.click()
    qtbot.waitUntil(lambda: "made private to you (0600)" in page.outcome.text(), timeout=10000)
    assert path.stat().st_mode & 0o777 == 0o600 and local_key() not in page.outcome.text()
    path.write_text('{"mcpServers": {}}\n')
    path.chmod(0o444)  # the user's choice: not overwritten from the GUI, the snippet offered instead
    page.reload()
    qtbot.waitUntil(lambda: page.copy_button.isEnabled(), timeout=10000)
    assert "read-only" in page.explain.text() and not page.connect_button.isEnabled()
    page.copy_button.click()
    assert local_key() in QGuiApplication.clipboard().text()
    assert path.read_text() == '{"mcpServers": {}}\n'


def test_profiles_page_adds_edits_signs_in_and_removes(
    qtbot: QtBot, window: SettingsWindow, sandbox: Sandbox, memory_keyring
) -> None:
    api: BridgeApi = window.controller.api
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    assert page.list.count() == 2 and page.name.text() == "Acme"
    page.new_profile()
    page.name.setText("Acme")  # taken: the store's message
    page.region.setCurrentIndex(2)
    page.url.setText("http://example.com/v1")  # plain http to another machine: values.py's message
    page.save()
    assert "unencrypted" in page.form_notice.text() and len(api.settings().profiles) == 2
    page.url.setText(sandbox.mcp_url)
    page.save()
    assert "already exists" in page.form_notice.text()
    page.name.setText("Staging")
    page.mode.setCurrentIndex(1)
    page.save()
    assert page.profile_id == "staging" and api.settings().get_profile("staging").region_label == sandbox.mcp_url
    page.name.setText("Staging 2")
    page.save()
    assert api.settings().get_profile("staging").name == "Staging 2" and page.form_notice.text() == "Saved."

    page.client_id.setText("acme-builder-demo")
    page.secret.setText(DEMO_CREDENTIALS["acme-builder-demo"][0])
    assert page.secret.echoMode() == page.secret.EchoMode.Password
    page.sign_in_button.click()
    assert page.secret.text() == ""  # not kept by the page
    qtbot.waitUntil(lambda: page.sign_status.text().startswith("Signed in"), timeout=15000)
    qtbot.waitUntil(lambda: "API credentials saved" in page.sign_state.text(), timeout=5000)
    assert any("staging" in name for _, name in memory_keyring.entries)
    settings_text = SettingsStore().path.read_text()
    assert DEMO_CREDENTIALS["acme-builder-demo"][0] not in settings_text  # secrets only in the keychain

    page.remove_button.click()
    qtbot.waitUntil(lambda: "Removed Staging 2" in page.form_notice.text(), timeout=5000)
    assert [p.id for p in api.settings().profiles] == ["acme", "globex"]
    assert not any("staging" in name for _, name in memory_keyring.entries)
    qtbot.waitUntil(lambda: page.list.count() == 2, timeout=3000)


def test_profiles_page_browser_sign_in_can_be_cancelled(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    api.edit_profile("globex", auth_mode="oauth")
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    opened: list[str] = []
    page.open_browser = lambda url: opened.append(url) or True  # type: ignore[assignment,func-returns-value]
    page.select("globex")
    page.sign_in_button.click()
    assert page.cancel_button.isVisibleTo(page) and not page.sign_in_button.isEnabled()
    qtbot.waitUntil(lambda: bool(opened), timeout=15000)
    assert "/authorize" in opened[0]
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.sign_status.text() == "Sign-in cancelled.", timeout=10000)
    assert page.sign_in_button.isEnabled() and not page.cancel_button.isVisibleTo(page)


def test_profiles_page_explains_an_sso_error_page_while_waiting_and_switches_to_api_credentials(
    qtbot: QtBot, window: SettingsWindow, sandbox: Sandbox
) -> None:
    """Against Port's SSO error page (the sandbox's `sso_login_error`, a browser that follows the authorize URL): the
    hint appears with the step "Waiting for the browser…", its Copy button puts the request (organization and
    region) on the clipboard, and "Use API credentials instead" turns the form to API credentials."""
    api: BridgeApi = window.controller.api
    sandbox.faults.sso_login_error = True
    api.edit_profile("globex", auth_mode="oauth")
    SettingsStore().set_profile("globex", organization="Globex Inc")
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    browser = Browser()
    page.open_browser = browser
    page.select("globex")
    page.sign_in_button.click()
    qtbot.waitUntil(lambda: page.sso_hint.isVisibleTo(page), timeout=15000)
    assert page.sign_status.text() == "Waiting for the browser…" and page.cancel_button.isVisibleTo(page)
    assert '"Oops!, something went wrong"' in page.sso_hint.label.text()
    qtbot.waitUntil(lambda: bool(browser.landed), timeout=10000)
    assert "Oops!, something went wrong" in browser.last_page

    page.sso_hint.copy_button.click()
    request = QGuiApplication.clipboard().text()
    assert "Organization: Globex Inc." in request and f"Region: {sandbox.mcp_url}." in request
    assert "domain level" in request and "Dynamic Client Registration" in request

    page.sso_hint.credentials_button.click()
    qtbot.waitUntil(lambda: not page.cancel_button.isVisibleTo(page), timeout=10000)  # the browser is given up
    assert page.mode.currentData() == "token" and page.client_id.isVisibleTo(page) and page.secret.isVisibleTo(page)
    assert "avatar menu → Credentials" in page.sign_status.text() and not page.sso_hint.isVisibleTo(page)
    page.client_id.setText("globex-builder-demo")
    page.secret.setText(DEMO_CREDENTIALS["globex-builder-demo"][0])
    page.save()
    qtbot.waitUntil(lambda: page.sign_status.text().startswith("Signed in"), timeout=15000)
    assert api.settings().get_profile("globex").auth_mode.value == "token"


def test_doctor_page_shows_checks_and_copies_a_report_without_secrets(qtbot: QtBot, window: SettingsWindow) -> None:
    page = window.page("doctor")
    assert isinstance(page, DoctorPage)
    assert not page.copy_button.isEnabled()
    page.run_button.click()
    qtbot.waitUntil(lambda: page.copy_button.isEnabled(), timeout=30000)
    names = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    assert names[:3] == ["Settings", "Keychain", "Local port"] and "Sign-in" in names and "MCP" in names
    assert page.status.text() == "Everything works."
    page.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Port MCP Bridge") and "[ok] MCP" in copied
    assert local_key() not in copied and DEMO_CREDENTIALS["acme-builder-demo"][0] not in copied
    assert "eyJ" not in copied


def test_general_page_shows_copies_and_regenerates_the_key(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    home = api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    api.connect_client("cursor")
    old = local_key()
    page = window.page("general")
    assert isinstance(page, GeneralPage)
    assert page.key.text() == HIDDEN  # shown only on request
    page.show_key.click()
    qtbot.waitUntil(lambda: page.key.text() == old, timeout=5000)
    page.show_key.click()
    assert page.key.text() == HIDDEN
    page.regenerate.click()
    qtbot.waitUntil(lambda: "updated 1 client" in page.key_notice.text(), timeout=10000)
    new = local_key()
    assert new != old and api.local_key() == new
    assert new in (home / ".cursor" / "mcp.json").read_text()  # the connected client got the new key
    page.copy_key.click()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == new, timeout=5000)


def test_general_page_port_and_log_level(qtbot: QtBot, window: SettingsWindow) -> None:
    """A new port applies at once: the bridge moves there, and the clients connected to it are offered the change."""
    import httpx2

    from bridge.endpoint import free_port_near

    api: BridgeApi = window.controller.api
    home = api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    api.connect_client("cursor")
    page = window.page("general")
    assert isinstance(page, GeneralPage)
    new = free_port_near(48123)
    api.set_paused(True)
    page.port.setValue(new)
    page.port_button.click()
    qtbot.waitUntil(lambda: "updated 1 client" in page.port_notice.text(), timeout=15000)
    assert api.settings().local_port == new and api.snapshot().port == new
    assert f"127.0.0.1:{new}/mcp" in (home / ".cursor" / "mcp.json").read_text()
    assert httpx2.get(f"http://127.0.0.1:{new}/healthz").json()["ok"]  # serving there now, not after a restart
    assert api.snapshot().paused  # and still paused, as it was
    page.activated()
    assert f"http://127.0.0.1:{new}/mcp" in page.port_notice.text()
    import socket

    with socket.socket() as holder:  # a port another program holds: refused, nothing changes
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        page.port.setValue(taken)
        page.port_button.click()
        qtbot.waitUntil(lambda: f"Cannot listen on 127.0.0.1:{taken}" in page.port_notice.text(), timeout=10000)
    assert api.settings().local_port == new and api.snapshot().port == new
    page.level.setCurrentText("DEBUG")
    assert api.settings().log_level == "DEBUG"
