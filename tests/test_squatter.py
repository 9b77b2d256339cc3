"""A program squatting on the bridge's port and answering /healthz exactly as the bridge does (its very JSON, even a
proof the real bridge gave for another challenge) must never be handed the local key: the stdio shim, doctor and
`status` ask for a fresh proof only a holder of the key can give, and refuse what cannot."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bridge import endpoint
from bridge.api import BridgeApi
from bridge.auth.localkey import local_key
from bridge.doctor import check_local_port
from bridge.proxy.service import BridgeService
from bridge.settings import SettingsStore
from tests.support.processes import child_env

pytestmark = pytest.mark.timeout(60)


@dataclass
class Squatter:
    port: int
    said: bytes  # what it answers to every GET: the real bridge's /healthz
    heard: list[str] = field(default_factory=list)  # every request line and header line it received


@pytest.fixture
def squatter(tmp_path: Path) -> Iterator[Squatter]:
    """The real bridge's /healthz answer (to a challenge: with its proof) is copied; the bridge stops; the squatter
    takes its port and answers every request with that copy, noting every header it is sent."""
    bridge = BridgeService(SettingsStore(tmp_path / "bridge" / "settings.json"), port=0).start()
    try:
        said = httpx2.get(f"{bridge.url}/healthz", params={"challenge": "A" * 32}).content
    finally:
        bridge.stop()
    assert json.loads(said)["app"] == "port-mcp-bridge" and "proof" in json.loads(said)
    found = Squatter(bridge.port, said)

    class LikeTheBridge(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            found.heard.append(self.requestline)
            found.heard += [f"{name}: {value}" for name, value in self.headers.items()]
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(said)))
            self.end_headers()
            self.wfile.write(said)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", found.port), LikeTheBridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_shim_refuses_a_program_posing_as_the_bridge_and_never_sends_it_the_key(
    squatter: Squatter, tmp_path: Path
) -> None:
    env = child_env(tmp_path / "shim")
    key = local_key()
    (tmp_path / "shim").mkdir()
    Path(env["TEST_KEYRING_FILE"]).write_text(json.dumps({"port-mcp-bridge/local-key": key}))
    SettingsStore(tmp_path / "shim" / "settings.json").update(lambda s: setattr(s, "local_port", squatter.port))
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    shim = subprocess.run([sys.executable, "-m", "bridge", "stdio"], env=env, input=json.dumps(hello).encode() + b"\n",
                          capture_output=True, timeout=30)  # fmt: skip
    said = shim.stderr.decode()
    assert shim.returncode == 1 and shim.stdout == b"", said
    assert f"A program on 127.0.0.1:{squatter.port}" in said and "posing as the bridge" in said, said
    assert squatter.heard, "the shim never asked"
    assert all(line.startswith("GET /healthz?challenge=") for line in squatter.heard if line.startswith("GET"))
    assert not [line for line in squatter.heard if key in line or line.lower().startswith("authorization")]


def test_doctor_and_status_report_the_squatter_and_never_send_it_the_key(squatter: Squatter) -> None:
    key = local_key()
    check = check_local_port(squatter.port, serving_here=False, key=key)
    assert not check.ok and "cannot prove it holds the local key" in check.detail
    store = SettingsStore()
    store.add_profile("Odd", "http://127.0.0.1:1/v1", auth_mode="token", make_active=True)  # fails fast, locally
    api = BridgeApi(store, port=squatter.port)
    report = api.doctor()
    assert f"[FAIL] Local port: A program answers like the bridge on 127.0.0.1:{squatter.port}" in report.text
    status = api.bridge_status()
    assert not status.running and "cannot prove it holds the local key" in status.problem
    assert not [line for line in squatter.heard if key in line or line.lower().startswith("authorization")]
    assert not [line for line in squatter.heard if line.startswith("GET /status")]


def test_the_real_bridge_passes_and_a_proof_is_good_for_its_own_port_only(tmp_path: Path) -> None:
    key = local_key()
    with BridgeService(SettingsStore(tmp_path / "settings.json"), port=0) as bridge:
        assert endpoint.probe(bridge.port, key=key) == "bridge"
        assert check_local_port(bridge.port, serving_here=True, key=key).ok
        assert endpoint.probe(bridge.port, key="another key") == "unproven"
        nonce = "n" * 20
        proof = httpx2.get(f"{bridge.url}/healthz", params={"challenge": nonce}).json()["proof"]
        assert proof == endpoint.proof(key, bridge.port, nonce) != endpoint.proof(key, bridge.port + 1, nonce)
        for bad in ("short", "x" * 65, "with space and more chars", "é" * 20):  # nothing computed for these
            answer = httpx2.get(f"{bridge.url}/healthz", params={"challenge": bad})
            assert answer.status_code == 400 and "proof" not in answer.json()
        assert "proof" not in httpx2.get(f"{bridge.url}/healthz").json()
