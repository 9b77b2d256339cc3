"""A temporary home for the exporter: every client's files live under it, never under the real home."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
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
    project = tmp_path / "project"  # the folder chosen for VS Code's workspace file
    project.mkdir()
    return Env(home=home, system="linux", environ={}, program=PROGRAM, workspace=project)


@pytest.fixture
def active() -> Entry:
    return Entry("port", "http://127.0.0.1:47773/mcp", KEY, program=PROGRAM)


@pytest.fixture
def pinned() -> Entry:
    return Entry("port-acme", "http://127.0.0.1:47773/p/acme/mcp", KEY, profile_id="acme", program=PROGRAM)


@pytest.fixture
def read_only_folder() -> Iterator[Callable[[Path], None]]:
    """Make a folder one that this process cannot create files in, for real: mode 0555, or, as root (whom modes do
    not stop), the immutable attribute (`chattr +i`); skipped where neither works. Undone when the test ends."""
    made: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
                pytest.skip("running as root, and the immutable attribute is not available here")
        else:
            folder.chmod(0o555)
        made.append(folder)
        probe = folder / ".probe"
        with pytest.raises(PermissionError):
            probe.write_bytes(b"")

    yield make
    for folder in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)
