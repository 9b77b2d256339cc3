"""Finding the bridge, and starting it when nothing answers: the shim needs one running, but never owns it.

The bridge of a settings folder holds its lock and names its port beside it (`bridge.system.instance`): the shim
goes there, whatever port it was started on, and never starts a second one. Who answers on that port is
`endpoint.probe`'s to say, which with the local key asks for proof before the key is sent. The bridge is started
detached (`port-mcp-bridge serve`, as this installation runs it), so it outlives the client that
started it and serves every other client too. Also where the bridge went when it moved to another port.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from bridge import endpoint
from bridge.errors import BridgeError, BridgeUnavailable, NotTheBridge
from bridge.system import instance, paths


def serve_command() -> list[str]:
    """`port-mcp-bridge serve` as this installation runs it: the bundled program, or this Python's `-m bridge`."""
    if getattr(sys, "frozen", False):  # an installed bundle: sys.executable is a program, not a Python
        from bridge.export.program import find_program

        return [find_program() or sys.executable, "serve"]
    return [sys.executable, "-m", "bridge", "serve"]


def ensure_bridge(port: int, key: str | None = None, *, folder: Path | None = None, wait: float = 15.0) -> int:
    """The port to relay to: the running bridge of these settings (`folder`), on whatever port it was started with,
    else `port` (the settings'), where `port-mcp-bridge serve` is started in the background when nothing answers.
    With the local `key`, whatever answers must first prove it holds it (`endpoint.probe`), or nothing is sent to it.
    Raises `NotTheBridge` when something else answers there (or poses as the bridge), `BridgeUnavailable` when the
    bridge started does not answer within `wait` s."""
    folder = folder or paths.config_dir()
    target = _where(folder, port)
    alive = endpoint.probe(target, key=key)
    if alive == "other":  # a bridge just started, or too busy to answer within a second, looks the same: look again
        alive = endpoint.probe(target, key=key, timeout=5.0)
    if alive == "bridge":
        return target
    if alive != "nothing":  # a `serve` would only fail to listen, and the key must not go there
        raise _not_the_bridge(target, alive)
    started = _start_serve() if instance.holder(folder) is None else None  # one is starting: never a second
    said = _Said(started) if started is not None else None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        target = _where(folder, port)  # the bridge that won the lock may be on another port than ours would be
        alive = endpoint.probe(target, key=key)
        if alive == "bridge":
            return target
        if alive == "unproven":  # "other" may be the bridge starting: it listens before it answers
            raise _not_the_bridge(target, alive)
        if started is not None and said is not None and started.poll() is not None:
            if instance.holder(folder) is not None:  # it lost the lock to another bridge starting: use that one
                started = None
                continue
            raise BridgeUnavailable(f"The bridge could not start: {said.reason(started.returncode)}")
        time.sleep(0.1)
    raise BridgeUnavailable(
        f"Started the bridge but it did not answer at {endpoint.base_url(target)} within {wait:g} s. Run "
        "`port-mcp-bridge serve` in a terminal to see why."
    )


def _where(folder: Path, port: int) -> int:
    """The port of the bridge holding this settings folder's lock, else the settings' port."""
    found = instance.holder(folder)
    return found.port if found is not None and found.port else port


def _start_serve() -> subprocess.Popen[bytes]:
    """`serve` in the background. Its stderr comes here until it listens (`--detached` then points it elsewhere):
    should it fail first (no keychain, say), its own reason is what the client shows, at once, rather than a wait and
    "did not answer"."""
    command = [*serve_command(), "--detached"]
    if sys.platform == "win32":  # no console window, and it outlives the client that started it
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                creationflags=subprocess.DETACHED_PROCESS)  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip


class _Said:
    """What a starting `serve` writes on stderr, read by a thread until it ends (serve exits, or listens and
    points its stderr elsewhere). Only its error line is ever shown: the CLI's `Error: <title>: <message>`, which
    a `BridgeError` guarantees is free of secrets; a log line or a traceback is not repeated."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: list[bytes] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        with proc.stderr:
            for line in proc.stderr:
                if len(self.lines) < 200:  # an early failure says little: a bound on memory all the same
                    self.lines.append(line)

    def reason(self, code: int) -> str:
        self._thread.join(5)  # it exited: its stderr ends
        for line in reversed(self.lines):
            text = line.decode("utf-8", "replace").strip()
            if text.startswith("Error: "):
                return text.removeprefix("Error: ")
        return (f"it stopped (exit code {code}) before it answered. Run `port-mcp-bridge serve` in a terminal to "
                "see why.")  # fmt: skip


def _not_the_bridge(port: int, alive: str) -> NotTheBridge:
    where = f"{endpoint.HOST}:{port}"
    if alive == "unproven":
        return NotTheBridge(
            f"A program on {where}, the Port MCP Bridge's local port, answers like the bridge but cannot prove it "
            "holds this computer's local key, so neither the key nor this client's messages were sent to it. It may "
            "be a program posing as the bridge, or a bridge of an older version or with another local key. Quit "
            "it (or restart the computer), then restart this client's connection to the bridge."
        )
    return NotTheBridge(
        f"Another program answers on {where}, the Port MCP Bridge's local port, so the bridge cannot run there. "
        "Choose another local port in the app's Settings → General, then restart this client's connection to the "
        "bridge."
    )


def moved_to(port: int) -> int | None:
    """The port the settings now name, if the bridge moved there (the tray app moves when its port is taken)."""
    from bridge.settings import SettingsStore

    found = instance.holder(paths.config_dir())
    if found is not None and found.port and found.port != port:
        return found.port
    try:
        now = SettingsStore().load().local_port
    except (OSError, BridgeError):  # only a better message is at stake
        return None
    return now if now != port else None
