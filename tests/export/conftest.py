"""A temporary home for the exporter: every client's files live under it, never under the real home."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.export import Entry, Env

PROGRAM = "/opt/port-mcp-bridge/bin/port-mcp-bridge"
KEY = "test-local-key"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    home = tmp_path / "home"
    home.mkdir()
    return Env(home=home, system="linux", environ={}, program=PROGRAM)


@pytest.fixture
def active() -> Entry:
    return Entry("port", "http://127.0.0.1:47773/mcp", KEY, program=PROGRAM)


@pytest.fixture
def pinned() -> Entry:
    return Entry("port-acme", "http://127.0.0.1:47773/p/acme/mcp", KEY, profile_id="acme", program=PROGRAM)
