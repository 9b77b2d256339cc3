"""Third-party MCP software against the sandbox: mcp-remote (npm) signs in through the browser and uses the tools.

mcp-remote opens the browser with the `open` package, which on Linux honours $BROWSER: a small script plays the user
and follows the sandbox's auto-approved redirect back to mcp-remote's loopback callback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox import Faults, Sandbox, SandboxConfig
from bridge.sandbox.seed import ACME_ORG_ID

NODE_BIN = Path(__file__).resolve().parents[1] / "node" / "node_modules" / ".bin"
MCP_REMOTE = NODE_BIN / "mcp-remote"

pytestmark = [
    pytest.mark.skipif(not MCP_REMOTE.exists(), reason="mcp-remote is not installed (python3 dev.py test installs it)"),
    pytest.mark.skipif(sys.platform != "linux", reason="the fake browser works through xdg-open's $BROWSER"),
]


def fake_browser(tmp_path: Path) -> Path:
    script = tmp_path / "browser"
    opener = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20)"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{opener}" "$1"\n')
    script.chmod(0o755)
    return script


def run_mcp_remote(box: Sandbox, tmp_path: Path, messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Speak MCP over stdio to `mcp-remote <sandbox>`; returns the replies (by request) and its log."""
    env = {
        "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),  # its token cache (~/.mcp-auth) starts empty
        "BROWSER": str(fake_browser(tmp_path)),
        "NO_PROXY": "*",
    }
    node = shutil.which("node")
    assert node, "Node.js is needed for this test"
    proc = subprocess.Popen(
        [str(MCP_REMOTE), box.mcp_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin and proc.stdout
    replies = []
    try:
        for message in messages:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
            if "id" in message:
                line = proc.stdout.readline()
                if not line:
                    break
                replies.append(json.loads(line))
    finally:
        proc.terminate()
        try:
            _, log = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, log = proc.communicate()
    return replies, log


SESSION = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "ide", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "list_entities", "arguments": {"blueprintIdentifier": "service", "identifiers": ["order-processing"]}}},
]  # fmt: skip


@pytest.mark.timeout(90)
def test_mcp_remote_signs_in_with_the_browser_and_calls_tools(tmp_path: Path) -> None:
    config = SandboxConfig(issuer_mode="strict")
    with Sandbox(config=config, faults=Faults(auto_approve=f"sam@acme.example {ACME_ORG_ID}")) as box:
        replies, log = run_mcp_remote(box, tmp_path, SESSION)
    assert len(replies) == 3, log
    assert replies[0]["result"]["serverInfo"]["name"] == "Port MCP Server (sandbox)"
    names = {t["name"] for t in replies[1]["result"]["tools"]}
    assert "list_entities" in names and "upsert_entity" not in names  # Sam is a developer
    entity = json.loads(replies[2]["result"]["content"][0]["text"])["entities"][0]
    assert entity["title"] == "OrderProcessing"
    assert list((tmp_path / ".mcp-auth").rglob("*_tokens.json")), "mcp-remote kept the tokens it got"


@pytest.mark.timeout(90)
def test_mcp_remote_rejects_a_port_like_issuer(tmp_path: Path) -> None:
    """Port names an issuer on another origin; current MCP SDKs (here the TypeScript one) refuse it."""
    with Sandbox(faults=Faults(auto_approve=f"sam@acme.example {ACME_ORG_ID}")) as box:
        replies, log = run_mcp_remote(box, tmp_path, SESSION[:1])
    assert not replies or "error" in replies[0]
    assert "IssuerMismatchError" in log
