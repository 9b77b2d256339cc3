"""Every client adapter against a temporary home, with golden files for what it writes.

For each client: a fresh file, a file with other entries (kept byte for byte), a stale entry of ours (replaced, the
user's extra keys kept), comments (kept where the client reads them, else refused) and an invalid file (refused,
untouched). Each write is undone and must give back the exact bytes. Regenerate the goldens after a deliberate
change with `UPDATE_GOLDEN=1 pytest tests/export` and review the diff.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bridge.errors import ExportRefused
from bridge.export import Entry, Env, State, clients, plan, snippet, status, undo, write
from bridge.export.base import Client
from tests.export.conftest import GOLDEN

CLIENTS = clients()
IDS = [c.id for c in CLIENTS]
EXT = {"json": "json", "toml": "toml", "yaml": "yaml"}


def kind(client: Client) -> str:
    return {"TomlFormat": "toml", "YamlFormat": "yaml"}.get(type(client.format()).__name__, "json")


# Inputs, by format (tests/export/inputs/<scenario>.<format>); {s} stands for the client's section name.
INPUTS = Path(__file__).parent / "inputs"
UNREPRODUCIBLE_YAML = "extensions:\n    developer:\n        enabled: true\n"


def golden(client: Client, scenario: str, produced: bytes) -> None:
    path = GOLDEN / client.id / f"{scenario}.{EXT[kind(client)]}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
    assert produced.decode() == path.read_text(), f"differs from {path}"


def seed(client: Client, env: Env, scenario: str) -> tuple[Path, bytes]:
    path = client.path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (INPUTS / f"{scenario}.{kind(client)}").read_text().replace("{s}", client.section).encode()
    path.write_bytes(data)
    path.chmod(0o640)
    return path, data


@pytest.mark.parametrize("client", CLIENTS, ids=IDS)
def test_fresh_file_then_undo_removes_it(client: Client, env: Env, active: Entry, pinned: Entry) -> None:
    assert not client.detected(env)
    assert status(client, env, [active]).entries[0].state is State.ABSENT
    result = write(client, env, [active, pinned])
    assert result.changed and result.backup is None
    golden(client, "fresh", result.path.read_bytes())
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600  # it holds the key
    assert client.detected(env)
    assert [s.state for s in status(client, env, [active, pinned]).entries] == [State.CURRENT, State.CURRENT]
    assert not write(client, env, [active, pinned]).changed  # already current: nothing written
    assert undo(client).removed
    assert not result.path.exists()


@pytest.mark.parametrize("scenario", ["existing", "stale", "comments"])
@pytest.mark.parametrize("client", CLIENTS, ids=IDS)
def test_existing_file_is_kept_and_undo_is_byte_for_byte(
    client: Client, env: Env, active: Entry, scenario: str
) -> None:
    path, before = seed(client, env, scenario)
    if scenario == "comments" and kind(client) == "json" and not client.jsonc:
        with pytest.raises(ExportRefused) as refused:
            write(client, env, [active])
        assert "comments" in refused.value.message and str(path) in refused.value.message
        assert refused.value.snippet == snippet(client, [active])
        assert path.read_bytes() == before
        return
    expected_state = State.STALE if scenario == "stale" else State.ABSENT
    assert status(client, env, [active]).entries[0].state is expected_state
    result = write(client, env, [active])
    assert result.backup is not None and result.backup.read_bytes() == before
    golden(client, scenario, path.read_bytes())
    holds_key = active.key is not None and active.key.encode() in path.read_bytes()  # not Claude Desktop's command
    assert stat.S_IMODE(path.stat().st_mode) == (0o600 if holds_key else 0o640)  # the key is the user's alone
    assert ("made private to you (0600)" in result.note) == holds_key
    assert status(client, env, [active]).entries[0].state is State.CURRENT
    assert not undo(client).removed
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # undo puts the mode back too


@pytest.mark.parametrize("client", CLIENTS, ids=IDS)
def test_invalid_file_is_refused_and_untouched(client: Client, env: Env, active: Entry) -> None:
    path, before = seed(client, env, "invalid")
    with pytest.raises(ExportRefused) as refused:
        plan(client, env, [active])
    assert f"{path} was left untouched" in refused.value.message
    assert "port-mcp-bridge" not in refused.value.message  # the GUI shows it too: no command to run
    assert refused.value.snippet == snippet(client, [active])
    with pytest.raises(ExportRefused):
        write(client, env, [active])
    assert path.read_bytes() == before
    assert status(client, env, [active]).problem


def test_yaml_layout_ruamel_would_change_is_refused(env: Env, active: Entry) -> None:
    goose = next(c for c in CLIENTS if c.id == "goose")
    path = goose.path(env)
    path.parent.mkdir(parents=True)
    path.write_text(UNREPRODUCIBLE_YAML)
    with pytest.raises(ExportRefused, match="layout"):
        write(goose, env, [active])
    assert path.read_text() == UNREPRODUCIBLE_YAML


def test_stale_reasons_name_what_is_wrong_never_the_key(env: Env, active: Entry) -> None:
    cursor = next(c for c in CLIENTS if c.id == "cursor")
    seed(cursor, env, "stale")
    entry_status = status(cursor, env, [active]).entries[0]
    assert entry_status.reasons == ("wrong key", "wrong port")
    assert "old-key" not in entry_status.describe() and active.key not in entry_status.describe()
