"""Fixtures for sign-in tests: a sandbox, a settings store with an OAuth profile, and a scripted browser."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from dataclasses import dataclass, field

import httpx2
import pytest

from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore

ACME_DANA = "dana@acme.example org_AcmeDemo00000EU1"
GLOBEX_DANA = "dana@acme.example org_GlobexDemo000002"


@pytest.fixture(autouse=True)
def free_redirect_ports(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Each profile's stable redirect port, chosen free for this test. The real ones (47780-47979) lie inside Linux's
    ephemeral range (32768-60999), so any connection on the machine may be holding one at that moment: sign-in then
    (rightly) falls back to another port, and a test that expects the usual one fails by chance."""
    from bridge.auth import callback

    chosen: dict[str, int] = {}

    def port(profile_id: str) -> int:
        if profile_id not in chosen:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                chosen[profile_id] = probe.getsockname()[1]
        return chosen[profile_id]

    monkeypatch.setattr(callback, "stable_port", port)
    return chosen


@pytest.fixture
def store(sandbox: Sandbox) -> SettingsStore:
    settings = SettingsStore()
    settings.add_profile("Acme", sandbox.mcp_url, make_active=True)
    return settings


@dataclass
class Browser:
    """Plays the user: opens the consent page, picks `choice`, approves (or denies), follows the redirect home."""

    choice: str = ACME_DANA
    decision: str = "approve"
    act: bool = True  # False: the user never comes back (timeouts, cancel)
    opened: list[str] = field(default_factory=list)
    landed: list[httpx2.Response] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if self.act:
            self.tasks.append(asyncio.get_running_loop().create_task(self._approve(url)))
        return True

    async def _approve(self, url: str) -> None:
        async with httpx2.AsyncClient(timeout=10) as browser:
            page = await browser.get(url)
            form = {
                html.unescape(k): html.unescape(v)
                for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            }
            answer = await browser.post(url, data={**form, "choice": self.choice, "decision": self.decision})
            assert answer.status_code == 302, answer.text
            self.landed.append(await browser.get(answer.headers["location"]))

    @property
    def last_page(self) -> str:
        return self.landed[-1].text if self.landed else ""


@pytest.fixture
def browser() -> Browser:
    return Browser()
