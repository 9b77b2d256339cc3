"""Project-wide test set-up: no test touches the real keychain or the real settings folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.support.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from bridge.sandbox import Sandbox

pytest_plugins = ["tests.support.leak_check"]


class _FakeBrowserRequests(logging.Filter):
    """The tests' scripted browsers fetch the OAuth redirect, code and all; the app never does. Their httpx2 log
    lines are the tests' own, so they are kept out of captured output and the end-of-run secret scan."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/callback?" not in record.getMessage()


for _name in ("httpx2", "httpcore2.http11", "httpcore2.connection"):  # filters don't apply to child loggers' records
    logging.getLogger(_name).addFilter(_FakeBrowserRequests())


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh Port sandbox on a free loopback port (action runs finish in 0.3 s; seeded, so runs repeat)."""
    from bridge.sandbox import Sandbox, SandboxConfig

    box = Sandbox(config=SandboxConfig(run_seconds=0.3, seed=7)).start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(autouse=True)
def memory_keyring(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    monkeypatch.setenv("PORT_MCP_BRIDGE_HOME", str(tmp_path_factory.mktemp("home")))
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)
