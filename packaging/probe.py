"""Start a built program and ask its bridge whether it answers: shared by smoke.py (Linux) and launch_check.py (every
system, in the release workflow). Standard library only."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time


class Failed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthz(port: int) -> bool:
    """True when the bridge (its own signature, not any HTTP server) answers /healthz on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            return b"port-mcp-bridge" in sock.recv(4096)
    except OSError:
        return False


def wait_ready(process: subprocess.Popen[str], port: int, started: float, timeout: float = 30) -> float:
    """Seconds from `started` until the bridge answers; Failed if the program exits first or never answers."""
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise Failed(f"the program exited with {process.returncode} before its bridge answered")
        if healthz(port):
            return time.monotonic() - started
        time.sleep(0.01)  # polling a port another process opens: there is no event to wait on
    raise Failed(f"no answer on 127.0.0.1:{port}/healthz within {timeout:g} s")


def stop(process: subprocess.Popen[str], sig: int | None = None) -> int:
    """Stop the program (SIGINT by default; on Windows, TerminateProcess); its exit code."""
    if process.poll() is None:
        if sys.platform == "win32":
            process.terminate()
        else:
            process.send_signal(signal.SIGINT if sig is None else sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise Failed("the program did not stop within 10 s of a signal") from None
    return process.returncode
