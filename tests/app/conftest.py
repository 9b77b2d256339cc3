"""GUI tests: Qt offscreen, the real bridge (`BridgeApi`, the `api` fixture) in front of the sandbox, in token mode."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bridge.api import BridgeApi

if TYPE_CHECKING:
    from app.settings.window import SettingsWindow


@pytest.fixture
def window(qtbot: QtBot, api: BridgeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SettingsWindow]:
    """The settings window on a running bridge; client configs go to a temporary home; confirmations say yes."""
    from app.controller import Controller
    from app.settings.common import Page
    from app.settings.window import SettingsWindow
    from bridge.export import Env

    api.export_env = Env(tmp_path / "home", "linux", {})
    monkeypatch.setattr(Page, "confirm", lambda self, title, text, action: True)
    controller = Controller(api)
    controller.start()
    win = SettingsWindow(controller)
    qtbot.addWidget(win)
    try:
        yield win
    finally:
        controller.stop()
