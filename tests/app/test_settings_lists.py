"""The Tools and Actions pages as a person meets them: they follow changes made elsewhere (the tray, the command
line), offer Sign in for a profile that is not signed in, search tool names, keep a selection across "All" and back,
say what "none allowed" does and mark the actions that delete."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.settings import SettingsWindow
from app.settings.actions import NONE_ALLOWED, ActionsPage
from app.settings.profiles import ProfilesPage
from app.settings.tools import ToolsPage
from bridge.api import BridgeApi

NAME = Qt.ItemDataRole.UserRole


def test_actions_keep_the_selection_across_all_and_back_and_mark_deletes(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    page = window.page("actions")
    assert isinstance(page, ActionsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 9, timeout=15000)
    kinds = {i.data(0, NAME): i.text(1) for i in page.items()}
    assert kinds["delete_service"] == "Action · deletes" and kinds["scaffold_microservice"] == "Action"
    page.only.setChecked(True)
    page.none_button.click()
    assert page.status.text() == NONE_ALLOWED and "run_action" in NONE_ALLOWED
    item = next(i for i in page.items() if i.data(0, NAME) == "scaffold_microservice")
    item.setCheckState(0, Qt.CheckState.Checked)
    assert page.status.text() != NONE_ALLOWED
    page.every.setChecked(True)
    assert api.settings().get_profile("acme").allowed_actions is None
    page.only.setChecked(True)  # back: the one the user ticked, not everything
    assert page.checked() == ["scaffold_microservice"]
    assert api.settings().get_profile("acme").allowed_actions == ["scaffold_microservice"]


def test_tool_search_is_over_names_unless_asked(qtbot: QtBot, window: SettingsWindow) -> None:
    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    names = " ".join(f"{i.text(0)} {i.data(0, NAME)}".casefold() for i in page.items())
    word = next(
        w
        for i in page.items()
        for w in i.toolTip(2).casefold().split()
        if len(w) > 6 and w.isalpha() and w not in names
    )
    page.search.setText(word)
    assert all(i.isHidden() for i in page.items())
    page.in_descriptions.setChecked(True)
    assert any(not i.isHidden() for i in page.items())
    page.in_descriptions.setChecked(False)
    page.search.setText("list_entities")
    assert [i.data(0, NAME) for i in page.items() if not i.isHidden()] == ["list_entities"]


def test_tools_follow_read_only_switched_elsewhere(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    window.show()
    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 42, timeout=15000)
    api.set_read_only("acme", True)  # as the tray or `port-mcp-bridge` would: not through this page
    window.controller.refresh()
    qtbot.waitUntil(lambda: "Read-only is on" in page.status.text(), timeout=15000)
    assert 0 < page.tree.topLevelItemCount() < 42


def test_tools_follow_the_active_profile_switched_elsewhere(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    window.show()
    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 42, timeout=15000)
    api.use_profile("globex")  # from the tray: the page showed the active profile, so it follows
    window.controller.refresh()
    assert page.profiles.profile_id == "globex"
    qtbot.waitUntil(lambda: "Globex" not in page.status.text() and page.tree.topLevelItemCount() > 0, timeout=15000)
    page.profiles.select("acme")  # picked here: stays when the active profile changes again
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    initech = api.add_profile("Initech", "eu", auth_mode="token", make_active=True)
    window.controller.refresh()
    assert window.controller.snapshot.active is not None and window.controller.snapshot.active.id == initech.id
    assert page.profiles.profile_id == "acme"
    qtbot.waitUntil(lambda: page.loaded and page.refresh_button.isEnabled(), timeout=15000)


def test_a_profile_not_signed_in_offers_sign_in_instead_of_an_empty_list(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    added = api.add_profile("Initech", "eu", auth_mode="token")
    window.controller.refresh()
    for name in ("tools", "actions"):
        page = window.page(name)
        assert isinstance(page, ToolsPage | ActionsPage)
        page.profiles.select(added.id)
        qtbot.waitUntil(lambda page=page: page.sign_in_banner.isVisibleTo(window), timeout=5000)
        assert not page.tree.isVisibleTo(window) and "Initech is not signed in" in page.sign_in_text.text()
        assert page.sign_in_button.text() == "&Sign in to Initech…"
    page.sign_in_button.click()
    profiles = window.page("profiles")
    assert isinstance(profiles, ProfilesPage)
    assert window.current_page == "profiles" and profiles.profile_id == added.id
    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    page.profiles.select("acme")
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    assert not page.sign_in_banner.isVisibleTo(window) and page.tree.isVisibleTo(window)
    actions = window.page("actions")
    assert isinstance(actions, ActionsPage)
    actions.profiles.select("acme")  # and nothing left in flight when the bridge stops
    qtbot.waitUntil(lambda: actions.tree.topLevelItemCount() > 0, timeout=15000)
