"""Entries that reach Port directly: found in every form Port's guide writes (table-driven, pure), replaced on
request in real files under a temporary home (goldens), byte-for-byte undo, and what replacing carries over.

The snippets are Port's own: port-docs `docs/generalTemplates/_mcp-installation.md` and
`docs/ai-interfaces/port-mcp-server/token-based-authentication.md` at 4893974ae, the live installation page
(docs.port.io/ai-interfaces/port-mcp-server/overview-and-installation), `port-labs/cursor-plugin` `mcp.json` and
`port-labs/port-skills` `.mcp.json`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bridge.export import Entry, Env, get_client, plan, status, undo, write
from bridge.export.direct import DirectEntry, carried, direct_entry, find_direct, port_url, tighten
from bridge.export.exporter import diff
from bridge.export.jsonc import parse, remove_member
from tests.export.conftest import GOLDEN

EU, US = "https://mcp.port.io/v1", "https://mcp.us.port.io/v1"
MCP_REMOTE = ["-y", "mcp-remote"]

# (what the guide calls it, entry name, entry as parsed, expected)
GUIDE: list[tuple[str, str, Any, DirectEntry | None]] = [
    ("cursor eu", "port-eu", {"url": EU, "headers": {"x-read-only-mode": "0"}}, DirectEntry("port-eu", EU, False)),
    ("cursor us", "port-us", {"url": US, "headers": {"x-read-only-mode": "0"}}, DirectEntry("port-us", US, False)),
    ("vscode eu", "port-vscode-eu", {"command": "npx", "args": [*MCP_REMOTE, EU, "--header", "x-read-only-mode: 0"]},
     DirectEntry("port-vscode-eu", EU, False)),
    ("vscode us", "port-vscode-us", {"command": "npx", "args": [*MCP_REMOTE, US, "--header", "x-read-only-mode: 0"]},
     DirectEntry("port-vscode-us", US, False)),
    ("vscode in wsl", "port-vscode",
     {"command": "wsl", "args": ["/usr/bin/npx", *MCP_REMOTE, EU, "--header", "x-read-only-mode: 0"]},
     DirectEntry("port-vscode", EU, False)),
    ("claude code add-json", "port-eu",
     {"type": "stdio", "command": "npx", "args": [*MCP_REMOTE, EU, "--header", "x-read-only-mode: 0"]},
     DirectEntry("port-eu", EU, False)),
    ("claude code headers", "port-eu",
     {"type": "stdio", "command": "npx", "args": [*MCP_REMOTE, EU, "--header", "x-read-only-mode: 1", "--header",
                                                  "x-allowed-actions-to-run: create_github_issue,deploy_service"]},
     DirectEntry("port-eu", EU, True, ("create_github_issue", "deploy_service"))),
    ("claude desktop env", "port",
     {"command": "npx", "args": ["mcp-remote", EU], "env": {"MCP_REMOTE_HEADER_X_READ_ONLY_MODE": "1",
                                                          "MCP_REMOTE_HEADER_X_ALLOWED_ACTIONS_TO_RUN": "a,b"}},
     DirectEntry("port", EU, True, ("a", "b"))),
    ("cursor headers", "port",
     {"url": EU, "headers": {"x-read-only-mode": "1", "x-allowed-actions-to-run": "create_github_issue,deploy"}},
     DirectEntry("port", EU, True, ("create_github_issue", "deploy"))),
    ("vscode workspace headers", "port", {"url": EU, "headers": {"x-read-only-mode": "1"}},
     DirectEntry("port", EU, True)),
    ("codex add", "port-us", {"url": US}, DirectEntry("port-us", US)),
    ("codex http_headers (getport)", "port",
     {"url": "https://mcp.getport.io/v1", "enabled": True,
      "http_headers": {"x-read-only-mode": "1", "x-allowed-actions-to-run": "create_github_issue,deploy_service"}},
     DirectEntry("port", "https://mcp.getport.io/v1", True, ("create_github_issue", "deploy_service"))),
    ("codex us getport", "port", {"url": "https://mcp.us.getport.io/v1"}, DirectEntry("port", "https://mcp.us.getport.io/v1")),
    ("token-based, literal URL", "port-prod",
     {"command": "npx", "args": ["mcp-remote", US, "--header", "Authorization: Bearer eyJabc", "--header",
                                 "x-read-only-mode: 0", "--header", 'x-allowed-actions-to-run: "a,b"']},
     DirectEntry("port-prod", US, False, ("a", "b"))),
    ("token-based, URL from a CI variable", "port-prod",
     {"command": "npx", "args": ["mcp-remote", "${{ env.PORT_MCP_URL }}"]}, None),
    ("empty allowed actions: none may run", "port", {"url": EU, "headers": {"x-allowed-actions-to-run": ""}},
     DirectEntry("port", EU, None, ())),
    ("port-skills plugin", "port", {"url": "https://mcp.getport.io/v1"}, DirectEntry("port", "https://mcp.getport.io/v1")),
    ("windsurf serverUrl", "port", {"serverUrl": EU}, DirectEntry("port", EU)),
    ("gemini httpUrl", "port", {"httpUrl": US}, DirectEntry("port", US)),
    ("goose uri", "port", {"type": "streamable_http", "uri": EU}, DirectEntry("port", EU)),
    ("zed nested command", "port", {"command": {"path": "npx", "args": ["mcp-remote", US]}}, DirectEntry("port", US)),
    ("header=value form", "port", {"command": "npx", "args": ["mcp-remote", EU, "--header=x-read-only-mode:1"]},
     DirectEntry("port", EU, True)),
    ("the bridge itself", "port", {"url": "http://127.0.0.1:47773/mcp"}, None),
    ("Port's REST API, not MCP", "api", {"url": "https://api.port.io/v1"}, None),
    ("a look-alike host", "x", {"url": "https://mcp.port.io.example.com/v1"}, None),
    ("not an entry", "x", "https://mcp.port.io/v1", None),  # a broken file: a string where an entry should be
]  # fmt: skip


@pytest.mark.parametrize(("name", "entry", "expected"), [g[1:] for g in GUIDE], ids=[g[0] for g in GUIDE])
def test_every_form_in_ports_guide_is_found(name: str, entry: dict[str, Any], expected: DirectEntry | None) -> None:
    assert direct_entry(name, entry) == expected


def test_cursor_plugin_file_with_comments() -> None:
    text = (GOLDEN.parent / "inputs" / "direct" / "cursor-plugin.json").read_text()
    found = find_direct(parse(text).data["mcpServers"])
    assert [d.name for d in found] == ["port-eu", "port-us"]
    assert found[0].describe() == "port-eu (uses Port directly: https://mcp.port.io/v1)"


def test_describe_and_port_url() -> None:
    assert (
        DirectEntry("port-eu", EU, True).describe() == "port-eu (uses Port directly: https://mcp.port.io/v1, read-only)"
    )
    assert DirectEntry("p", EU, None, ()).describe().endswith("allowed actions: none)")
    assert port_url("npx mcp-remote https://mcp.us.port.io/v1, then") == US
    assert port_url("https://example.com/?next=mcp.port.io") is None


def test_carried_keeps_the_most_restrictive() -> None:
    a = DirectEntry("a", EU, False, ("x", "y"))
    b = DirectEntry("b", US, True, ("y", "z"))
    assert carried([a, b]).read_only and carried([a, b]).allowed_actions == ("y",)
    assert carried([DirectEntry("c", EU, False)]) == carried([]) == carried([DirectEntry("d", EU)])
    assert tighten(None, None) is None and tighten(["x"], None) == ["x"]
    assert tighten(None, ("x",)) == ["x"] and tighten(["x", "y"], ("y", "z")) == ["y"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('{"s": {"a": 1, "p": {"u": 2}, "b": 3}}', '{"s": {"a": 1, "b": 3}}'),
        ('{"s": {"a": 1, "p": 2}}', '{"s": {"a": 1}}'),
        ('{"s": {"p": 2}}', '{"s": {}}'),
        ('{\n  "s": {\n    "a": 1,\n    "p": 2\n  }\n}\n', '{\n  "s": {\n    "a": 1\n  }\n}\n'),
        ('{\n  "s": {\n    "p": 2, // mine\n    "a": 1\n  }\n}\n', '{\n  "s": {\n    "a": 1\n  }\n}\n'),
        ('{\r\n  "s": {\r\n    "a": 1,\r\n    "p": 2\r\n  }\r\n}\r\n', '{\r\n  "s": {\r\n    "a": 1\r\n  }\r\n}\r\n'),
        ('{"s": {"p": 1, "a": 1, "p": 2}}', '{"s": {"a": 1}}'),  # duplicates: all of them
        ('{"s": {"a": 1}}', '{"s": {"a": 1}}'),
        ('{"t": 1}', '{"t": 1}'),
    ],
)
def test_remove_member_takes_out_only_that_member(before: str, after: str) -> None:
    assert remove_member(before, "s", "p") == after


# --- real files in a temporary home --------------------------------------------------------------------------

INPUTS = GOLDEN.parent / "inputs" / "direct"
GOLDEN_DIRECT = GOLDEN / "direct"


def golden(name: str, produced: bytes) -> None:
    path = GOLDEN_DIRECT / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(produced)
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
    assert produced.decode() == path.read_text(), f"differs from {path}"


# (client, input in inputs/direct, the golden written when replacing, direct entries found)
FILES = [
    ("cursor", "cursor-plugin.json", ("port-eu", "port-us")),
    ("vscode", "vscode-mcp-remote.json", ("port-vscode-eu",)),
    ("claude-code", "claude-code.json", ("port-eu",)),
    ("codex", "codex.toml", ("port",)),
    ("claude-desktop", "claude-desktop.json", ("port",)),
]


def seed(client_id: str, env: Env, name: str) -> tuple[Path, bytes]:
    path = get_client(client_id).path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (INPUTS / name).read_bytes()
    path.write_bytes(data)
    path.chmod(0o600)
    return path, data


@pytest.mark.parametrize(("client_id", "name", "names"), FILES, ids=[f[0] for f in FILES])
def test_replace_then_undo_is_byte_for_byte(env: Env, active: Entry, client_id: str, name: str,
                                            names: tuple[str, ...]) -> None:  # fmt: skip
    client = get_client(client_id)
    path, before = seed(client_id, env, name)
    assert tuple(d.name for d in status(client, env, [active]).direct) == names
    preview = plan(client, env, [active], replace_direct=True)
    assert tuple(d.name for d in preview.replaced) == names and not preview.kept
    assert preview.summary().startswith(f"Replaces {names[0]} (uses Port directly: https://mcp.")
    result = write(client, env, [active], replace_direct=True)
    assert result.backup is not None and result.backup.read_bytes() == before
    assert tuple(d.name for d in result.replaced) == names
    golden(f"{client_id}-{name}", path.read_bytes())
    assert status(client, env, [active]).direct == ()
    undo(client)
    assert path.read_bytes() == before


def test_keep_beside_leaves_them_and_says_so(env: Env, active: Entry) -> None:
    client = get_client("cursor")
    path, _ = seed("cursor", env, "cursor-plugin.json")
    kept = plan(client, env, [active])
    assert [d.name for d in kept.kept] == ["port-eu", "port-us"] and not kept.replaced
    assert "Keeps port-eu (uses Port directly: https://mcp.port.io/v1) beside the bridge" in kept.summary()
    write(client, env, [active])
    assert [d.name for d in status(client, env, [active]).direct] == ["port-eu", "port-us"]
    assert '"port-eu"' in path.read_text() and '"port"' in path.read_text()


def test_our_own_name_is_replaced_even_when_keeping(env: Env, active: Entry) -> None:
    """Port's guide names some entries `port`, the bridge's own name: one name holds one entry."""
    client = get_client("codex")
    seed("codex", env, "codex.toml")
    result = plan(client, env, [active])
    assert [d.name for d in result.replaced] == ["port"] and not result.kept
    assert "mcp.getport.io" not in result.after.decode()


def test_a_replaced_entrys_token_never_shows_in_the_preview(env: Env, active: Entry) -> None:
    client = get_client("claude-code")
    seed("claude-code", env, "claude-code-token.json")
    result = plan(client, env, [active], replace_direct=True)
    shown = diff(result, mask=active.key)
    assert "eyJhbGciOi" not in shown and "Bearer <token>" in shown and "Bearer <local key>" in shown


def test_wsl_is_read_from_proc_version(tmp_path: Path) -> None:
    from bridge.export.model import is_wsl, running_in_wsl

    assert is_wsl("Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1c602f52c2e4)")
    assert is_wsl("Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)")  # WSL 1
    assert not is_wsl("Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075)")
    version = tmp_path / "version"
    version.write_text("Linux version 5.15.153.1-microsoft-standard-WSL2\n")
    assert running_in_wsl(version) == sys.platform.startswith("linux")
    assert not running_in_wsl(tmp_path / "missing")


def test_notes_name_claude_on_the_web_and_wsl_only_there(env: Env) -> None:
    from bridge.api.clients import CLAUDE_WEB_NOTE, WSL_NOTE, ClientExports
    from bridge.settings import Settings

    def notes(machine: Env) -> list[str]:
        return ClientExports(Settings, lambda: 47773, lambda: None, lambda: machine).notes()

    assert notes(env) == [CLAUDE_WEB_NOTE]
    assert notes(dataclasses.replace(env, wsl=True)) == [CLAUDE_WEB_NOTE, WSL_NOTE]
    assert "cannot reach a bridge on this computer; use Claude Desktop or Claude Code" in CLAUDE_WEB_NOTE


def test_carrying_only_tightens_the_profile_and_names_the_other_region(env: Env) -> None:
    from bridge.api.clients import ClientExports
    from bridge.settings import Profile, Settings

    profile = Profile(id="acme", name="Acme", region="eu", allowed_actions=["a", "b"])
    settings = Settings(active_profile="acme", profiles=[profile])
    edits: list[tuple[str, dict[str, Any]]] = []
    exports = ClientExports(lambda: settings, lambda: 47773, lambda: None, lambda: env)

    def edit(profile_id: str, **changes: Any) -> None:
        edits.append((profile_id, changes))

    said = exports._carry((DirectEntry("port-us", US, True, ("b", "c")),), None, edit)
    assert edits == [("acme", {"read_only": True, "allowed_actions": ["b"]})]
    assert "Carried over into profile 'Acme': Read-only turned on; allowed actions limited to b." in said
    assert "port-us reached Port's US region, and profile 'Acme' is in EU" in said
    edits.clear()
    assert exports._carry((DirectEntry("port-eu", EU, False),), None, edit) == "" and not edits  # "0" carries nothing
