"""`port-mcp-bridge sandbox` as a real process."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from tests.support.processes import Children, read_until


@contextmanager
def running(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, *args, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        text = read_until(proc, "Press Ctrl+C")
        match = re.search(r"MCP URL:\s+(http://127\.0\.0\.1:\d+/v1)", text)
        assert match, text + (proc.stderr.read() if proc.stderr else "")
        yield proc, text
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        Children([proc]).close()  # the pipes too


def test_sandbox_command_serves_and_prints_what_a_user_needs() -> None:
    with running("-m", "bridge", "sandbox", "--fault", "latency=0.05") as (proc, text):
        mcp_url = re.search(r"MCP URL:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        assert "acme-builder-demo / sandbox-secret-acme-builder" in text
        base = mcp_url.removesuffix("/v1")
        token = httpx2.post(
            f"{base}/v1/auth/access_token",
            json={"clientId": "acme-builder-demo", "clientSecret": "sandbox-secret-acme-builder"},
        ).json()["accessToken"]
        unauthenticated = httpx2.post(mcp_url, json={})
        assert unauthenticated.status_code == 401 and "resource_metadata" in unauthenticated.headers["www-authenticate"]
        assert httpx2.get(f"{base}/_sandbox/faults").json()["latency"] == 0.05
        init = httpx2.post(
            mcp_url,
            json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
        )  # fmt: skip
        assert init.status_code == 200 and init.headers["mcp-session-id"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_busy_port_gets_a_clear_message() -> None:
    with running("-m", "bridge", "sandbox") as (_, text):
        port = re.search(r":(\d+)/v1", text).group(1)  # type: ignore[union-attr]
        result = subprocess.run(
            [sys.executable, "-m", "bridge", "sandbox", "--port", port], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr and "--port 0" in result.stderr


def test_bad_fault_knob_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "sandbox", "--port", "0", "--fault", "warp=9"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2 and "Unknown fault knob 'warp'" in result.stderr


def test_the_sso_login_error_flag_starts_the_sandbox_as_ports_sso_organizations_behave() -> None:
    with running("-m", "bridge", "sandbox", "--sso-login-error") as (_, text):
        base = re.search(r"MCP URL:\s+(\S+)/v1", text).group(1)  # type: ignore[union-attr]
        knobs = httpx2.get(f"{base}/_sandbox/faults").json()
        assert knobs["sso_login_error"] is True and knobs["dcr_enabled"] is True  # registration still works
