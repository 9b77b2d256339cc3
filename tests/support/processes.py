"""Helpers for tests that run the command line as a real process."""

from __future__ import annotations

import subprocess


def read_until(proc: subprocess.Popen[str], marker: str) -> str:
    """The process's output up to and including the first line containing `marker` (or all of it, if it ends)."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            break
    return "".join(lines)
