"""`port-mcp-bridge export` through click's runner, with HOME pointing at a temporary folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.auth.localkey import local_key
from bridge.cli import cli
from bridge.settings import SettingsStore


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "CODEX_HOME", "CLAUDE_CONFIG_DIR", "CLINE_DIR", "CLINE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    store = SettingsStore()
    store.add_profile("Acme", "http://127.0.0.1:47780/v1", organization="Acme Corp", auth_mode="token")
    store.use_profile("acme")
    return home


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", *args])
    return result.exit_code, result.output


def test_list_shows_every_client_and_never_the_key(home: Path) -> None:
    code, out = invoke("--list")
    assert code == 0
    for client in ("cursor", "vscode", "vscode-insiders", "claude-desktop", "claude-code", "codex", "gemini",
                   "windsurf", "zed", "cline", "goose", "lmstudio", "kiro"):  # fmt: skip
        assert client in out
    assert re.search(r"^cursor +yes +absent ", out, re.M)
    assert local_key() not in out


def test_write_list_diff_undo(home: Path) -> None:
    code, out = invoke("--client", "cursor", "--write")
    assert code == 0 and "Undo with: port-mcp-bridge export --client cursor --undo" in out
    written = json.loads((home / ".cursor" / "mcp.json").read_text())
    assert written["mcpServers"]["port"]["headers"]["Authorization"] == f"Bearer {local_key()}"
    assert re.search(r"^cursor +yes +current ", invoke("--list")[1], re.M)
    code, out = invoke("--client", "cursor", "--profile", "acme", "--diff")
    assert code == 0 and '"port-acme"' in out and "<local key>" in out and local_key() not in out
    code, out = invoke("--client", "cursor", "--undo")
    assert code == 0 and "did not exist before" in out
    assert not (home / ".cursor" / "mcp.json").exists()
    code, out = invoke("--client", "cursor", "--undo")
    assert code == 1 and "Nothing to undo for Cursor" in out


def test_print_contains_the_key_and_says_so(home: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--client", "codex", "--print"])
    assert result.exit_code == 0
    assert f'Authorization = "Bearer {local_key()}"' in result.stdout
    assert "contains your local key" in result.stderr


def test_link_and_clients_without_one(home: Path) -> None:
    code, out = invoke("--client", "vscode", "--link")
    assert code == 0 and out.startswith("vscode:mcp/install?")
    code, out = invoke("--client", "zed", "--link")
    assert code == 1 and "Zed has no install link" in out and "cursor" in out


def test_refused_file_says_what_to_do(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.write_text('{"mcpServers": ')
    code, out = invoke("--client", "cursor", "--write")
    assert code == 1 and "left untouched" in out and "--print" in out
    assert path.read_text() == '{"mcpServers": '


def test_undo_refuses_when_the_file_changed_since(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.write_text('{"mcpServers": {}}\n')
    assert invoke("--client", "cursor", "--write")[0] == 0
    path.write_text(path.read_text().replace("}}", '}, "mine": {}}'))
    code, out = invoke("--client", "cursor", "--undo")
    assert code == 1 and "changed after Port MCP Bridge wrote it" in out and "--force" in out
    assert invoke("--client", "cursor", "--undo", "--force")[0] == 0
    assert path.read_text() == '{"mcpServers": {}}\n'


def test_usage_errors(home: Path) -> None:
    assert "Name a client" in invoke()[1]
    assert "No client 'emacs'" in invoke("--client", "emacs")[1]
    assert "cannot be used together" in invoke("--client", "cursor", "--write", "--print")[1]
    assert "Codex only" in invoke("--client", "cursor", "--key-env", "X")[1]
    assert "No profile 'nope'" in invoke("--client", "cursor", "--profile", "nope", "--print")[1]
