"""The real clients from npm read what the exporter wrote, in a temporary HOME, and reach the bridge with it.

- Claude Code (`claude mcp list`) and Gemini CLI (`gemini mcp list`) connect to every server they list: both entries
  (active and pinned) must show as connected through a real bridge to the sandbox, and a wrong key must not.
- Codex (`codex mcp list` / `codex mcp get --json`) does not connect while listing, and everything else it offers
  (a session) needs a model from OpenAI, so offline we prove what it parsed: the URL, the transport and the
  Authorization header (or the variable with --key-env), and that it classes the auth as a bearer token.

Nothing here may reach the internet: telemetry, update checks and error reports are off, an HTTP(S) proxy that goes
nowhere catches anything that tries anyway (loopback is exempt), and every run has a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.export import Entry, Env, get_client, write
from tests.support.stack import Stack

NODE_BIN = Path(__file__).resolve().parents[1] / "node" / "node_modules" / ".bin"

pytestmark = pytest.mark.skipif(
    not (NODE_BIN / "codex").exists(), reason="the npm test clients are not installed (dev.py test installs them)"
)

QUIET = {
    # everyone
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_UPDATE_NOTIFIER": "1",
    "CI": "1",
    # Claude Code
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    # Gemini CLI: a temporary HOME is an untrusted folder, where it disables every server
    "GEMINI_CLI_TRUST_WORKSPACE": "true",
    "GEMINI_TELEMETRY_ENABLED": "false",
}


def run(home: Path, *args: str) -> str:
    """stdout, and stderr after it (Gemini CLI lists on stderr when CI is set; Codex warns there)."""
    env = {"HOME": str(home), "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **QUIET}
    done = subprocess.run(args, env=env, cwd=home, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout if args[0] == "codex" else done.stdout + done.stderr


def entries(rig: Stack, key: str | None = None) -> list[Entry]:
    key = key or rig.key
    base = rig.bridge.url  # the test bridge runs on a free port, not the one in settings
    return [Entry("port", f"{base}/mcp", key), Entry("port-globex", f"{base}/p/globex/mcp", key, "globex")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def export(client_id: str, home: Path, to: list[Entry]) -> Path:
    result = write(get_client(client_id), Env(home, sys.platform, {}, None), to)
    assert result.changed
    return result.path


def test_claude_code_lists_both_entries_connected(rig: Stack, home: Path) -> None:
    # An existing ~/.claude.json with Claude's own state and another server, as a real one has.
    state = {"numStartups": 3, "hasCompletedOnboarding": True, "mcpServers": {"other": {"command": "true"}}}
    (home / ".claude.json").write_text(json.dumps(state, indent=2))
    export("claude-code", home, entries(rig))
    out = run(home, "claude", "mcp", "list")
    assert f"port: {rig.bridge.url}/mcp (HTTP) - ✔ Connected" in out, out
    assert f"port-globex: {rig.bridge.url}/p/globex/mcp (HTTP) - ✔ Connected" in out, out
    assert "other:" in out


def test_claude_code_with_a_wrong_key_does_not_connect(rig: Stack, home: Path) -> None:
    export("claude-code", home, entries(rig, key="not-the-key"))
    out = run(home, "claude", "mcp", "list")
    assert f"port: {rig.bridge.url}/mcp (HTTP)" in out and "✔ Connected" not in out, out


GEMINI_SETTINGS = """{
  // written by hand
  "general": {"disableAutoUpdate": true, "disableUpdateNag": true},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false}
}
"""


def test_gemini_lists_both_entries_connected(rig: Stack, home: Path) -> None:
    settings = home / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(GEMINI_SETTINGS)
    export("gemini", home, entries(rig))
    assert "// written by hand" in settings.read_text()
    out = run(home, "gemini", "mcp", "list")
    assert f"✓ port: {rig.bridge.url}/mcp (http) - Connected" in out, out
    assert f"✓ port-globex: {rig.bridge.url}/p/globex/mcp (http) - Connected" in out, out


def test_gemini_with_a_wrong_key_does_not_connect(rig: Stack, home: Path) -> None:
    export("gemini", home, entries(rig, key="not-the-key"))
    out = run(home, "gemini", "mcp", "list")
    assert f"port: {rig.bridge.url}/mcp" in out and "- Connected" not in out, out


CODEX_CONFIG = "# my Codex settings\ncheck_for_update_on_startup = false\n\n[analytics]\nenabled = false\n"


def test_codex_reads_both_entries_with_the_key_header(rig: Stack, home: Path) -> None:
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text(CODEX_CONFIG)
    export("codex", home, entries(rig))
    assert config.read_text().startswith(CODEX_CONFIG)
    listed = {s["name"]: s for s in json.loads(run(home, "codex", "mcp", "list", "--json"))}
    for name, path in (("port", "/mcp"), ("port-globex", "/p/globex/mcp")):
        server = listed[name]
        assert server["enabled"]
        assert server["transport"]["type"] == "streamable_http"
        assert server["transport"]["url"] == f"{rig.bridge.url}{path}"
        assert server["transport"]["http_headers"] == {"Authorization": f"Bearer {rig.key}"}
    table = run(home, "codex", "mcp", "list")
    assert "port-globex" in table and "Bearer token" in table, table


def test_codex_key_from_an_environment_variable(rig: Stack, home: Path) -> None:
    to = [Entry("port", f"{rig.bridge.url}/mcp", rig.key, key_env="PORT_MCP_BRIDGE_KEY")]
    config = export("codex", home, to)
    assert rig.key not in config.read_text()
    server = json.loads(run(home, "codex", "mcp", "get", "port", "--json"))
    assert server["transport"]["bearer_token_env_var"] == "PORT_MCP_BRIDGE_KEY"
    assert server["transport"]["http_headers"] is None
