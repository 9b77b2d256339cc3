"""Approvals through the facade (`api.approvals`): the front end that asks the user (the tray app's dialog) registers
here, and it takes effect on the running bridge at once and on every bridge the facade starts later (a port move
restarts it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bridge.approvals.model import Asker

if TYPE_CHECKING:
    from bridge.proxy.service import BridgeService


class Approvals:
    def __init__(self, service: Callable[[], BridgeService | None]) -> None:
        self._service = service
        self.asker: Asker | None = None
        self.timeout_override: float | None = None

    def set_asker(self, asker: Asker | None) -> None:
        """Who asks the user from now on (None: nobody here; calls that need approval are asked inside the IDE where
        the client can, else refused with a way to approve). The asker is called on the bridge's loop and must not
        block: it returns a future the front end completes with "once", "session" or "deny"."""
        self.asker = asker
        service = self._service()
        if service is not None:
            service.approvals.set_asker(asker)

    def set_timeout_override(self, seconds: float | None) -> None:
        """Seconds an approval waits instead of the settings' `approval_timeout` (tests; None: the settings')."""
        self.timeout_override = seconds
        service = self._service()
        if service is not None:
            service.approvals.override = seconds

    def configure(self, service: BridgeService) -> BridgeService:
        """A new bridge gets what was registered here (the facade calls it for every bridge it makes)."""
        service.approvals.set_asker(self.asker)
        service.approvals.override = self.timeout_override
        return service
