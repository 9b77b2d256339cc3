"""Finding the bridge, and starting it when nothing answers: the shim needs one running, but never owns it.

Who answers on the bridge's port is `endpoint.probe`'s to say (the app, `status` and installers ask it too). The
bridge is started detached (`port-mcp-bridge serve`, as this installation runs it), so it outlives the client that
started it and serves every other client too. Also where the bridge went when it moved to another port.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from bridge import endpoint
from bridge.errors import BridgeError, BridgeUnavailable


def serve_command() -> list[str]:
    """`port-mcp-bridge serve` as this installation runs it: the bundled program, or this Python's `-m bridge`."""
    if getattr(sys, "frozen", False):  # an installed bundle: sys.executable is a program, not a Python
        from bridge.export.program import find_program

        return [find_program() or sys.executable, "serve"]
    return [sys.executable, "-m", "bridge", "serve"]


def ensure_bridge(port: int, *, wait: float = 15.0) -> None:
    """Start `port-mcp-bridge serve` in the background unless a bridge already answers on `port`. Raises
    `BridgeUnavailable` when another program holds the port, or the bridge started does not answer within `wait` s."""
    alive = endpoint.probe(port)
    if alive == "other":  # a bridge just started, or too busy to answer within a second, looks the same: look again
        alive = endpoint.probe(port, timeout=5.0)
    if alive == "bridge":
        return
    if alive == "other":  # a `serve` would only fail to listen
        raise BridgeUnavailable(
            f"Another program answers on {endpoint.HOST}:{port}, the Port MCP Bridge's local port, so the bridge "
            "cannot run there. Choose another local port in the app's Settings → General, then restart this "
            "client's connection to the bridge."
        )
    # serve's stderr comes here until it listens (`--detached` then points it elsewhere): should it fail first (no
    # keychain, say), its own reason is what the client shows, at once, rather than a wait and "did not answer".
    command = [*serve_command(), "--detached"]
    if sys.platform == "win32":  # no console window, and it outlives the client that started it
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                creationflags=subprocess.DETACHED_PROCESS)  # fmt: skip
    else:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)  # fmt: skip
    said = _Said(proc)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if endpoint.probe(port) == "bridge":  # "other" too may be the bridge starting: it listens before it answers
            return
        if proc.poll() is not None:
            raise BridgeUnavailable(f"The bridge could not start: {said.reason(proc.returncode)}")
        time.sleep(0.1)
    raise BridgeUnavailable(
        f"Started the bridge but it did not answer at {endpoint.base_url(port)} within {wait:g} s. Run "
        "`port-mcp-bridge serve` in a terminal to see why."
    )


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


def moved_to(port: int) -> int | None:
    """The port the settings now name, if the bridge moved there (the tray app moves when its port is taken)."""
    from bridge.settings import SettingsStore

    try:
        now = SettingsStore().load().local_port
    except (OSError, BridgeError):  # only a better message is at stake
        return None
    return now if now != port else None
