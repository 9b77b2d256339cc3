"""bridge/system/descriptors.py: the open-files limit raised at start where the OS allows, and each server's share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.system import descriptors
from tests.support.processes import Children, child_env

RAISE = """
import resource
from bridge.system import descriptors
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
print(descriptors.raise_open_files_limit(), hard, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE on Windows")
def test_the_soft_limit_is_raised_to_the_hard_one(children: Children, tmp_path: Path) -> None:
    proc = children.start([sys.executable, "-c", RAISE], env=child_env(tmp_path), stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    reported, hard, now = (int(v) for v in out.split())
    assert reported == now == hard


def test_each_server_gets_a_quarter_of_what_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    for limit, cap in [(128, 16), (256, 48), (1024, 240), (1 << 20, descriptors.MAX_CAP), (70, descriptors.MIN_CAP)]:
        monkeypatch.setattr(descriptors, "raise_open_files_limit", lambda limit=limit: limit)
        assert descriptors.connection_cap() == cap
