"""Settings under several processes: concurrent updates lose nothing, and a writer killed at any moment never
leaves a broken settings file behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.settings import Profile, Region, Settings, SettingsStore
from tests.support.processes import ROOT, Children

ADDER = """
import sys, time
from bridge.settings import Profile, Region, SettingsStore

tag = sys.argv[1]
store = SettingsStore()
print("ready", flush=True)
assert sys.stdin.readline() == "go\\n"
for i in range(25):
    def add(settings, i=i):
        time.sleep(0.002)  # not synchronisation: widens the read-modify-write window (no lock: updates lost)
        settings.profiles.append(Profile(id=f"{tag}-{i}", name=f"{tag} {i}", region=Region.EU))
    store.update(add)
"""


def test_concurrent_updates_from_two_processes_lose_nothing(settings_home: Path, children: Children) -> None:
    adders = [
        children.start(
            [sys.executable, "-c", ADDER, tag], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for tag in ("alpha", "beta")
    ]
    for adder in adders:
        assert adder.stdout is not None
        assert adder.stdout.readline().strip() == "ready"
    for adder in adders:  # start both at once (both are waiting for the word) so their updates interleave
        assert adder.stdin is not None
        adder.stdin.write("go\n")
        adder.stdin.flush()
    for adder in adders:
        assert adder.wait(timeout=60) == 0
    loaded = SettingsStore().load()
    ids = {p.id for p in loaded.profiles}
    assert ids == {f"{tag}-{i}" for tag in ("alpha", "beta") for i in range(25)}
    assert len(loaded.profiles) == 50


def _big_settings(round_: int) -> Settings:
    profiles = [
        Profile(
            id=f"org-{i}",
            name=f"Organization {i} round {round_}",
            organization=f"org-{i}",
            region=Region.CUSTOM if i % 3 == 0 else Region.EU,
            base_url=f"http://127.0.0.1:{40000 + i}/v1" if i % 3 == 0 else None,
            allowed_actions=[f"action_{j}" for j in range(i % 7)],
            secret_refs={"oauth": f"profile/org-{i}/oauth"},
        )
        for i in range(200)
    ]
    return Settings(active_profile="org-0", local_port=47773 + round_ % 100, profiles=profiles)


def _writer(path: Path, ready_fd: int) -> None:
    """Runs in a forked child: save in a tight loop until killed."""
    store = SettingsStore(path)
    variants = [_big_settings(n) for n in range(3)]
    store.save(variants[0])
    os.write(ready_fd, b"x")
    n = 0
    while True:
        n += 1
        store.save(variants[n % 3])


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
def test_writer_killed_at_random_moments_never_leaves_a_broken_file(settings_home: Path) -> None:
    path = settings_home / "settings.json"
    rng = random.Random(0x5E77)
    iterations = 120
    killed_mid_write = 0
    started = time.monotonic()
    for _ in range(iterations):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never return into pytest
            try:
                os.close(read_fd)
                _writer(path, write_fd)
            finally:
                os._exit(1)
        os.close(write_fd)
        try:
            assert os.read(read_fd, 1) == b"x", "writer died before its first save"
            time.sleep(rng.uniform(0, 0.030))  # not synchronisation: the random moment of the kill is the test
            os.kill(pid, signal.SIGKILL)
        finally:
            os.close(read_fd)
            _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if any(name.startswith(".settings.json.tmp-") for name in os.listdir(settings_home)):
            killed_mid_write += 1
        if path.exists():
            Settings.model_validate(json.loads(path.read_bytes()))  # parses and validates
        store = SettingsStore(path)
        loaded = store.load()
        assert store.recovered_from is None
        assert len(loaded.profiles) == 200
        assert not [name for name in os.listdir(settings_home) if ".corrupt-" in name]
    # the next save removes what killed writers left behind
    SettingsStore(path).save(_big_settings(0))
    assert not [name for name in os.listdir(settings_home) if ".tmp-" in name]
    elapsed = time.monotonic() - started
    print(f"{iterations} kills in {elapsed:.1f}s, {killed_mid_write} while a temp file existed")
