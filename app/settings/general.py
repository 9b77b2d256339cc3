"""The General page (being built)."""

from __future__ import annotations

from app.controller import Controller
from app.settings.common import Page


class GeneralPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(controller, "General", "")
        self.body.addStretch(1)
