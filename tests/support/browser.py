"""The user's part of a browser sign-in against the sandbox's consent page, played over HTTP."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass, field

import httpx2

ACME_DANA = "dana@acme.example org_AcmeDemo00000EU1"
GLOBEX_DANA = "dana@acme.example org_GlobexDemo000002"


def consent_form(page: str) -> dict[str, str]:
    """The hidden fields of the sandbox's consent page, to post back with the user's choice and decision."""
    fields = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {html.unescape(k): html.unescape(v) for k, v in fields}


@dataclass
class Browser:
    """Plays the user: opens the consent page, picks `choice`, approves (or denies), follows the redirect home; on a
    page without the consent form (an error page) it stays there. `was_opened` is set when the app opens it (the
    sign-in is waiting for the user)."""

    choice: str = ACME_DANA
    decision: str = "approve"
    act: bool = True  # False: the user never comes back (timeouts, cancel)
    opened: list[str] = field(default_factory=list)
    landed: list[httpx2.Response] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    was_opened: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        self.was_opened.set()
        if self.act:
            self.tasks.append(asyncio.get_running_loop().create_task(self._approve(url)))
        return True

    async def _approve(self, url: str) -> None:
        async with httpx2.AsyncClient(timeout=10) as browser:
            page = await browser.get(url)
            form = consent_form(page.text)
            if not form:  # an error page (Port's SSO page): nothing to click, the user is stuck there
                self.landed.append(page)
                return
            answer = await browser.post(url, data={**form, "choice": self.choice, "decision": self.decision})
            assert answer.status_code == 302, answer.text
            self.landed.append(await browser.get(answer.headers["location"]))

    @property
    def last_page(self) -> str:
        return self.landed[-1].text if self.landed else ""
