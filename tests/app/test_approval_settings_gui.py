"""Settings for activity and approvals in the app: Profiles' "Ask before" and "Record arguments" per profile, General's
activity file cap and approval timeout; each saved through the facade, taken by the running bridge, shown again."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.settings.general import GeneralPage
from app.settings.profiles import ProfilesPage
from app.settings.window import SettingsWindow
from bridge.settings import SettingsStore


def test_ask_before_and_record_arguments_are_saved_per_profile(qtbot: QtBot, window: SettingsWindow) -> None:
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    box = page.approvals
    page.select("acme")
    assert box.isEnabled() and box.ask_before.currentData() == "never" and not box.record_arguments.isChecked()
    box.ask_before.setCurrentIndex(box.ask_before.findData("actions"))
    box.record_arguments.setChecked(True)
    acme = page.api.settings().get_profile("acme")  # the running bridge's settings
    assert (acme.ask_before, acme.record_arguments) == ("actions", True)
    assert SettingsStore().load().get_profile("acme").ask_before == "actions"  # and the file's
    assert box.notice.kind == "ok" and "Saved." in box.notice.text()

    page.select("globex")  # another profile shows its own values, untouched
    assert box.ask_before.currentData() == "never" and not box.record_arguments.isChecked()
    assert page.api.settings().get_profile("globex").ask_before == "never"
    page.select("acme")  # and back: what was saved
    assert box.ask_before.currentData() == "actions" and box.record_arguments.isChecked()
    assert box.ask_before.currentText() == "Actions and workflows"


def test_a_new_profile_has_no_approval_settings_until_it_exists(qtbot: QtBot, window: SettingsWindow) -> None:
    page = window.page("profiles")
    assert isinstance(page, ProfilesPage)
    page.new_profile()
    assert not page.approvals.isEnabled() and page.approvals.profile_id is None


def test_general_saves_the_activity_cap_and_the_approval_timeout(qtbot: QtBot, window: SettingsWindow) -> None:
    page = window.page("general")
    assert isinstance(page, GeneralPage)
    assert (page.activity_cap.value(), page.approval_timeout.value()) == (10, 60)
    page.activity_cap.setValue(40)
    page.activity_cap.editingFinished.emit()
    page.approval_timeout.setValue(120)
    page.approval_timeout.editingFinished.emit()
    settings = page.api.settings()
    assert (settings.activity_max_mb, settings.approval_timeout) == (40, 120)
    assert page.limits_notice.text() == "An unanswered approval is denied after 120 s."
    assert (page.approval_timeout.minimum(), page.approval_timeout.maximum()) == (10, 3600)  # the model's range

    page.api.limits.set_approval_timeout(30)  # changed elsewhere (the command line): shown when the page is shown
    window.show_page("profiles")
    window.show_page("general")
    assert page.approval_timeout.value() == 30 and page.activity_cap.value() == 40
