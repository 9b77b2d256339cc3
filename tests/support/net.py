"""Loopback ports and waiting: a free port, and waiting for a condition (never for a fixed time).

`wait_until` / `wait_until_async` poll a real condition quickly until it holds, and fail with what was awaited
when it does not within the deadline. Use them where a test needs something to have happened ("the bridge has seen
the new settings", "the server answers"); a fixed sleep would be too short on a busy machine and too long elsewhere.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator

POLL = 0.01  # seconds between two looks at the condition: cheap conditions, quick tests


def free_port() -> int:
    """A loopback port free at this moment (for something that must be told its port before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _polls(ready: Callable[[], object], what: str, timeout: float) -> Iterator[None]:
    """One step per failed look at `ready()` (the caller pauses `POLL` in between), until it holds or time is up."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        yield


def wait_until(ready: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Return once `ready()` is true; fail naming `what` after `timeout` seconds."""
    for _ in _polls(ready, what, timeout):
        time.sleep(POLL)


async def wait_until_async(ready: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """`wait_until` for a test on an event loop: the loop keeps running while it waits."""
    for _ in _polls(ready, what, timeout):
        await asyncio.sleep(POLL)
