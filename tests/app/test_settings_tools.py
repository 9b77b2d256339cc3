"""The Tools page against the real bridge and sandbox: what it shows is what a connected MCP client lists, and
what it changes reaches that client at once (tools/list_changed, then a shorter list)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from mcp import ClientSession
from mcp.types import ToolListChangedNotification
from pytestqt.qtbot import QtBot

from app.settings import SettingsWindow
from app.settings.tools import ToolsPage
from bridge.api import BridgeApi
from bridge.auth.localkey import local_key
from bridge.sandbox import Sandbox
from bridge.settings import ToolExposure
from tests.support.mcp import mcp_client, stream_opened


class McpClient:
    """The official `mcp` client through the bridge with the local key, on its own thread and loop (the test's
    thread runs Qt), ready once its GET stream is open. `names()` lists tools; `changed` is set by each
    tools/list_changed notification."""

    def __init__(self, url: str) -> None:
        self.url, self.changed = url, threading.Event()
        self.loop = asyncio.new_event_loop()
        self._ready, self._stop = threading.Event(), asyncio.Event()
        self.session: ClientSession | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        async def on_message(message: Any) -> None:
            if isinstance(message, ToolListChangedNotification):
                self.changed.set()

        headers = {"Authorization": f"Bearer {local_key()}"}
        stream = asyncio.Event()
        async with mcp_client(self.url, headers, on_response=stream_opened(stream), message_handler=on_message) as s:
            await stream.wait()  # list_changed travels on it: a change made before it opened would not reach us
            self.session = s
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> McpClient:
        self.thread.start()
        assert self._ready.wait(15), "the MCP client did not connect"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()

    def names(self) -> set[str]:
        assert self.session is not None
        listed = asyncio.run_coroutine_threadsafe(self.session.list_tools(), self.loop).result(15)
        return {t.name for t in listed.tools}


def loaded(qtbot: QtBot, window: SettingsWindow) -> ToolsPage:
    page = window.page("tools")
    assert isinstance(page, ToolsPage)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=15000)
    return page


def test_the_page_shows_what_a_client_lists_and_changes_it(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    with McpClient(api.snapshot().mcp_url) as client:
        page = loaded(qtbot, window)
        listed = client.names()
        assert set(page.checked()) == listed and all(page.checked().values()) and len(listed) == 42
        assert page.count.text() == "42 of 42 tools exposed"
        assert "Cursor (40)" in page.limit_warning.text()  # the demo organization offers 42
        kinds = {i.data(0, 256): i.text(1) for i in page.items()}
        assert kinds["list_entities"] == "read" and kinds["run_action"] in ("write", "destructive")

        client.changed.clear()
        page.search.setText("blueprint")  # search, then "Select none": hides that family only
        hidden = {i.data(0, 256) for i in page.items() if not i.isHidden()}
        assert {"list_blueprints", "delete_blueprint"} <= hidden and "run_action" not in hidden  # names, descriptions
        page.none_button.click()
        assert client.changed.wait(5), "no tools/list_changed reached the client"
        assert client.names() == listed - hidden
        saved = api.settings().get_profile("acme").tools
        assert saved.mode == "deny" and set(saved.names) == hidden
        assert page.count.text() == f"{42 - len(hidden)} of 42 tools exposed"
        assert (42 - len(hidden) > 40) == bool(page.limit_warning.text())

        client.changed.clear()
        page.search.clear()
        page.all_button.click()
        assert client.changed.wait(5) and client.names() == listed
        assert api.settings().get_profile("acme").tools == ToolExposure()


def test_a_single_tick_applies_and_survives_a_reload(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    with McpClient(api.snapshot().mcp_url) as client:
        page = loaded(qtbot, window)
        item = next(i for i in page.items() if i.data(0, 256) == "run_action")
        item.setCheckState(0, item.checkState(0).Unchecked)  # as a click on the checkbox does
        assert client.changed.wait(5) and "run_action" not in client.names()
        page.reload()
        page = loaded(qtbot, window)
        assert page.checked()["run_action"] is False and sum(page.checked().values()) == 41


def test_new_tools_hidden_keeps_an_allow_list(qtbot: QtBot, window: SettingsWindow) -> None:
    api: BridgeApi = window.controller.api
    page = loaded(qtbot, window)
    page.set_checked({"list_entities", "get_entity"} & set(page.checked()) or {"list_entities"})
    page.new_tools.setCurrentIndex(1)
    saved = api.settings().get_profile("acme").tools
    assert saved.mode == "allow" and "list_entities" in saved.names and len(saved.names) <= 2
    assert not saved.exposes("a_tool_port_adds_tomorrow")


def test_exposure_keeps_choices_for_tools_not_listed() -> None:
    listed = {"a": True, "b": False}
    assert ToolExposure().with_ticks({"a": True}, True) == ToolExposure()
    assert ToolExposure(mode="deny", names=["w"]).with_ticks(listed, True) == ToolExposure(
        mode="deny", names=["w", "b"]
    )
    assert ToolExposure(mode="allow", names=["w"]).with_ticks(listed, False) == ToolExposure(
        mode="allow", names=["w", "a"]
    )
    # Switching mode starts from what is listed: the old list meant the opposite.
    assert ToolExposure(mode="allow", names=["w"]).with_ticks(listed, True) == ToolExposure(mode="deny", names=["b"])


def test_tools_the_bridge_cannot_classify_are_said_to_be(
    qtbot: QtBot, window: SettingsWindow, sandbox: Sandbox
) -> None:
    # Port's docs publish no annotations: listed without them, test_integration_mapping is neither a known read
    # (its name) nor a known write, so the page says so rather than calling it a write.
    sandbox.faults.no_annotations = True
    page = loaded(qtbot, window)
    kinds = {i.data(0, 256): i for i in page.items()}
    assert kinds["test_integration_mapping"].text(1) == "could not classify — treated as a write tool"
    assert "read-only mode hides it" in kinds["test_integration_mapping"].toolTip(1)
    assert kinds["list_entities"].text(1) == "read" and kinds["upsert_entity"].text(1) == "write"
    assert "could not classify test_integration_mapping" in page.status.text()
