"""`ActivityWatch`: tells the app when the activity file changed, so the Activity page and the tray's last calls
reload only then. Once a second it asks `api.activity.stamp()` (one `lstat`) on a worker thread; `changed` fires on
the GUI thread when the stamp differs from the last one (and after the first look)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

Run = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], None]


class ActivityWatch(QObject):
    changed = Signal()

    POLL_MS = 1000

    def __init__(self, stamp: Callable[[], object], run: Run, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stamp = stamp
        self._run = run  # Controller.run: the work on the thread pool, the callbacks on the GUI thread
        self._last: object = None
        self._asking = False  # one look at a time: a slow disk never piles up workers
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()
        self.poll()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def poll(self) -> None:
        if self._asking:
            return
        self._asking = True
        self._run(self._stamp, self._stamped, self._failed)

    def _stamped(self, stamp: object) -> None:
        self._asking = False
        if stamp != self._last:
            self._last = stamp
            self.changed.emit()

    def _failed(self, _: BaseException) -> None:
        self._asking = False  # the next tick asks again; a log folder that cannot be read shows as no activity
