"""The app around the tray: one instance per user, the display check, the first run, windows when there is no tray,
Quit stopping the bridge, the crash dialog."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from app.__main__ import has_display
from app.application import SingleInstance, TrayApp, install_excepthook
from bridge.api import BridgeApi
from bridge.settings import SettingsStore
from tests.support.processes import Children, child_env


def test_a_second_instance_brings_the_first_forward(qtbot: QtBot) -> None:
    name = f"port-mcp-bridge-test-{uuid.uuid4().hex[:8]}"
    first, second = SingleInstance(name), SingleInstance(name)
    try:
        assert first.claim()
        with qtbot.waitSignal(first.activated, timeout=3000):
            assert not second.claim()
        first.release()
        assert second.claim()  # the first one quit: the next launch takes over
    finally:
        first.release()
        second.release()


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "darwin", False),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_display_detection(environ: dict[str, str], platform: str, expected: bool) -> None:
    assert has_display(environ, platform) is expected


def test_first_run_opens_the_wizard_and_quit_stops_the_bridge_and_the_demo(qtbot: QtBot) -> None:
    api = BridgeApi(SettingsStore(), port=0)
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        assert api.running and tray_app.wizard is not None and tray_app.wizard.isVisible()
        assert tray_app.tray is not None and tray_app.tray.menu.actions()  # the menu exists even without a tray
        assert tray_app.tray_visible is QSystemTrayIcon.isSystemTrayAvailable()
        api.start_demo()
        bridge_port, sandbox_port = api.snapshot().port, api.demo_port
        tray_app.tray.build_menu()
        tray_app.tray.action("Quit Port MCP Bridge").trigger()
        assert not api.running and api.demo_port is None and not tray_app.wizard.isVisible()
        for port in (bridge_port, sandbox_port):  # both ports are free again
            import socket

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))
    finally:
        tray_app.shutdown()


def test_without_a_system_tray_the_main_window_opens(qtbot: QtBot, api: BridgeApi, monkeypatch: Any) -> None:
    """Never a running app with no window and no tray (tests/app/test_main_window.py has the window itself)."""
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    tray_app = TrayApp(api)
    try:
        tray_app.start()
        main = tray_app.main_window
        assert tray_app.wizard is None and main is not None and main.isVisible()
        tray_app.tray.action("Doctor…").trigger()  # type: ignore[union-attr]
        window = tray_app.settings_window
        assert window is not None and window.isVisible() and window.current_page == "doctor"
        window.close()  # closing Settings leaves the main window (and the bridge) running
        assert not window.isVisible() and main.isVisible() and api.running
        main.hide()
        tray_app.bring_forward()  # what a second launch does
        assert main.isVisible() and not window.isVisible()
    finally:
        tray_app.shutdown()


def test_the_crash_handler_logs_and_shows_without_secrets(monkeypatch: Any, caplog: pytest.LogCaptureFixture) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.text(), box.detailedText())) or 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook()
    secret = "Bearer abcdefghijklmnopqrstuvwxyz0123"
    try:
        raise RuntimeError(f"upstream said {secret}")
    except RuntimeError as exc:
        with caplog.at_level(logging.CRITICAL):
            sys.excepthook(type(exc), exc, exc.__traceback__)
    assert len(shown) == 1 and "keeps running" in shown[0][0] and "RuntimeError" in shown[0][1]
    assert "abcdefghijklmnopqrstuvwxyz0123" not in "".join(shown[0])
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)


def test_launching_twice_as_processes(tmp_path: Path, children: Children) -> None:
    """Two real launches: the second tells the first to come forward and exits at once."""
    env = child_env(tmp_path, tmp_path / "cfg", QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    code = "from app.application import run; raise SystemExit(run(port=0))"
    first = children.start([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    running = threading.Event()

    def read() -> None:  # the first launch's log, as it comes; `running` once it says it runs
        for line in first.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if "Port MCP Bridge is running" in line:
                running.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert running.wait(30), "the first launch did not start: " + "".join(lines)
        second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "already running" in second.stderr, second.stderr
        assert first.poll() is None  # still running
    finally:
        first.terminate()
        first.wait(timeout=30)
        reader.join(5)  # the log read to its end before the fixture closes the pipe
        reader.join(10)
    assert first.returncode == 0, "".join(lines)
    assert any("another launch asked this one to come forward" in line for line in lines)


def test_a_taken_port_offers_the_nearest_free_one_and_then_the_clients_page(
    qtbot: QtBot, sandbox: Any, tmp_path: Path
) -> None:
    """A desktop app cannot be given --port: when its port is taken, it offers a free one, saves it, serves there,
    points the assistants connected to the old port at the new one, and opens Settings → Clients. No changes nothing."""
    import json
    import socket

    from bridge.auth.localkey import local_key
    from bridge.errors import PortInUse
    from bridge.export import Env
    from tests.support.stack import token_profile

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    store = SettingsStore()
    token_profile(store, "Acme", sandbox.mcp_url, "acme-builder-demo", active=True)
    store.update(lambda s: s.model_copy(update={"local_port": taken}))
    questions: list[str] = []
    tray_app = TrayApp(BridgeApi(store))
    tray_app.api.export_env = Env(tmp_path / "home", "linux", {})
    cursor = tmp_path / "home" / ".cursor" / "mcp.json"  # Cursor, connected while the bridge had the old port
    cursor.parent.mkdir(parents=True)
    entry = {"url": f"http://127.0.0.1:{taken}/mcp", "headers": {"Authorization": f"Bearer {local_key()}"}}
    cursor.write_text(json.dumps({"mcpServers": {"port": entry, "mine": {"url": "https://example.invalid/mcp"}}}))
    try:
        with pytest.raises(PortInUse) as refused:
            tray_app.start()
        assert refused.value.port == taken and "another program uses it" in refused.value.reason

        assert not tray_app.start_elsewhere(
            refused.value, ask=lambda title, text, accept: questions.append(text) or False
        )
        assert store.load().local_port == taken and not tray_app.api.running  # no: nothing changed
        assert f"cannot listen on port {taken}" in questions[0] and "update the assistants" in questions[0]
        assert f"127.0.0.1:{taken}/mcp" in cursor.read_text()

        assert tray_app.start_elsewhere(refused.value, ask=lambda title, text, accept: accept.startswith("Use port"))
        moved = tray_app.api.snapshot().port
        assert moved != taken and store.load().local_port == moved
        servers = json.loads(cursor.read_text())["mcpServers"]
        assert servers["port"]["url"] == f"http://127.0.0.1:{moved}/mcp" and "mine" in servers  # only ours changed
        cursor_status = next(s for s in tray_app.api.client_statuses() if s.client.id == "cursor")
        assert cursor_status.entries[0].state.value == "current"
        window = tray_app.settings_window
        assert window is not None and window.isVisible() and window.current_page == "clients"
        note = window.page("clients").moved.text()  # type: ignore[attr-defined]
        assert f"Port {taken} was taken" in note and f"port {moved}: Cursor now uses it" in note
    finally:
        tray_app.shutdown()
        holder.close()


def test_a_port_the_system_keeps_is_named_as_such(monkeypatch: Any) -> None:
    import errno

    from bridge import endpoint
    from bridge.errors import PortInUse

    def refuse(host: str, port: int) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(endpoint, "bind", refuse)
    with pytest.raises(PortInUse) as refused:
        endpoint.listen(47773)
    assert refused.value.reserved and "the system does not allow it" in refused.value.message
    assert "Settings → General" in refused.value.message


def test_a_bridge_already_serving_these_settings_is_named_in_a_dialog_and_no_second_one_starts(
    monkeypatch: Any,
) -> None:
    """`serve` (or a stuck earlier app) holds the settings folder: the app says which process and port, in words for
    a person (no command), and quits instead of starting a second bridge on the same sign-ins."""
    from app import application
    from bridge.proxy.service import BridgeService

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)) or 0)
    monkeypatch.setattr(application.SingleInstance, "claim", lambda self: True)
    monkeypatch.setattr(application.BridgeApi, "setup_logging", lambda self: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    with BridgeService(SettingsStore(), port=0) as first:
        assert application.run() == 1
    ((title, text),) = shown
    assert title == "Port MCP Bridge: Already running"
    assert f"(process {os.getpid()}) already runs with these settings on 127.0.0.1:{first.port}" in text
    assert "`" not in text and "port-mcp-bridge " not in text


def test_without_a_display_the_app_runs_the_demo_on_the_port_given(monkeypatch: Any) -> None:
    import bridge.api
    from app.__main__ import main

    ports: list[int] = []
    monkeypatch.setattr(bridge.api, "run_demo", lambda port, say: ports.append(port), raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no display: the headless demo
    assert main(["--port", "0"]) == 0 and main([]) == 0
    assert ports == [0, bridge.api.DEFAULT_PORT]  # --port 0 means any free port, as `port-mcp-bridge demo --port 0`
