"""On Linux the tray icon is a StatusNotifierItem when the desktop runs a StatusNotifierWatcher (KDE, GNOME's
AppIndicator extension, waybar): the real app on a real X display (Xvfb) and a private session bus, without and with
a watcher (tests/support/sni_watcher.py). Without one, the main window; with one, the tray icon and no window."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import Children, child_env, read_until

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("dbus-daemon") and shutil.which("Xvfb")),
    reason="needs Linux with dbus-daemon and Xvfb",
)

APP = """
import sys
from PySide6.QtWidgets import QApplication
qt = QApplication(sys.argv)
from app.application import TrayApp
from bridge.api import BridgeApi
from bridge.settings import SettingsStore
tray_app = TrayApp(BridgeApi(SettingsStore(), port=0))
tray_app.start()
print("tray", tray_app.tray_visible, "window", tray_app.main_window is not None, flush=True)
qt.exec()
"""


def launch(children: Children, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """The app started as a user would, and what it chose (its line of output)."""
    app = children.start([sys.executable, "-c", APP], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)  # fmt: skip
    out = read_until(app, "tray ")
    if "tray " not in out:
        app.wait(30)
        pytest.fail(f"the app did not start: {app.stderr.read()}")  # type: ignore[union-attr]
    return app, out.strip().splitlines()[-1]


@pytest.mark.timeout(120)
def test_a_status_notifier_watcher_gives_the_app_its_tray_icon(tmp_path: Path, children: Children) -> None:
    bus = children.start(["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    address = bus.stdout.readline().strip()  # type: ignore[union-attr]
    xvfb = children.start(["Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    display = xvfb.stdout.readline().strip()  # type: ignore[union-attr]
    assert address and display.isdigit()
    env = child_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=address, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                    XDG_CURRENT_DESKTOP="", XDG_RUNTIME_DIR=str(tmp_path))  # fmt: skip

    first, chose = launch(children, env)
    assert chose == "tray False window True"  # a bare X display: nothing shows tray icons
    first.kill()  # one bridge per settings folder: the next launch needs this one gone
    first.wait(30)

    watcher = children.start([sys.executable, "-m", "tests.support.sni_watcher"], env=env, stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    assert "ready" in read_until(watcher, "ready")
    assert launch(children, env)[1] == "tray True window False"
    assert "registered" in read_until(watcher, "registered")  # the icon, as a StatusNotifierItem on the bus
