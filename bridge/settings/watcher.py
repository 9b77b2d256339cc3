"""`Watcher`: calls back with fresh settings whenever the settings file changes, whoever changed it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bridge.settings.store import _Unreadable

if TYPE_CHECKING:
    from bridge.settings.models import Settings
    from bridge.settings.store import SettingsStore

log = logging.getLogger(__name__)


class Watcher:
    """Polls the settings file from a daemon thread and calls back with freshly loaded settings on every
    change, whoever made it (another process, the command line, or this process).

    The callback runs on the watcher thread: the Qt app hops it onto its GUI thread (a queued signal), and
    the bridge onto its event loop (`loop.call_soon_threadsafe`). It may occasionally be called twice with
    the same settings. A deleted file reads as defaults.

    A file that cannot be read is reported (log, and `on_error` if given) and skipped, but NOT moved aside:
    a person may be in the middle of editing it by hand, and the last good settings stay in use until it is
    fixed. The next `SettingsStore.load()` or `update()` recovers it as usual (moves it aside, under the lock):
    the file that then disappears is no deletion to apply (defaults: no profile), so that too is reported and
    skipped; the last good settings stay in use until a readable file is saved.
    """

    def __init__(
        self,
        store: SettingsStore,
        callback: Callable[[Settings], None],
        interval: float,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._callback = callback
        self._on_error = on_error
        self._interval = interval
        self._stop = threading.Event()
        self._signature = store._signature()
        self._unreadable = False  # the last version of the file seen could not be read
        self._thread = threading.Thread(target=self._run, name="settings-watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            signature = self._store._signature()
            if signature == self._signature:
                continue
            self._signature = signature
            try:
                settings, _ = self._store._read()
            except _Unreadable as exc:
                self._unreadable = True
                message = (f"Settings file {self._store.path} changed but could not be read ({exc.reason}). The "
                           "settings in use are kept until it is fixed.")  # fmt: skip
                log.warning(message)
                self._report(message)
                continue
            if signature is None and self._unreadable:  # set aside as unreadable (`SettingsStore._recover`)
                message = (f"Settings file {self._store.path} could not be read and was set aside (next to it, as "
                           f"{self._store.path.name}.corrupt-<time>). The settings in use are kept until settings "
                           "are saved again.")  # fmt: skip
                log.warning(message)
                self._report(message)
                continue
            self._unreadable = False
            try:
                self._callback(settings)
            except Exception:
                log.exception("Settings change callback failed")

    def _report(self, message: str) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(message)
        except Exception:
            log.exception("Settings error callback failed")
