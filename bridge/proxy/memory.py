"""Heap given back after a large answer has gone through the proxy."""

from __future__ import annotations

import sys
from typing import Any

_malloc_trim: Any = None


def release_memory() -> None:
    """After a large response has gone through: give the freed heap back to the system (glibc keeps it otherwise:
    ~15 MiB after a 2,000-tool list). Elsewhere (macOS, Windows, musl) there is nothing to call: this does nothing."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        if sys.platform == "linux":
            try:
                import ctypes

                _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):
                pass
    if _malloc_trim:
        _malloc_trim(0)
