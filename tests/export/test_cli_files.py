"""`python -m bridge export` as a real process against odd client files: a clear error with what to do, never a
traceback; and two writers at the same moment both land."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.settings import SettingsStore
from bridge.system import paths
from tests.support.processes import Children, child_env

ROUNDS = 3
# `python -m bridge`, but with everything imported before it waits for the go on stdin: two of them released at once
# write at the same moment, not a process start-up apart.
AT_ONCE = (
    "import sys\n"
    "from bridge.cli import main\n"
    "import bridge.api.clients, bridge.export, bridge.auth.localkey\n"
    "sys.stdin.readline()\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine in `tmp_path` (its HOME and settings) with profiles Acme (active) and Globex; the home's Cursor
    folder exists. Returns the Cursor file's path."""
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    store = SettingsStore()
    store.add_profile("Acme", "http://127.0.0.1:47780/v1", organization="Acme Corp", auth_mode="token")
    store.add_profile("Globex", "http://127.0.0.1:47780/v1", organization="Globex", auth_mode="token")
    store.use_profile("acme")
    cursor = tmp_path / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    return cursor


def start(children: Children, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return children.start([sys.executable, "-m", "bridge", "export", "--client", "cursor", *args],
                          env=child_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)  # fmt: skip


def start_ready(children: Children, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """The command, started and waiting for a line on stdin before it runs (`AT_ONCE`)."""
    command = [sys.executable, "-c", AT_ONCE, "export", "--client", "cursor", *args]
    return children.start(command, env=child_env(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)  # fmt: skip


def run(children: Children, tmp_path: Path, *args: str) -> tuple[int, str]:
    proc = start(children, tmp_path, *args)
    out, _ = proc.communicate(timeout=60)
    assert "Traceback" not in out, out
    return proc.returncode, out


def key_of(tmp_path: Path) -> str:
    return next(iter(json.loads((tmp_path / "keychain.json").read_text()).values()))


def test_two_writers_at_the_same_moment_both_land(children: Children, tmp_path: Path, machine: Path) -> None:
    assert run(children, tmp_path, "--print")[0] == 0  # the local key exists before the race, as it would
    # Many servers of the user's: reading and editing take a while, as the window in which a second writer used to
    # read the file before the first one had written it.
    theirs = {f"server-{i}": {"url": f"http://127.0.0.1:{9000 + i}/mcp"} for i in range(2000)}
    for _ in range(ROUNDS):
        machine.write_text(json.dumps({"mcpServers": theirs}, indent=2))
        writers = [start_ready(children, tmp_path, "--profile", profile, "--write") for profile in ("acme", "globex")]
        for proc in writers:
            proc.stdin.write("go\n")
        for proc in writers:
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60)[0] for proc in writers]
        assert [proc.returncode for proc in writers] == [0, 0], outputs
        servers = json.loads(machine.read_text())["mcpServers"]
        assert set(servers) - set(theirs) == {"port-acme", "port-globex"}, outputs
    history = json.loads((tmp_path / "exports" / "history.json").read_text())
    assert len(history) == 2 * ROUNDS  # no record lost either
    assert (tmp_path / "exports" / "write.lock").exists() and not list(machine.parent.glob("*.lock"))


def test_a_file_others_can_read_is_made_private_and_the_cli_says_so(
    children: Children, tmp_path: Path, machine: Path
) -> None:
    machine.write_text('{"mcpServers": {}}\n')
    machine.chmod(0o644)
    code, out = run(children, tmp_path, "--write")
    assert code == 0 and "readable by other users (mode 0644)" in out and "private to you (0600)" in out
    assert stat.S_IMODE(machine.stat().st_mode) == 0o600 and key_of(tmp_path) in machine.read_text()
    assert key_of(tmp_path) not in out
    assert run(children, tmp_path, "--undo")[0] == 0
    assert stat.S_IMODE(machine.stat().st_mode) == 0o644 and machine.read_text() == '{"mcpServers": {}}\n'


def test_a_link_out_of_home_is_refused(children: Children, tmp_path: Path, machine: Path) -> None:
    shared = tmp_path.parent / f"{tmp_path.name}-shared.json"  # beside the home, not in it
    shared.write_text('{"mcpServers": {}}\n')
    shared.chmod(0o666)
    machine.symlink_to(shared)
    try:
        code, out = run(children, tmp_path, "--write")
        assert code == 1 and f"a link to {shared}, outside your home folder" in out and "--print" in out
        assert shared.read_text() == '{"mcpServers": {}}\n' and stat.S_IMODE(shared.stat().st_mode) == 0o666
    finally:
        shared.unlink()


def test_a_dangling_link_is_refused(children: Children, tmp_path: Path, machine: Path) -> None:
    machine.symlink_to(tmp_path / "dotfiles" / "mcp.json")
    code, out = run(children, tmp_path, "--write")
    assert code == 1 and "which does not exist" in out
    assert not (tmp_path / "dotfiles").exists() and machine.is_symlink()


def test_a_folder_where_the_file_should_be_is_a_clear_error_in_every_command(
    children: Children, tmp_path: Path, machine: Path
) -> None:
    machine.mkdir()
    code, out = run(children, tmp_path, "--write")
    assert code == 1 and "is a folder, not a file" in out and "--print" in out
    code, out = run(children, tmp_path)
    assert code == 1 and "is a folder, not a file" in out
    code, out = run(children, tmp_path, "--list")
    assert code == 0 and "cannot edit" in out


def test_a_read_only_file_is_refused_unless_forced(children: Children, tmp_path: Path, machine: Path) -> None:
    machine.write_text('{"mcpServers": {}}\n')
    machine.chmod(0o444)
    code, out = run(children, tmp_path, "--write")
    assert code == 1 and "it is read-only (mode 0444)" in out and "--force" in out
    assert machine.read_text() == '{"mcpServers": {}}\n'
    code, out = run(children, tmp_path, "--write", "--force")
    assert code == 0 and "was read-only" in out
    assert stat.S_IMODE(machine.stat().st_mode) == 0o400 and key_of(tmp_path) in machine.read_text()


def test_a_read_only_client_folder_is_a_clear_error(
    children: Children, tmp_path: Path, machine: Path, read_only_folder: Callable[[Path], None]
) -> None:
    read_only_folder(machine.parent)
    code, out = run(children, tmp_path, "--write")
    assert code == 1 and f"its folder {machine.parent} cannot be written to" in out and "--print" in out
    assert not machine.exists()
