"""Where the facade runs network work when no bridge runs in this process, and the local key a desktop app starts
with when the system has no keychain."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from bridge.auth.localkey import local_key
from bridge.errors import KeychainError

T = TypeVar("T")


def session_key() -> tuple[str | None, str | None]:
    """(key, warning) for a desktop app about to start the bridge: (None, None) uses the keychain's local key as
    usual; without a usable keychain, a random key for this run only (kept in memory) and what to tell the user."""
    try:
        local_key()
    except KeychainError:
        import secrets

        return secrets.token_urlsafe(32), (
            "No system keychain: the local key lasts until you quit (connected clients must be updated after a "
            "restart), and signing in to Port needs a keychain. The demo organization works."
        )
    return None, None


class Worker:
    """An event loop on a daemon thread, for network work when no bridge runs in this process (the command line)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="port-mcp-bridge-worker", daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self) -> None:
        """Cancel what still runs and let it clean up (a sign-in closes its redirect listener), then end the loop."""

        async def drain() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
