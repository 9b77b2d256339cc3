"""The Qt binding itself: PySide6 6.12.0 on CPython 3.11 released a reference to `None` on every call of a method
that returns nothing, so a long-running tray app aborted after a few thousand such calls ("none_dealloc"). The pin in
pyproject.toml avoids it; this keeps a future upgrade from bringing it back."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_calls_do_not_leak_references_to_none() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("tray")
    assert abs(sys.getrefcount(None) - before) < 50
