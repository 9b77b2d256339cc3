"""The Clients page and the configurations users already have: Port's own entries marked "uses Port directly",
replaced (by default) or kept beside, Undo giving the file back byte for byte; a project's `.vscode/mcp.json` through
Choose folder…; the note about Claude on the web. Against the real bridge, client files in a temporary home."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.settings import SettingsWindow
from app.settings.clients import ClientsPage

PLUGIN = Path(__file__).parents[1] / "export" / "inputs" / "direct" / "cursor-plugin.json"


def _page(window: SettingsWindow) -> ClientsPage:
    page = window.page("clients")
    assert isinstance(page, ClientsPage)
    return page


def test_ports_direct_entries_are_marked_replaced_and_undone(qtbot: QtBot, window: SettingsWindow) -> None:
    home = window.controller.api.export_env.home
    path = home / ".cursor" / "mcp.json"
    path.parent.mkdir(parents=True)
    before = PLUGIN.read_bytes()
    path.write_bytes(before)
    page = _page(window)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    assert page.client_id == "cursor"
    assert page.tree.currentItem().text(2) == "Not connected · uses Port directly"
    assert "Also in its file: port-eu (uses Port directly: https://mcp.port.io/v1)" in page.explain.text()
    assert not page.replace_box.isHidden() and page.replace_box.isChecked()  # replacing is the default
    assert "Replaces port-eu (uses Port directly: https://mcp.port.io/v1)" in page.preview.toPlainText()
    page.replace_box.setChecked(False)
    qtbot.waitUntil(lambda: "Keeps port-eu" in page.preview.toPlainText(), timeout=10000)
    page.replace_box.setChecked(True)
    qtbot.waitUntil(lambda: "Replaces port-us" in page.preview.toPlainText(), timeout=10000)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    page.connect_button.click()
    qtbot.waitUntil(lambda: "Replaced port-eu, port-us" in page.outcome.text(), timeout=10000)
    assert set(json.loads(path.read_text())["mcpServers"]) == {"github", "port"}
    qtbot.waitUntil(lambda: page.tree.currentItem().text(2) == "Connected", timeout=10000)
    assert page.replace_box.isHidden()
    page.undo_button.click()
    qtbot.waitUntil(lambda: "back as it was" in page.outcome.text(), timeout=10000)
    assert path.read_bytes() == before


def test_notes_and_a_workspace_folder(
    qtbot: QtBot, window: SettingsWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = window.controller.api
    api.export_env = dataclasses.replace(api.export_env, wsl=True)  # as if running inside WSL
    page = _page(window)
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 5, timeout=10000)
    assert "Claude on the web (claude.ai) runs in Anthropic's cloud" in page.notes.text()
    assert "runs inside WSL" in page.notes.text() and "Copy snippet" in page.notes.text()
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setattr(ClientsPage, "ask_folder", lambda self: str(project))
    page.folder_button.click()
    qtbot.waitUntil(lambda: page.client_id == "vscode-workspace", timeout=10000)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    assert str(project) in page.tree.currentItem().toolTip(3)
    page.connect_button.click()
    qtbot.waitUntil(lambda: (project / ".vscode" / "mcp.json").exists(), timeout=10000)
    qtbot.waitUntil(lambda: "out of version control" in page.outcome.text(), timeout=10000)
    assert json.loads((project / ".vscode" / "mcp.json").read_text())["servers"]["port"]["type"] == "http"


def test_a_connected_client_that_still_uses_port_directly_can_replace_it(qtbot: QtBot, window: SettingsWindow) -> None:
    """Kept beside the bridge once (`export --write` without --replace-direct): the page offers Replace."""
    api = window.controller.api
    path = api.export_env.home / ".cursor" / "mcp.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(PLUGIN.read_bytes())
    api.clients.connect("cursor")  # keeps Port's entries
    page = _page(window)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    assert page.tree.currentItem().text(2) == "Connected · uses Port directly"
    assert page.connect_button.text() == "Re&place" and not page.undo_button.isHidden()
    page.connect_button.click()
    qtbot.waitUntil(lambda: "Replaced port-eu, port-us" in page.outcome.text(), timeout=10000)
    assert set(json.loads(path.read_text())["mcpServers"]) == {"github", "port"}


def test_paths_are_home_relative_and_a_client_not_installed_cannot_be_connected(
    qtbot: QtBot, window: SettingsWindow
) -> None:
    home = window.controller.api.export_env.home
    (home / ".cursor").mkdir(parents=True)
    page = _page(window)
    qtbot.waitUntil(lambda: page.connect_button.isEnabled(), timeout=10000)
    items = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    assert all(str(home) not in (i.text(3) + i.toolTip(3)) for i in items if i is not None)
    assert page.tree.currentItem().toolTip(3) == "~/.cursor/mcp.json"
    page.connect_button.click()
    qtbot.waitUntil(lambda: "Wrote ~/.cursor/mcp.json." in page.outcome.text(), timeout=10000)
    page.select("windsurf")  # not installed in this home
    assert page.client_id == "windsurf"
    qtbot.waitUntil(lambda: "Install it, then Refresh" in page.explain.text(), timeout=10000)
    assert "~/.codeium/windsurf is missing" in page.explain.text() and str(home) not in page.explain.text()
    qtbot.waitUntil(lambda: page.preview.toPlainText() != "Preparing the preview…", timeout=10000)
    assert not page.connect_button.isEnabled()
    assert page.connect_button.toolTip() == "Windsurf is not installed on this computer."
