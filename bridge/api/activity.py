"""Activity through the facade (`api.activity`): what assistants did through the bridge, read from the activity file.

The bridge writes the file (in whichever process runs it: the tray app, `serve`); this reads it, so the Activity page
and `port-mcp-bridge activity` show the same records whether or not the bridge runs here. Reads are blocking file I/O
(a GUI calls `recent` on a worker thread, or only when `stamp()` changed); `stamp` is one `lstat`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from bridge.activity import reader
from bridge.activity.file import ACTIVITY_FILE, empty
from bridge.activity.links import run_link
from bridge.activity.reader import Follower, Query, Stamp
from bridge.activity.record import CallRecord
from bridge.errors import BridgeError
from bridge.settings import Settings
from bridge.system.paths import log_dir


class Activity:
    def __init__(self, settings: Callable[[], Settings], folder: Callable[[], Path] = log_dir) -> None:
        self._settings = settings
        self._folder = folder  # the log folder, looked up at each call (tests point PORT_MCP_BRIDGE_HOME elsewhere)

    def path(self) -> Path:
        """The activity file (it may not exist yet); `activity.1.jsonl` beside it holds the records before."""
        return self._folder() / ACTIVITY_FILE

    def recent(self, limit: int = 200, *, profile: str | None = None, client: str | None = None,
               outcome: str | None = None, search: str = "") -> list[CallRecord]:  # fmt: skip
        """The newest `limit` records that match, newest first. `profile`: an id or a name; `client`: a clientInfo
        name; `outcome`: one of `OUTCOMES`; `search`: words that must all appear (case-insensitive)."""
        return reader.recent(self._folder(), limit, Query(profile, client, outcome, search))

    def stamp(self) -> Stamp:
        """Changes whenever the file does (a record written, a rotation, a clear): poll it, reload when it changed."""
        return reader.stamp(self._folder())

    def follow(self, *, profile: str | None = None, client: str | None = None, outcome: str | None = None,
               search: str = "", backlog: int = 0, poll: float = 0.5,
               stop: threading.Event | None = None) -> Follower:  # fmt: skip
        """The newest `backlog` matching records (oldest first), then each one as it is written (a blocking
        iterator: close it when done), until `stop` is set. The file is opened before this returns, so nothing
        written after it is missed."""
        query = Query(profile, client, outcome, search)
        return reader.follow(self._folder(), query, backlog=backlog, poll=poll, stop=stop)

    def run_link(self, record: CallRecord) -> str | None:
        """The action run's page in Port (EU or US web app), or None (no run id, a workflow run, a custom region)."""
        return run_link(record, self._settings().find_profile(record.profile_id) if record.profile_id else None)

    def clear(self) -> None:
        """Forget the recorded activity: both files emptied (blocking: file I/O; `file.empty`)."""
        try:
            empty(self._folder())
        except OSError as exc:
            raise BridgeError(f"Could not clear the activity: {exc.strerror or exc}.", title="Activity") from None
