"""The pure parts: JSONC splicing edge cases, merging, stale reasons, entries from settings, deep links, paths."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from bridge.errors import ExportError
from bridge.export import Entry, Env, compare, get_client, make_entry, merge
from bridge.export.jsonc import JsoncError, parse, set_member
from bridge.settings import Profile, Settings


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('{"a": 1}', '{"a": 1, "s": {"n": 2}}'),
        ("{}", '{\n  "s": {\n    "n": 2\n  }\n}'),
        ('{\n\t"s": {}\n}\n', '{\n\t"s": {\n\t\t"n": 2\n\t}\n}\n'),
        ('{\n  "s": {\n    "n": 1, // old\n  }\n}', '{\n  "s": {\n    "n": 2, // old\n  }\n}'),
        ('{\r\n  "x": 1\r\n}\r\n', '{\r\n  "x": 1,\r\n  "s": {\r\n    "n": 2\r\n  }\r\n}\r\n'),
    ],
)
def test_set_member_changes_only_our_member(before: str, after: str) -> None:
    assert set_member(before, "s", "n", 2) == after


@pytest.mark.parametrize("text", ["[1]", '{"a": }', '{"a": 1} x', '{"a": "b\n"}', "{/* never closed"])
def test_not_json_is_an_error(text: str) -> None:
    with pytest.raises(JsoncError):
        parse(text)


def test_jsonc_values_ignore_comments_and_trailing_commas() -> None:
    doc = parse('// c\n{"a": "// not a comment", /* x */ "b": [1, 2,],}')
    assert doc.has_comments and doc.data == {"a": "// not a comment", "b": [1, 2]}


def test_merge_keeps_user_keys_and_drops_owned_ones_we_do_not_want() -> None:
    existing = {"command": "npx", "args": ["mcp-remote"], "timeout": 30, "autoApprove": ["x"]}
    merged = merge(existing, {"url": "u"}, {"command", "args", "url"})
    assert merged == {"timeout": 30, "autoApprove": ["x"], "url": "u"}


def test_stale_reasons() -> None:
    owned = {"url", "headers", "command"}
    want = {"url": "http://127.0.0.1:47773/mcp", "headers": {"Authorization": "Bearer k"}}
    assert compare("port", {**want, "url": "http://127.0.0.1:47773/p/x/mcp"}, want, owned).reasons == ("wrong profile",)
    assert compare("port", {"url": want["url"]}, want, owned).reasons == ("no key",)
    assert compare("port", {"url": "https://mcp.port.io/v1"}, want, owned).reasons == ("no key", "not the bridge")
    assert compare("port", {**want, "command": "npx"}, want, owned).reasons == ("wrong program",)


def test_entries_follow_settings() -> None:
    settings = Settings(local_port=50000, profiles=[Profile(id="acme", name="Acme", region="eu")])
    assert make_entry(settings, "k") == Entry("port", "http://127.0.0.1:50000/mcp", "k")
    pinned = make_entry(settings, "k", "Acme")
    assert (pinned.name, pinned.url, pinned.profile_id) == ("port-acme", "http://127.0.0.1:50000/p/acme/mcp", "acme")
    assert make_entry(settings.model_copy(update={"require_local_key": False}), "k").key is None


def test_deep_links_decode_to_the_entry() -> None:
    entry = Entry("port", "http://127.0.0.1:47773/mcp", "k")
    cursor = get_client("cursor").link(entry)
    assert cursor and cursor.startswith("cursor://anysphere.cursor-deeplink/mcp/install?name=port&config=")
    config = json.loads(base64.b64decode(unquote(cursor.split("config=")[1])))
    assert config == {"url": entry.url, "headers": {"Authorization": "Bearer k"}}
    vscode = get_client("vscode").link(entry)
    assert vscode and json.loads(unquote(vscode.split("?", 1)[1]))["type"] == "http"
    insiders = get_client("vscode-insiders").link(entry)
    assert insiders and insiders.startswith("vscode-insiders:mcp/install?")
    assert json.loads(unquote(insiders.split("?", 1)[1])) == json.loads(unquote(vscode.split("?", 1)[1]))
    lmstudio = get_client("lmstudio").link(entry)
    assert lmstudio and lmstudio.startswith("lmstudio://add_mcp?name=port&config=")
    goose = get_client("goose")
    assert "goose://extension?url=http%3A%2F%2F127.0.0.1%3A47773%2Fmcp" in (goose.link(entry) or "")
    assert "cannot carry the local key" in goose.link_caveat(entry)


HOME = Path("/h")


@pytest.mark.parametrize(
    ("client", "system", "environ", "path"),
    [
        ("vscode", "darwin", {}, "/h/Library/Application Support/Code/User/mcp.json"),
        ("vscode", "win32", {"APPDATA": "/h/AppData/Roaming"}, "/h/AppData/Roaming/Code/User/mcp.json"),
        ("vscode", "linux", {"XDG_CONFIG_HOME": "/x"}, "/x/Code/User/mcp.json"),
        ("vscode-insiders", "darwin", {}, "/h/Library/Application Support/Code - Insiders/User/mcp.json"),
        ("vscode-insiders", "win32", {"APPDATA": "/h/A"}, "/h/A/Code - Insiders/User/mcp.json"),
        ("claude-desktop", "darwin", {}, "/h/Library/Application Support/Claude/claude_desktop_config.json"),
        ("claude-desktop", "win32", {}, "/h/AppData/Roaming/Claude/claude_desktop_config.json"),
        ("claude-code", "linux", {"CLAUDE_CONFIG_DIR": "/c"}, "/c/.claude.json"),
        ("codex", "win32", {"CODEX_HOME": "/cx"}, "/cx/config.toml"),
        ("zed", "darwin", {}, "/h/.config/zed/settings.json"),
        ("zed", "win32", {}, "/h/AppData/Roaming/Zed/settings.json"),
        ("zed", "linux", {"FLATPAK_XDG_CONFIG_HOME": "/f"}, "/f/zed/settings.json"),
        ("cline", "linux", {"CLINE_DATA_DIR": "/d"}, "/d/settings/cline_mcp_settings.json"),
        ("goose", "win32", {}, "/h/AppData/Roaming/Block/goose/config/config.yaml"),
        ("goose", "darwin", {}, "/h/.config/goose/config.yaml"),
        ("windsurf", "win32", {}, "/h/.codeium/windsurf/mcp_config.json"),
        ("lmstudio", "darwin", {}, "/h/.lmstudio/mcp.json"),
        ("kiro", "linux", {}, "/h/.kiro/settings/mcp.json"),
        ("augment", "darwin", {}, "/h/.augment/settings.json"),
        ("augment", "win32", {}, "/h/.augment/settings.json"),
    ],
)
def test_paths_per_platform(client: str, system: str, environ: dict[str, str], path: str) -> None:
    assert get_client(client).path(Env(HOME, system, environ)) == Path(path)


def test_workspace_file_is_in_the_chosen_folder() -> None:
    client = get_client("vscode-workspace")
    assert client.path(Env(HOME, "win32", {}, workspace=Path("/src/app"))) == Path("/src/app/.vscode/mcp.json")
    with pytest.raises(ExportError, match="Choose the workspace folder"):
        client.path(Env(HOME, "linux", {}))
    assert client.link(Entry("port", "http://127.0.0.1:1/mcp", None)) is None  # VS Code's links go to the profile
