"""Screenshots of the first five minutes, as a new user sees them, into docs/images/.

    .venv/bin/python docs/screenshots.py                 # every variant, each on its own virtual X display (Xvfb)
    .venv/bin/python docs/screenshots.py --only light    # the variants whose name holds "light"
    .venv/bin/python docs/screenshots.py --variant dark-2x-tray   # one variant, on the display in $DISPLAY

Variants: light and dark, 1x and 2x (QT_SCALE_FACTOR), with a tray host (trayer, an XEmbed system tray: the app's
icon lives there) and without one (stock GNOME: the app opens its main window instead). Each runs the real app on a
real X display (Xvfb, `apt install xvfb trayer`), first run in a temporary home where Cursor, VS Code and Gemini CLI
are "installed", with an in-memory keychain: the wizard's welcome, Try the demo organization, Connect Cursor, the last
page, then the tray menu (or the main window), every Settings page (Activity with calls the bridge's recorder wrote),
the approval dialog for a real call from an MCP client, About and the log viewer. Light 1x images are
named `<screen>.png` (the README shows them); the others `<screen>-dark.png`, `<screen>@2x.png`, and the screens that
depend on the tray `-notray`. A script for people, not a test: it waits with short sleeps while it pumps Qt events.
Look at the images before committing them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QPalette

    from bridge.api import BridgeApi

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
VARIANTS = [f"{theme}-{scale}-{tray}" for theme in ("light", "dark") for scale in ("1x", "2x")
            for tray in ("tray", "notray")]  # fmt: skip
# The screens kept at 2x (the README links them; every screen at 2x would only grow the repository).
AT_2X = {"wizard-welcome", "wizard-sign-in", "wizard-connected", "settings-profiles", "tray-menu", "main-window"}
# An incident as an assistant would open it: the call the approval dialog shows.
INCIDENT = {
    "actionIdentifier": "create_incident",
    "entityIdentifier": "order-processing",
    "properties": {
        "title": "Checkout latency over 2 s since 14:05",
        "severity": "SEV2",
        "description": "p95 latency on /checkout rose after the 14:02 deploy of payments-api.",
    },
}


def suffix(variant: str) -> str:
    theme, scale, _ = variant.split("-")
    return ("-dark" if theme == "dark" else "") + ("@2x" if scale == "2x" else "")


# --- the driver: one Xvfb (and tray host) per variant ----------------------------------------------------------------


def start_display() -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x1000x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        return server, f":{pipe.readline().strip()}"


def drive(variants: list[str]) -> int:
    if shutil.which("Xvfb") is None:
        print("Xvfb is needed (apt install xvfb).", file=sys.stderr)
        return 1
    failed = 0
    for variant in variants:
        server, display = start_display()
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        env.pop("WAYLAND_DISPLAY", None)
        host = None
        try:
            if variant.endswith("-tray"):
                if shutil.which("trayer") is None:
                    print(f"{variant}: skipped (apt install trayer)")
                    continue
                host = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                                         "--height", "28", "--transparent", "false", "--tint", "0x303030"],
                                        env=env, stderr=subprocess.DEVNULL)  # fmt: skip
                time.sleep(1.0)  # the host claims the tray selection before the app looks for it
            print(f"--- {variant}", flush=True)
            done = subprocess.run([sys.executable, __file__, "--variant", variant], env=env, timeout=600)
            failed += done.returncode != 0
        finally:
            if host is not None:
                host.terminate()
                host.wait()
            server.terminate()
            server.wait()
    return 1 if failed else 0


# --- one variant -------------------------------------------------------------------------------------------------


def dark_palette() -> QPalette:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for which, color in ((role.Window, "#2d2d2d"), (role.WindowText, "#e6e6e6"), (role.Base, "#1e1e1e"),
                         (role.AlternateBase, "#262626"), (role.Text, "#e6e6e6"), (role.Button, "#3a3a3a"),
                         (role.ButtonText, "#e6e6e6"), (role.ToolTipBase, "#3a3a3a"), (role.ToolTipText, "#e6e6e6"),
                         (role.Highlight, "#2f6fba"), (role.HighlightedText, "#ffffff"), (role.Link, "#6cb2ff"),
                         (role.PlaceholderText, "#9a9a9a"), (role.Mid, "#444444"), (role.Dark, "#1a1a1a"),
                         (role.Light, "#505050"), (role.Midlight, "#454545"), (role.Shadow, "#000000")):  # fmt: skip
        palette.setColor(which, QColor(color))
    for which in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, which, QColor("#808080"))
    return palette


def write_activity(api: BridgeApi, now: float) -> None:
    """A morning's calls on the demo organization, written by the bridge's own recorder (`ActivityLog`) into the
    activity file the app reads."""
    from bridge.activity.log import activity_log
    from bridge.api import CallRecord, log_dir

    profile = api.profile()
    base = {"profile_id": profile.id, "profile": profile.name, "organization": profile.organization}
    calls = [
        (540, "Cursor", "list_entities", "ok", 182.0, {}),
        (520, "Cursor", "get_entity", "ok", 96.0, {}),
        (430, "Claude Code", "get_scorecard", "ok", 141.0, {}),
        (
            300,
            "Claude Code",
            "upsert_entity",
            "refused",
            1.2,
            {"detail": "Read-only mode: upsert_entity can change Port"},
        ),
        (
            200,
            "Cursor",
            "run_action",
            "ok",
            6410.0,
            {"action": "create_incident", "run_id": "r_7GfQ2mXk9LpA", "approval": "once", "arguments": INCIDENT},
        ),
        (
            120,
            "Cursor",
            "run_action",
            "declined",
            12000.0,
            {"action": "scaffold_microservice", "approval": "denied"},
        ),
        (60, "VS Code", "list_blueprints", "ok", 77.0, {}),
        (20, "Cursor", "get_action_runs", "cut", 30000.0, {"detail": "The answer broke off: the call may have run"}),
    ]
    recorder = activity_log(api.settings, log_dir())
    for ago, client, tool, outcome, ms, extra in calls:
        version = {"Cursor": "1.7.2", "Claude Code": "2.0.14", "VS Code": "1.105.0"}[client]
        recorder.record(
            CallRecord(
                time=now - ago,
                client=client,
                client_version=version,
                tool=tool,
                outcome=outcome,
                duration_ms=ms,
                **base,
                **extra,
            )
        )  # type: ignore[arg-type]
    recorder.flush()
    recorder.close()


def ask_for_approval(api: BridgeApi) -> threading.Thread:
    """An assistant (Cursor) runs an action on the demo organization, whose profile asks before actions: the bridge
    waits for the app's dialog. The thread ends once the dialog is answered."""
    import anyio
    from mcp import types

    from tests.support.mcp import mcp_client

    api.edit_profile(api.profile().id, ask_before="actions")
    url, key = api.snapshot().mcp_url, api.local_key() or ""

    async def call() -> None:
        cursor = types.Implementation(name="Cursor", version="1.7.2")
        async with mcp_client(url, {"Authorization": f"Bearer {key}"}, client_info=cursor) as session:
            await session.call_tool("run_action", INCIDENT)

    def run() -> None:
        with contextlib.suppress(Exception):  # denied: the assistant is told so (an error here)
            anyio.run(call)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def shoot(variant: str) -> int:
    theme, scale, tray = variant.split("-")
    if scale == "2x":
        os.environ["QT_SCALE_FACTOR"] = "2"
    scratch = Path(tempfile.mkdtemp(prefix="pmb-shots-"))
    os.environ["PORT_MCP_BRIDGE_HOME"] = str(scratch / "config")
    os.environ["XDG_STATE_HOME"] = str(scratch / "state")  # the log the viewer shows: this run's
    sys.path.insert(0, str(ROOT))

    import keyring
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMenu, QWidget

    from tests.support.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    app = QApplication.instance() or QApplication(["Port MCP Bridge"])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")  # the same look on any host
    QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
    if theme == "dark":  # what a dark desktop theme gives Qt apps; a bare X server has no theme to ask
        app.setPalette(dark_palette())

    from app.application import TrayApp
    from app.icons import app_icon
    from bridge.api import BridgeApi
    from bridge.export import Env
    from bridge.settings import SettingsStore

    app.setApplicationName("Port MCP Bridge")
    app.setWindowIcon(app_icon())
    home = scratch / "home"
    for folder in (".cursor", ".config/Code/User", ".gemini"):
        (home / folder).mkdir(parents=True)
    api = BridgeApi(SettingsStore(), port=0)
    api.export_env = Env(home, "linux", {}, Env.current().program)  # start at login and clients: the temp home
    tray_app = TrayApp(api)
    end = suffix(variant)
    taken: list[str] = []

    def pump(ready: Callable[[], object] = lambda: False, seconds: float = 1.0) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until and not ready():
            app.processEvents()
            time.sleep(0.02)
        for _ in range(30):  # let layouts and repaints settle
            app.processEvents()
            time.sleep(0.005)

    def save(name: str, widget: QWidget | None = None) -> None:
        if end.endswith("@2x") and name.removesuffix("-notray") not in AT_2X:
            return
        if widget is not None:
            image = widget.grab()
        else:  # the screen's top right: the tray host with the app's icon, and the menu under it
            screen = app.primaryScreen().geometry()
            width = min(screen.width(), 560)
            image = app.primaryScreen().grabWindow(0, screen.right() - width, 0, width, 340)
        path = OUT / f"{name}{end}.png"
        image.save(str(path))
        taken.append(path.name)

    try:
        tray_app.start()
        wizard = tray_app.wizard
        assert wizard is not None, "a first run shows the wizard"
        pump(seconds=1.5)
        if tray == "notray":
            assert tray_app.main_window is not None, "no tray host: the main window"
        save("wizard-welcome", wizard)
        wizard.sign_in_button.click()
        pump(seconds=1.0)
        save("wizard-sign-in", wizard)
        wizard.back_button.click()
        pump(seconds=0.5)

        wizard.demo_button.click()
        pump(lambda: wizard.page() == "connect" and "cursor" in wizard.last_page.rows, 30)
        save("wizard-demo", wizard)
        wizard.last_page.rows["cursor"].button.click()
        pump(lambda: wizard.last_page.rows["cursor"].button.text() == "Connected", 20)
        pump(seconds=1.0)
        save("wizard-connected", wizard)
        wizard.last_page.done_button.click()
        pump(seconds=1.0)

        assert tray_app.tray is not None
        write_activity(api, time.time())
        pump(lambda: bool(tray_app.tray and tray_app.tray.recent), 10)  # the menu's Recent activity
        if tray == "tray":
            menu = tray_app.tray.menu
            tray_app.tray.build_menu()
            screen = app.primaryScreen().geometry()
            menu.popup(QPoint(screen.right() - menu.sizeHint().width() - 20, 32))  # under the tray host, top right
            pump(seconds=1.5)
            save("tray-menu", menu)
            save("desktop-tray")  # the whole screen: the tray host with the app's icon, the menu under it
            recent = tray_app.tray.action("Recent activity").menu()
            assert isinstance(recent, QMenu)
            recent.popup(QPoint(screen.right() - menu.sizeHint().width() - recent.sizeHint().width() - 24, 120))
            pump(seconds=1.0)
            save("tray-recent-activity", recent)
            recent.hide()
            menu.hide()
        else:
            main = tray_app.main_window
            assert main is not None
            main.bring_to_front()
            pump(seconds=1.0)
            save("main-window", main)

        tray_app.show_settings("profiles")
        window = tray_app.settings_window
        assert window is not None
        window.resize(1000, 680)
        from app.settings.window import PAGES

        for name, _ in PAGES:
            window.show_page(name)
            page = window.page(name)
            if name == "doctor":
                page.run_checks()
                pump(lambda p=page: p.copy_button.isEnabled(), 60)
            elif hasattr(page, "loaded"):
                pump(lambda p=page: p.loaded, 20)
            elif name == "activity":
                pump(lambda p=page: p.table.rowCount() > 0, 10)
                page.table.selectRow(3)  # the action run: its arguments, and Open run in Port
            else:
                pump(seconds=1.0)
            save(f"settings-{name}" + ("-notray" if tray == "notray" and name == "profiles" else ""), window)
        window.hide()

        if tray == "tray":  # the dialog is the same with or without a tray
            asking = ask_for_approval(api)
            pump(lambda: bool(tray_app.approvals.dialogs), 20)
            dialog = next(iter(tray_app.approvals.dialogs.values()))
            pump(seconds=1.0)
            save("approval-dialog", dialog)
            dialog.deny.click()
            asking.join(20)

        tray_app.tray.show_about()
        pump(seconds=1.0)
        save("about", tray_app.tray.about)
        tray_app.tray.open_logs()
        pump(seconds=1.5)
        save("log-viewer", tray_app.tray.log_viewer)
    finally:
        tray_app.shutdown()
    print(f"{variant}: {', '.join(taken)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=VARIANTS, help="one variant, on the display in $DISPLAY")
    parser.add_argument("--only", default="", help="drive the variants whose name holds this text")
    args = parser.parse_args()
    if args.variant:
        return shoot(args.variant)
    return drive([v for v in VARIANTS if args.only in v])


if __name__ == "__main__":
    raise SystemExit(main())
