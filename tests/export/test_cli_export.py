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
                   "windsurf", "zed", "cline", "goose", "lmstudio", "kiro", "augment"):  # fmt: skip
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


INPUTS = Path(__file__).parent / "inputs" / "direct"


def test_list_marks_clients_that_use_port_directly(home: Path) -> None:
    (home / ".cursor" / "mcp.json").write_bytes((INPUTS / "cursor-plugin.json").read_bytes())
    code, out = invoke("--list")
    assert code == 0
    assert re.search(r"^cursor +yes +absent; uses Port directly \(port-eu, port-us\) ", out, re.M)
    assert "--replace-direct" in out and "Claude on the web (claude.ai)" in out
    assert "vscode-workspace" not in out  # only with --workspace


def test_write_keeps_direct_entries_and_warns_unless_asked(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.write_bytes((INPUTS / "cursor-plugin.json").read_bytes())
    code, out = invoke("--client", "cursor")
    assert code == 0 and "Keeps port-eu (uses Port directly: https://mcp.port.io/v1) beside the bridge" in out
    code, out = invoke("--client", "cursor", "--write")
    assert code == 0 and "Warning: port-eu (uses Port directly" in out and "--replace-direct" in out
    assert '"port-eu"' in path.read_text()
    code, out = invoke("--client", "cursor", "--diff", "--replace-direct")
    assert code == 0 and "Replaces port-eu (uses Port directly: https://mcp.port.io/v1)" in out
    assert "Replaces port-us (uses Port directly: https://mcp.us.port.io/v1)" in out
    code, out = invoke("--client", "cursor", "--write", "--replace-direct")
    assert code == 0 and "Replaced port-eu, port-us, which reached Port directly." in out and "Warning" not in out
    assert "port-eu" not in path.read_text()
    assert "--replace-direct goes with" in invoke("--client", "cursor", "--print", "--replace-direct")[1]


def test_replacing_carries_read_only_and_actions_into_the_profile_and_undo_restores_the_file(home: Path) -> None:
    path = home / ".claude.json"
    before = (INPUTS / "claude-code.json").read_bytes()
    path.write_bytes(before)
    code, out = invoke("--client", "claude-code", "--write", "--replace-direct")
    assert code == 0, out
    assert "Carried over into profile 'Acme': Read-only turned on; allowed actions limited to create_github_issue, " \
           "deploy_service." in " ".join(out.split())  # fmt: skip
    profile = SettingsStore().load().get_profile("acme")
    assert profile.read_only and profile.allowed_actions == ["create_github_issue", "deploy_service"]
    assert json.loads(path.read_text())["mcpServers"].keys() == {"port"}
    code, out = invoke("--client", "claude-code", "--undo")
    assert code == 0 and path.read_bytes() == before
    assert SettingsStore().load().get_profile("acme").read_only  # Undo puts the file back, not the profile


def test_vscode_workspace_folder(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert "add --workspace DIR" in invoke("--client", "vscode-workspace", "--write")[1]
    code, out = invoke("--client", "vscode-workspace", "--workspace", str(project), "--write")
    assert code == 0 and f"--workspace {project} --undo" in out and "out of version control" in out
    written = json.loads((project / ".vscode" / "mcp.json").read_text())
    assert written["servers"]["port"]["type"] == "http"
    assert re.search(r"^vscode-workspace +yes +current ", invoke("--list", "--workspace", str(project))[1], re.M)
    code, out = invoke("--client", "vscode-workspace", "--workspace", str(project), "--undo")
    assert code == 0 and not (project / ".vscode" / "mcp.json").exists()
