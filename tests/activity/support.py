"""Records for the activity tests: plausible calls, numbered so order and filters can be checked."""

from __future__ import annotations

from typing import Any

from bridge.activity.record import CallRecord

T0 = 1_800_000_000.0  # a fixed wall-clock time: records are told apart by their number


def call(n: int, **changes: Any) -> CallRecord:
    """Call number `n`: through Acme from Cursor unless changed, one second after call n-1."""
    values: dict[str, Any] = {
        "time": T0 + n,
        "profile_id": "acme",
        "profile": "Acme",
        "organization": "Acme Corp",
        "client": "Cursor",
        "client_version": "1.7.2",
        "tool": f"tool_{n}",
        "outcome": "ok",
        "duration_ms": 12.5,
    }
    values.update(changes)
    return CallRecord(**values)
