"""Fixtures for sign-in tests: a sandbox, a settings store with an OAuth profile, and a scripted browser."""

from __future__ import annotations

import pytest

from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from tests.support.browser import Browser
from tests.support.net import free_port


@pytest.fixture(autouse=True)
def free_redirect_ports(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Each profile's stable redirect port, chosen free for this test. The real ones (47780-47979) lie inside Linux's
    ephemeral range (32768-60999), so any connection on the machine may be holding one at that moment: sign-in then
    (rightly) falls back to another port, and a test that expects the usual one fails by chance."""
    from bridge.auth import callback

    chosen: dict[str, int] = {}

    def port(profile_id: str) -> int:
        if profile_id not in chosen:
            chosen[profile_id] = free_port()
        return chosen[profile_id]

    monkeypatch.setattr(callback, "stable_port", port)
    return chosen


@pytest.fixture
def store(sandbox: Sandbox) -> SettingsStore:
    settings = SettingsStore()
    settings.add_profile("Acme", sandbox.mcp_url, make_active=True)
    return settings


@pytest.fixture
def browser() -> Browser:
    return Browser()
