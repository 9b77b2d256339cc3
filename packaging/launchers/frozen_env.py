"""Give programs the frozen app starts (the browser for sign-in, `xdg-open`) the user's environment, not ours.

PyInstaller's Linux bootloader points LD_LIBRARY_PATH at the bundle, and its Qt runtime hook sets QT_PLUGIN_PATH:
a browser started with those would load our copies of libstdc++, OpenSSL or Qt plugins instead of its own. The
running process no longer needs them (the dynamic loader read LD_LIBRARY_PATH at start; Qt finds its plugins
relative to its own libraries), so both are put back as they were before the bundle started.
"""

from __future__ import annotations

import os
import sys


def restore() -> None:
    if not getattr(sys, "frozen", False):
        return
    if sys.platform.startswith("linux"):
        original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
        if original is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = original
    for name in ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH"):
        os.environ.pop(name, None)
