"""Helpers for tests that run the command line (or the app) as a real process."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the checkout: children import this tree's code


def child_env(tmp_path: Path, settings_home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a child process on a "machine" that is the test's folder: settings in `settings_home`
    (default: `tmp_path`), HOME and per-user state under `tmp_path`, and a keychain in `tmp_path/keychain.json`
    (tests.support.file_keyring: there is no OS keychain in CI); `extra` adds or overrides variables."""
    return {
        **os.environ,
        "PORT_MCP_BRIDGE_HOME": str(settings_home or tmp_path),
        "HOME": str(tmp_path),  # log folder and anything else per-user stays in the test's folder
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
        "TEST_KEYRING_FILE": str(tmp_path / "keychain.json"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def read_until(proc: subprocess.Popen[str], marker: str) -> str:
    """The process's output up to and including the first line containing `marker` (or all of it, if it ends)."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            break
    return "".join(lines)


class Children:
    """Child processes a test starts: at its end each is stopped if still running and its pipes are closed, whatever
    happened (an open pipe left to the garbage collector is a ResourceWarning, and warnings are errors here)."""

    def __init__(self, started: list[subprocess.Popen[Any]] | None = None) -> None:
        self.started = started or []

    def start(self, command: list[str], **options: Any) -> subprocess.Popen[Any]:
        proc: subprocess.Popen[Any] = subprocess.Popen(command, **options)
        self.started.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):  # a broken pipe to a process that is gone
                        pipe.close()
