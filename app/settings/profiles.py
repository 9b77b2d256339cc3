"""The Profiles page (being built)."""

from __future__ import annotations

from app.controller import Controller
from app.settings.common import Page


class ProfilesPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(controller, "Profiles", "")
        self.body.addStretch(1)
