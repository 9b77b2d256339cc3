"""`port-mcp-bridge serve`, `status`, `stdio` and `demo` as real processes, against the sandbox."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import SettingsStore
from tests.support.net import free_port
from tests.support.processes import Children, child_env, read_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[dict[str, str], int, Sandbox]]:
    """A user's machine: settings with one token-mode profile on the sandbox, its credentials in a keychain."""
    box = Sandbox().start()
    port = free_port()
    store = SettingsStore(tmp_path / "settings.json")
    store.add_profile("Acme", box.mcp_url, organization="Acme Corp", auth_mode="token")
    store.set_profile("acme", secret_refs={"client_credentials": "profile/acme/client-credentials"})
    store.update(lambda s: setattr(s, "local_port", port))
    secret = DEMO_CREDENTIALS["acme-builder-demo"][0]
    keychain = tmp_path / "keychain.json"
    keychain.write_text(json.dumps({"port-mcp-bridge/profile/acme/client-credentials": json.dumps(
        {"clientId": "acme-builder-demo", "clientSecret": secret})}))  # fmt: skip
    env = child_env(tmp_path)
    try:
        yield env, port, box
    finally:
        stop_bridge(env, port)
        box.stop()


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip


def stop_bridge(env: dict[str, str], port: int) -> None:
    result = cli(env, "status", "--json")
    report = json.loads(result.stdout or "{}")
    if report.get("running"):
        os.kill(report["pid"], signal.SIGTERM)


