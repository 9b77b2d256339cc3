"""What PyInstaller's PySide6 run-time hook (`pyi_rth_pyside6`, PyInstaller 6.22.3) does, done only when the one
program starts as the tray app: the hook imports QtCore at every start, and the command must not load Qt.

The lasting part is an embedded `qt.conf` that tells Qt its prefix inside the bundle (its plugins, its libraries);
the environment variables the hook sets are removed again by frozen_env. On Windows the hook still runs in the app's
own program, and registering qt.conf a second time is a no-op.
"""

from __future__ import annotations

import os
import sys


def prepare() -> None:
    if not getattr(sys, "frozen", False):
        return
    from _pyi_rth_utils import qt as qt_rth_utils  # PyInstaller's own helper, bundled as a hidden import

    base = sys._MEIPASS  # type: ignore[attr-defined]
    prefix = os.path.join(base, "PySide6") if sys.platform == "win32" else os.path.join(base, "PySide6", "Qt")
    qt_rth_utils.create_embedded_qt_conf("PySide6", prefix)
