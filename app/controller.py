"""The Qt side of `bridge.api.BridgeApi`: state as signals, and blocking or network work off the GUI thread.

The GUI owns no business logic: windows and the tray call `controller.api` for plain reads and settings changes
(milliseconds: a small file write), and `controller.run(...)` / `controller.watch(...)` for anything that may wait
on the network or the keychain. Results always come back on the GUI thread.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app.activity_watch import ActivityWatch
from bridge.api import BridgeApi, ProfileView, Snapshot
from bridge.errors import BridgeError

log = logging.getLogger(__name__)

UNREACHABLE = "Port unreachable"  # the notice whose click runs the doctor (the tray's `_notice`)
SWITCHED_TO_SIGN_IN = "Profile switched: sign in to use it"  # the notice whose click signs in to the active profile

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Relay(QObject):
    """Crosses from any thread to the GUI thread: a queued signal carries the callback and its argument."""

    deliver = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._call)

    @Slot(object, object)
    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        callback(value)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, on_done: Done, on_error: Failed) -> None:
        super().__init__()
        self._fn, self._relay, self._done, self._error = fn, relay, on_done, on_error

    def run(self) -> None:
        try:
            value = self._fn()
        except BaseException as exc:  # handed to the GUI, never swallowed
            self._relay.deliver.emit(self._error, exc)
        else:
            self._relay.deliver.emit(self._done, value)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(title, message) for a person; bridge errors carry their own, anything else is an unexpected failure."""
    if isinstance(exc, BridgeError):
        return exc.title, exc.message
    if isinstance(exc, concurrent.futures.CancelledError):
        return "Cancelled", "The operation was cancelled."
    return "Something went wrong", f"{type(exc).__name__}: {exc}. Details are in the log (Open logs)."


class Controller(QObject):
    """One per app. `snapshotChanged` fires when anything the tray shows changes; `notify` for a desktop notice."""

    snapshotChanged = Signal(object)  # Snapshot
    notify = Signal(str, str)  # title, message
    failed = Signal(str, str)  # title, message: an operation the user started did not work
    failedWith = Signal(object)  # in place of `failed` for a BridgeError with `actions`: shown with its buttons
    showPage = Signal(str)  # an error's button asks for a settings page ("doctor", "choose_port", "profiles")
    showCall = Signal(object)  # a CallRecord picked in the menu's Recent activity: Settings → Activity, selected

    POLL_MS = 1000

    def __init__(self, api: BridgeApi, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.pool = QThreadPool(self)
        # The tasks wait on the network, not the CPU: Qt's default (one thread per CPU, 2 on many laptops) let two
        # slow page loads hold up everything else the user asked for, the doctor included.
        self.pool.setMaxThreadCount(max(8, self.pool.maxThreadCount()))
        self._relay = _Relay()
        self._snapshot: Snapshot | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self.refresh)
        # The activity file's changes (the Activity page and the tray's last calls reload on `activity.changed`).
        self.activity = ActivityWatch(api.activity.stamp, self.run, self)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the bridge (raises `PortInUse` and friends for the caller to show) and begin watching it."""
        self.api.start()
        self.refresh()
        self._timer.start()
        self.activity.start()

    def stop(self) -> None:
        self._timer.stop()
        self.activity.stop()
        self.pool.waitForDone(5000)
        self.api.stop()

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = self.api.snapshot()
        return self._snapshot

    @Slot()
    def refresh(self) -> None:
        new = self.api.snapshot()
        old, self._snapshot = self._snapshot, new
        if new != old:
            if old is not None:
                self._announce(old, new)
            self.snapshotChanged.emit(new)

    def _announce(self, old: Snapshot, new: Snapshot) -> None:
        """Desktop notices for what a user must know without looking: sign-in needed, switch, Port lost and back."""
        before = {p.id: p for p in old.profiles}
        if new.active and old.active and new.active.id != old.active.id:
            if new.active.demo or new.active.has_credentials:
                self.notify.emit("Profile switched", f"Your assistants now reach {_label(new.active)}.")
            else:  # nothing saved to sign in with: saying "now reach" would be untrue until the user signs in
                self.notify.emit(SWITCHED_TO_SIGN_IN, f"Your assistants reach {_label(new.active)} once you sign "
                                 "in. Click to sign in.")  # fmt: skip
        for profile in new.profiles:
            was = before.get(profile.id)
            if was is None:
                continue
            if profile.state == "needs_sign_in" and was.state != "needs_sign_in":
                self.notify.emit("Sign-in needed", f"{profile.name}: sign in again from the app's menu.")
            if profile.last_error and not was.last_error:
                self.notify.emit(UNREACHABLE, f"{profile.name}: {profile.last_error}. Click to run the doctor.")
            elif was.last_error and not profile.last_error:
                self.notify.emit("Port is back", f"{profile.name} is reachable again.")

    # --- work off the GUI thread -------------------------------------------------------------------------------

    def run(self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None) -> None:
        """Run a blocking call on the thread pool; the callbacks run on the GUI thread."""
        self.pool.start(_Task(fn, self._relay, on_done or _ignore, on_error or self._report))

    def watch(
        self, future: concurrent.futures.Future[Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> concurrent.futures.Future[Any]:
        """Deliver a bridge-loop future's outcome on the GUI thread (and refresh the snapshot after it)."""
        done, error = on_done or _ignore, on_error or self._report

        def finished(f: concurrent.futures.Future[Any]) -> None:
            if f.cancelled():
                self._relay.deliver.emit(error, concurrent.futures.CancelledError())
            elif f.exception() is not None:
                self._relay.deliver.emit(error, f.exception())
            else:
                self._relay.deliver.emit(done, f.result())
            self._relay.deliver.emit(lambda _: self.refresh(), None)

        future.add_done_callback(finished)
        return future

    def _report(self, exc: BaseException) -> None:
        if not isinstance(exc, BridgeError | concurrent.futures.CancelledError):
            log.error("unexpected failure in a background task", exc_info=exc)
        if isinstance(exc, BridgeError) and exc.actions:
            self.failedWith.emit(exc)
            return
        self.failed.emit(*describe_error(exc))

    # --- the tray's one-click actions --------------------------------------------------------------------------

    def use_profile(self, profile_id: str) -> None:
        self._settle(lambda: self.api.use_profile(profile_id))

    def set_read_only(self, profile_id: str, read_only: bool) -> None:
        self._settle(lambda: self.api.set_read_only(profile_id, read_only))

    def set_paused(self, paused: bool) -> None:
        self._settle(lambda: self.api.set_paused(paused))

    def _settle(self, change: Callable[[], Any]) -> None:
        """A settings change is a small file write: done here, then the snapshot is refreshed at once."""
        try:
            change()
        except BridgeError as exc:
            self.failed.emit(exc.title, exc.message)
        self.refresh()


def _label(profile: ProfileView) -> str:
    return f"{profile.name} ({profile.organization})" if profile.organization else profile.name


def _ignore(value: Any) -> None:
    return None
