"""A tool Port renamed, in the GUI (issue 16, section 3): the tray says so once per change, with a click to the
Tools page, whose banner names the missing and the new names and updates the list in one click. Against the real
bridge and sandbox; offscreen, where there is no system tray, `Tray.shown` carries what would be shown."""

from __future__ import annotations

import anyio
from pytestqt.qtbot import QtBot

from app.settings import SettingsWindow
from app.settings.tools import ToolsPage
from app.tray import Tray
from bridge.api import BridgeApi, ToolExposure
from bridge.sandbox import Sandbox
from tests.support.mcp import mcp_client

TEXT = (
    "Port renamed or removed tools your list names (Acme): get_blueprints → list_blueprints? "
    "Review in Settings → Tools."
)


async def _list(url: str, key: str) -> list[str]:
    async with mcp_client(url, {"Authorization": f"Bearer {key}"}) as session:
        return sorted(t.name for t in (await session.list_tools()).tools)


def list_through_the_bridge(api: BridgeApi) -> list[str]:
    return anyio.run(_list, api.snapshot().mcp_url, api.local_key() or "")


def test_the_tray_tells_once_and_the_tools_page_updates_the_list(
    qtbot: QtBot, window: SettingsWindow, sandbox: Sandbox
) -> None:
    controller = window.controller
    api: BridgeApi = controller.api
    pages: list[str] = []
    tray = Tray(controller, show_settings=pages.append, quit_app=lambda: None)
    shown: list[tuple[str, str]] = []
    tray.shown.connect(lambda title, text: shown.append((title, text)))

    sandbox.faults.renamed_tools = {"list_blueprints": "get_blueprints"}  # the name Port used before
    api.set_tools("acme", ToolExposure(mode="allow", names=["get_blueprints", "list_entities"]))
    assert list_through_the_bridge(api) == ["get_blueprints", "list_entities"]
    controller.refresh()
    assert shown == []

    sandbox.faults.update({"renamed_tools": {}})  # Port renames it
    assert list_through_the_bridge(api) == ["list_entities"]
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)  # the controller's poll brings the snapshot
    assert shown == [("Port renamed or removed tools", TEXT)]
    list_through_the_bridge(api)
    controller.refresh()
    assert len(shown) == 1  # once per change, not on every list
    tray.icon.messageClicked.emit()  # clicking the notification opens the Tools page
    assert pages == ["tools"]
    tray.build_menu()
    tray.action("⚠ Port renamed tools in your list: review…").trigger()
    assert pages == ["tools", "tools"]

    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    page.reload()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    assert page.drift_banner.isVisibleTo(page)
    text = page.drift_text.text()
    assert "Your list shows only tools by name, and Port no longer lists 1 of them" in text
    assert "get_blueprints (now list_blueprints?)" in text
    assert page.drift_button.text() == "Replace with the new names"
    page.drift_button.click()
    updated = ToolExposure(mode="allow", names=["list_blueprints", "list_entities"])
    assert api.settings().get_profile("acme").tools == updated
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    assert not page.drift_banner.isVisibleTo(page)
    assert list_through_the_bridge(api) == ["list_blueprints", "list_entities"]
    controller.refresh()
    assert len(shown) == 1
    tray.build_menu()
    assert not any("renamed" in a.text() for a in tray.menu.actions())
