"""Project-wide test set-up: no test touches the real keychain or the real settings folder. The fixtures many test
folders share: a sandbox, the bridge in front of it (`rig`), and the tray app's `BridgeApi` on it (`api`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.support.memory_keyring import MemoryKeyring
from tests.support.processes import Children
from tests.support.recorder import MemoryRecorder

if TYPE_CHECKING:
    from bridge.api import BridgeApi
    from bridge.sandbox import Sandbox
    from tests.support.stack import Stack

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


@pytest.fixture
def recorder() -> MemoryRecorder:
    """The activity recorder a test's bridge is given (`running_stack(recorder=...)`): the records, in memory."""
    return MemoryRecorder()


@pytest.fixture
def settings_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The settings folder for this test (PORT_MCP_BRIDGE_HOME), not created yet."""
    from bridge.system import paths

    home = tmp_path / "home"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    return home


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Stack]:
    """A bridge in front of its own sandbox: profiles Acme (active), Acme dev and Globex in token mode, settings in a
    throwaway file, the keychain's local key."""
    from tests.support.stack import running_stack

    with running_stack(tmp_path / "settings.json", seed=3) as stack:
        yield stack


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[BridgeApi]:
    """The tray app's `BridgeApi` (not started) with two profiles on the sandbox, their API credentials in the
    keychain: Acme (active, builder) and Globex; the bridge on a free port."""
    from bridge.api import BridgeApi
    from bridge.settings import SettingsStore
    from tests.support.stack import token_profile

    store = SettingsStore()
    token_profile(store, "Acme", sandbox.mcp_url, "acme-builder-demo", active=True)
    token_profile(store, "Globex", sandbox.mcp_url, "globex-builder-demo")
    bridge = BridgeApi(store, port=0)
    try:
        yield bridge
    finally:
        bridge.stop()


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


@pytest.fixture
def children() -> Iterator[Children]:
    """Start child processes with `children.start([...], ...)`: stopped and their pipes closed when the test ends."""
    started = Children()
    try:
        yield started
    finally:
        started.close()