def test_stdio_starts_the_bridge_and_relays_a_whole_session(
    home: tuple[dict[str, str], int, Sandbox], children: Children
) -> None:
    env, port, _ = home
    assert cli(env, "status").returncode == 3  # nothing running yet
    proc = children.start([sys.executable, "-m", "bridge", "stdio"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdin and proc.stdout

    def ask(message: dict) -> dict | None:
        proc.stdin.write(json.dumps(message) + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        return json.loads(proc.stdout.readline()) if "id" in message else None  # type: ignore[union-attr]

    try:
        hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "claude", "version": "1"}}
        init = ask({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello})
        assert init and init["result"]["serverInfo"]["name"] == "Port MCP Server (sandbox)"
        ask({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        assert tools and "run_action" in {t["name"] for t in tools["result"]["tools"]}
        call = ask({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "list_entities", "arguments": {"blueprintIdentifier": "service", "countOnly": True}}})  # fmt: skip
        assert call and json.loads(call["result"]["content"][0]["text"]) == {"count": 36}
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)
    status = cli(env, "status")
    assert status.returncode == 0 and f"127.0.0.1:{port}/mcp" in status.stdout
    assert re.search(r"\* acme\s+signed_in", status.stdout), status.stdout


def test_serve_runs_in_the_foreground_and_logs_no_secrets(
    home: tuple[dict[str, str], int, Sandbox], children: Children
) -> None:
    env, port, _ = home
    proc = children.start([sys.executable, "-m", "bridge", "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout
    banner = "".join(proc.stdout.readline() for _ in range(4))
    assert f"listening on http://127.0.0.1:{port}/mcp" in banner and "Active profile: Acme" in banner
    log_file = Path(re.search(r"Log file: (\S+)", banner).group(1))  # type: ignore[union-attr]
    key = json.loads(Path(env["TEST_KEYRING_FILE"]).read_text())["port-mcp-bridge/local-key"]
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    r = httpx2.post(f"http://127.0.0.1:{port}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    assert r.status_code in (200, 400, 404)  # a ping before initialize: whatever Port answers, passed through
    second = cli(env, "serve")  # one bridge per settings folder: a second one explains and exits
    assert second.returncode == 1 and f"Another Port MCP Bridge (process {proc.pid})" in second.stderr
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    text = log_file.read_text() if log_file.exists() else ""
    assert key not in text and "sandbox-secret" not in text


def test_a_second_bridge_on_the_same_settings_is_refused_and_the_shim_uses_the_first_on_its_port(
    home: tuple[dict[str, str], int, Sandbox], children: Children
) -> None:
    """Two bridges on one settings folder would both refresh the same sign-in, and Port would end it. A `serve` on
    another port than the settings' holds the folder: a second `serve` is refused naming it (process, port), and the
    stdio shim relays to it there rather than starting a bridge on the settings' port."""
    env, port, _ = home
    elsewhere = free_port()
    first = children.start([sys.executable, "-m", "bridge", "serve", "--port", str(elsewhere)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert f"127.0.0.1:{elsewhere}/mcp" in read_until(first, "Press Ctrl+C")
    second = cli(env, "serve")
    assert second.returncode == 1, second.stderr
    assert f"process {first.pid}" in second.stderr and f"on 127.0.0.1:{elsewhere}" in second.stderr, second.stderr
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "claude", "version": "1"}}
    shim = children.start([sys.executable, "-m", "bridge", "stdio"], env=env, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    shim.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}) + "\n")
    shim.stdin.flush()
    assert json.loads(shim.stdout.readline())["result"]["serverInfo"]["name"] == "Port MCP Server (sandbox)"
    shim.stdin.close()
    assert shim.wait(timeout=20) == 0
    from bridge import endpoint

    assert endpoint.probe(port) == "nothing"  # no second bridge on the settings' port
    assert first.poll() is None
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=20) == 0


@pytest.mark.parametrize("command", [["-m", "bridge", "demo"], ["-m", "app"]])  # the README's run command
def test_demo_runs_a_scripted_session_and_prints_a_config(
    tmp_path: Path, command: list[str], children: Children
) -> None:
    env = {**os.environ, "PORT_MCP_BRIDGE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    proc = children.start([sys.executable, *command, "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    out = read_until(proc, "Serving until Ctrl+C")
    assert '2. "Who owns OrderProcessing?" → team backend' in out, out
    assert "4. track_action_run → SUCCESS" in out
    config = json.loads(out[out.index("{") : out.rindex("}") + 1])
    url = config["mcpServers"]["port"]["url"]
    r = httpx2.get(url.replace("/mcp", "/healthz"))
    assert r.json()["ok"] is True
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0


def test_login_checks_token_credentials_and_keeps_them_in_the_keychain(
    home: tuple[dict[str, str], int, Sandbox],
) -> None:
    env, _, box = home
    assert cli(env, "profiles", "add", "Second", "--region", box.mcp_url, "--auth", "token").returncode == 0
    secret = DEMO_CREDENTIALS["acme-developer-demo"][0]
    login = [sys.executable, "-m", "bridge", "login", "second", "--client-id", "acme-developer-demo"]
    login.append("--client-secret-stdin")
    bad = subprocess.run(login, env=env, input="wrong\n", capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "refused the API credentials" in bad.stderr
    good = subprocess.run(login, env=env, input=secret + "\n", capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stderr
    keychain = json.loads(Path(env["TEST_KEYRING_FILE"]).read_text())
    assert json.loads(keychain["port-mcp-bridge/profile/second/client-credentials"])["clientSecret"] == secret
    settings_text = (Path(env["PORT_MCP_BRIDGE_HOME"]) / "settings.json").read_text()
    assert secret not in settings_text and "profile/second/client-credentials" in settings_text
    assert "signed_in" not in settings_text
    listed = cli(env, "profiles", "list")
    assert "API credentials" in listed.stdout, listed.stdout


def test_doctor_walks_the_path_to_port(home: tuple[dict[str, str], int, Sandbox]) -> None:
    env, _, _ = home
    report = cli(env, "doctor")
    assert report.returncode == 0, report.stdout + report.stderr
    # The same checks as the tray app's Doctor (one implementation): the local port and the tool count included.
    for step in ("Settings", "Keychain", "Local port", "Profile", "DNS", "Connection", "Sign-in", "MCP", "Tool count"):
        assert f"[ok] {step}" in report.stdout
    assert "sandbox-secret" not in report.stdout and "eyJ" not in report.stdout
    cli(env, "profiles", "add", "Closed", "--region", "http://127.0.0.1:9/v1", "--auth", "token")
    broken = cli(env, "doctor", "closed")
    assert broken.returncode == 1 and "[FAIL] Connection" in broken.stdout and "-> " in broken.stdout


def test_a_bridge_serving_without_the_local_key_says_so_in_its_log_and_in_status(
    home: tuple[dict[str, str], int, Sandbox], tmp_path: Path, children: Children
) -> None:
    env, _, _ = home
    SettingsStore(tmp_path / "settings.json").update(lambda s: setattr(s, "require_local_key", False))
    proc = children.start([sys.executable, "-m", "bridge", "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout and proc.stderr
    read_until(proc, "Press Ctrl+C to stop.")
    status = cli(env, "status")
    assert status.returncode == 0 and "Warning: the local key is turned off" in status.stdout, status.stdout
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    assert "The local key is turned off (require_local_key is false" in proc.stderr.read()
