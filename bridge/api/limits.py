"""`api.limits`: the two numbers in Settings → General that bound activity and approvals: the activity file's size
cap (MB, rotated past it) and how long an approval waits for the user (seconds, then Deny). Checked by the settings
model (`bridge/settings`), so a value out of range is refused with the same message everywhere."""

from __future__ import annotations

from collections.abc import Callable

from bridge.settings import Settings


class Limits:
    def __init__(self, settings: Callable[[], Settings], save: Callable[..., Settings]) -> None:
        self._settings = settings
        self._save = save  # BridgeApi._set: a settings change, written and applied to a running bridge

    def activity_max_mb(self) -> int:
        return self._settings().activity_max_mb

    def set_activity_max_mb(self, megabytes: int) -> Settings:
        """1 to 1000; raises `SettingsError` outside."""
        return self._save(activity_max_mb=megabytes)

    def approval_timeout(self) -> int:
        return self._settings().approval_timeout

    def set_approval_timeout(self, seconds: int) -> Settings:
        """10 to 3600; raises `SettingsError` outside."""
        return self._save(approval_timeout=seconds)
