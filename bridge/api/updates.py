"""The update check through the facade (`api.updates`): the daily rule, the check itself, and the switch in General.

`check()` is a blocking network call (a GUI runs it on a worker thread); nothing here installs anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bridge import __version__, updates
from bridge.errors import UpdateCheckFailed
from bridge.settings import Settings
from bridge.updates import Release

log = logging.getLogger(__name__)


class UpdateChecks:
    def __init__(self, settings: Callable[[], Settings], save: Callable[..., Settings]) -> None:
        self._settings = settings
        self._save = save  # BridgeApi._set: a settings change, written and applied
        self.feed = updates.RELEASES_URL  # tests point it at a feed on loopback
        self.timeout = updates.TIMEOUT
        self.version = __version__

    def enabled(self) -> bool:
        """The switch in Settings → General: check once a day on your own."""
        return self._settings().check_for_updates

    def set_enabled(self, enabled: bool) -> Settings:
        return self._save(check_for_updates=bool(enabled))

    def due(self, now: datetime | None = None) -> bool:
        """Whether the daily check should run now: switched on, and a day since the last one."""
        return self.enabled() and updates.due(updates.last_check(), now or updates.now())

    def check(self, now: datetime | None = None) -> Release | None:
        """The newer release, or None when this version is the latest; raises `UpdateCheckFailed`. The attempt is
        recorded either way, so a feed that is down is not asked again and again."""
        try:
            latest = updates.fetch_latest(self.feed, timeout=self.timeout)
        except UpdateCheckFailed as exc:
            log.warning("update check failed: %s", exc.message)
            raise
        finally:
            updates.record_check(now or updates.now())
        newer = updates.is_newer(latest.version, self.version)
        log.info("update check: latest release %s, this is %s%s", latest.version, self.version,
                 " (update available)" if newer else "")  # fmt: skip
        return latest if newer else None

    def check_if_due(self, now: datetime | None = None) -> Release | None:
        """The daily check: the newer release if it is time and there is one; failures are a log line only."""
        if not self.due(now):
            return None
        try:
            return self.check(now)
        except UpdateCheckFailed:
            return None
