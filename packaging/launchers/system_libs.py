"""Before Qt loads on Linux: the desktop libraries the bundle relies on the system for, and which are missing.

The Linux bundle leaves the display, font, GL and D-Bus libraries to the system (see the spec's HOST_LIBS). When one
is missing Qt prints "Could not load the Qt platform plugin 'xcb'" to a terminal the user never sees, and the app
silently does not start. This checks first, names the missing packages, and shows that in a dialog with whatever the
desktop has (zenity, kdialog, xmessage; notify-send as a last resort), so a menu launch does not fail in silence.

The lists are what PySide6 6.10's libQt6Gui, libQt6XcbQpa, the xcb platform plugin, libQt6WaylandClient and
libQt6DBus declare as NEEDED (readelf -d), minus what the bundle carries; package names are Debian/Ubuntu's.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable

# soname -> Debian/Ubuntu package
COMMON = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
}
X11 = {
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
WAYLAND = {"libwayland-client.so.0": "libwayland-client0", "libwayland-cursor.so.0": "libwayland-cursor0"}


def needed(environ: dict[str, str]) -> dict[str, str]:
    """The libraries the platform Qt will pick needs: none offscreen; Wayland's where a Wayland session is and Qt is not
    told otherwise (Qt falls back to xcb if Wayland's are missing, so X11's are then needed too); else X11's."""
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal")):
        return {}
    if platform.startswith("wayland") or (not platform and environ.get("WAYLAND_DISPLAY")):
        return {**COMMON, **WAYLAND}
    return {**COMMON, **X11}


def loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing(libraries: dict[str, str], load: Callable[[str], bool] = loads) -> list[str]:
    """The packages of the libraries that cannot be loaded, each once, in order."""
    return list(dict.fromkeys(package for soname, package in libraries.items() if not load(soname)))


def message(packages: Iterable[str]) -> str:
    names = ", ".join(packages)
    return (
        "Port MCP Bridge cannot open its window: this computer lacks system libraries every Qt 6 desktop app needs.\n\n"
        f"Missing (package names on Debian and Ubuntu): {names}\n\n"
        "Install them from your software manager (or ask whoever looks after this computer), then start Port MCP "
        "Bridge again. Other distributions name these packages similarly."
    )


def tell(text: str) -> None:
    """Show `text` with the first dialog tool the desktop has; always on stderr too."""
    print(text, file=sys.stderr, flush=True)
    title = "Port MCP Bridge"
    for tool, args in (
        ("zenity", ["--error", "--no-wrap", f"--title={title}", f"--text={text}"]),
        ("kdialog", ["--title", title, "--error", text]),
        ("xmessage", ["-center", text]),
        ("notify-send", ["--urgency=critical", title, text]),
    ):
        path = shutil.which(tool)
        if path:
            try:
                subprocess.run([path, *args], check=False, timeout=600)
                return
            except (OSError, subprocess.SubprocessError):
                continue


def check() -> bool:
    """True when the app can go on; False (after telling the user) when a library it needs is missing."""
    if not sys.platform.startswith("linux"):
        return True
    packages = missing(needed(dict(os.environ)))
    if packages:
        tell(message(packages))
        return False
    return True
