"""A sandbox and the bridge in front of it in a process with few file descriptors: `python -m
tests.support.crowded_child LIMIT SETTINGS_FILE` sets RLIMIT_NOFILE to LIMIT (soft and hard, so it cannot be raised),
starts both, prints `ready <port> <key>` and serves until its stdin closes."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

KEY = "crowded-local-key"


def main() -> None:
    limit, settings = int(sys.argv[1]), Path(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    from tests.support.stack import running_stack

    with running_stack(settings, seed=5, key=KEY) as stack:
        print("ready", stack.bridge.port, KEY, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
