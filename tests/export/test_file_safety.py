"""The client's file holds the local key: it is made private, links and odd files are refused with the snippet, and
undo puts back exactly what was there (bytes, place, mode, the user's link). Over the real functions; the command
line's side is in test_cli_files.py."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.errors import ExportError, ExportRefused
from bridge.export import Entry, Env, State, clients, snippet, status, undo, write
from bridge.export import files as export_files
from bridge.export.base import Client

BY_ID = {c.id: c for c in clients()}
CURSOR = BY_ID["cursor"]
OTHERS_ENTRY = b'{\n  "mcpServers": {\n    "other": {"url": "http://example.test/mcp"}\n  }\n}\n'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def seed(path: Path, data: bytes = OTHERS_ENTRY, file_mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(file_mode)
    return path


def refused(client: Client, env: Env, entry: Entry, *, force: bool = False) -> ExportRefused:
    with pytest.raises(ExportRefused) as caught:
        write(client, env, [entry], force=force)
    assert caught.value.snippet == snippet(client, [entry])  # what to paste instead
    assert entry.key is not None and entry.key not in caught.value.message
    return caught.value


@pytest.mark.parametrize("client_id", ["cursor", "gemini", "claude-code"])
def test_a_file_others_can_read_is_made_private_when_it_gets_the_key_and_undo_puts_the_mode_back(
    client_id: str, env: Env, active: Entry
) -> None:
    client = BY_ID[client_id]
    path = seed(client.path(env))
    result = write(client, env, [active])
    assert result.changed and active.key is not None and active.key.encode() in path.read_bytes()
    assert mode(path) == 0o600
    assert "readable by other users (mode 0644)" in result.note and "private to you (0600)" in result.note
    assert not undo(client).removed
    assert path.read_bytes() == OTHERS_ENTRY and mode(path) == 0o644


def test_a_current_entry_left_readable_by_an_earlier_version_is_made_private_on_the_next_write(
    env: Env, active: Entry
) -> None:
    path = seed(CURSOR.path(env))
    write(CURSOR, env, [active])
    path.chmod(0o644)  # what earlier versions left: the key in a file everyone can read
    result = write(CURSOR, env, [active])
    assert not result.changed and "made private" in result.note
    assert mode(path) == 0o600


def test_a_readable_file_we_may_not_chmod_is_replaced_by_a_private_copy(
    env: Env, active: Entry, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed(CURSOR.path(env))
    write(CURSOR, env, [active])
    path.chmod(0o644)
    written = path.read_bytes()

    def not_yours(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", not_yours)  # as for another user's file in our folder
    result = write(CURSOR, env, [active])
    assert not result.changed and "made private" in result.note
    assert mode(path) == 0o600 and path.read_bytes() == written


def test_a_file_without_the_key_keeps_its_mode(env: Env, active: Entry) -> None:
    desktop = BY_ID["claude-desktop"]  # its entry runs the stdio command: no key in the file
    path = seed(desktop.path(env))
    result = write(desktop, env, [active])
    assert result.changed and not result.note and mode(path) == 0o644


def test_a_link_inside_home_is_followed_made_private_and_still_a_link_after_undo(env: Env, active: Entry) -> None:
    real = seed(env.home / "dotfiles" / "cursor-mcp.json")
    path = CURSOR.path(env)
    path.parent.mkdir()
    path.symlink_to(real)
    result = write(CURSOR, env, [active])
    assert path.is_symlink() and path.resolve() == real
    assert active.key is not None and active.key.encode() in real.read_bytes() and mode(real) == 0o600
    assert str(real) in result.note
    assert status(CURSOR, env, [active]).entries[0].state is State.CURRENT
    assert not undo(CURSOR).removed
    assert path.is_symlink() and os.readlink(path) == str(real)
    assert real.read_bytes() == OTHERS_ENTRY and mode(real) == 0o644


@pytest.mark.parametrize("shared_mode", [0o644, 0o666, 0o600], ids=["0644", "0666", "0600"])
def test_a_link_out_of_home_is_refused_and_the_shared_file_untouched(
    tmp_path: Path, env: Env, active: Entry, shared_mode: int
) -> None:
    shared = seed(tmp_path / "shared" / "mcp.json", file_mode=shared_mode)
    path = CURSOR.path(env)
    path.parent.mkdir()
    path.symlink_to(shared)
    error = refused(CURSOR, env, active)
    assert f"a link to {shared}, outside your home folder" in error.message
    assert shared.read_bytes() == OTHERS_ENTRY and mode(shared) == shared_mode and path.is_symlink()
    assert status(CURSOR, env, [active]).problem
    assert not list((export_files.exports_dir() / "backups").glob("*"))  # nothing written, not even a backup


@pytest.mark.parametrize("where", ["home", "outside"])
def test_a_dangling_link_is_refused_and_nothing_is_created(tmp_path: Path, env: Env, active: Entry, where: str) -> None:
    missing = (env.home / "dotfiles" if where == "home" else tmp_path / "elsewhere") / "mcp.json"
    path = CURSOR.path(env)
    path.parent.mkdir()
    path.symlink_to(missing)
    error = refused(CURSOR, env, active)
    assert f"a link to {missing}, which does not exist" in error.message
    assert not missing.exists() and not missing.parent.exists() and path.is_symlink()
    with pytest.raises(ExportError, match="Nothing to undo"):
        undo(CURSOR)
    assert path.is_symlink()


def test_a_link_to_a_readable_file_of_another_user_is_refused(
    env: Env, active: Entry, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = seed(env.home / "dotfiles" / "mcp.json")
    path = CURSOR.path(env)
    path.parent.mkdir()
    path.symlink_to(real)
    monkeypatch.setattr(export_files, "_uid", lambda: real.stat().st_uid + 1)  # the file is someone else's
    error = refused(CURSOR, env, active)
    assert "other users can read and which belongs to another user" in error.message
    assert real.read_bytes() == OTHERS_ENTRY and mode(real) == 0o644
    real.chmod(0o600)  # private already: nothing to make private, so it is followed
    assert write(CURSOR, env, [active]).changed


def test_on_windows_modes_are_left_alone_and_links_still_checked(
    tmp_path: Path, env: Env, active: Entry, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows = Env(home=env.home, system="win32", environ={}, program=env.program)
    path = seed(CURSOR.path(windows))
    monkeypatch.setattr(export_files, "_uid", lambda: pytest.fail("no owner check on Windows"))
    result = write(CURSOR, windows, [active])
    assert result.changed and not result.note and mode(path) == 0o644  # the profile's ACL guards it there
    path.unlink()
    path.symlink_to(seed(tmp_path / "shared" / "mcp.json"))
    assert "outside your home folder" in refused(CURSOR, windows, active).message


def test_a_folder_where_the_file_should_be_is_refused(env: Env, active: Entry) -> None:
    path = CURSOR.path(env)
    path.mkdir(parents=True)
    assert "is a folder, not a file" in refused(CURSOR, env, active).message
    assert status(CURSOR, env, [active]).problem == f"{path} is a folder, not a file"
    assert path.is_dir()


def test_a_file_where_its_folder_should_be_is_refused(env: Env, active: Entry) -> None:
    (env.home / ".cursor").write_text("not a folder")
    assert "is a file, where a folder should be" in refused(CURSOR, env, active).message
    assert status(CURSOR, env, [active]).problem
    assert (env.home / ".cursor").read_text() == "not a folder"


def test_a_read_only_file_is_refused_unless_forced_and_stays_read_only(env: Env, active: Entry) -> None:
    path = seed(CURSOR.path(env), file_mode=0o444)
    error = refused(CURSOR, env, active)
    assert error.forcible and "it is read-only (mode 0444)" in error.message
    assert path.read_bytes() == OTHERS_ENTRY and mode(path) == 0o444
    result = write(CURSOR, env, [active], force=True)
    assert result.changed and "read-only" in result.note and "private to you (0400)" in result.note
    assert mode(path) == 0o400
    assert not write(CURSOR, env, [active]).changed  # up to date: nothing to refuse
    assert not undo(CURSOR).removed
    assert path.read_bytes() == OTHERS_ENTRY and mode(path) == 0o444


def test_a_folder_we_may_not_write_in_is_refused_clearly(
    env: Env, active: Entry, read_only_folder: Callable[[Path], None]
) -> None:
    path = seed(CURSOR.path(env), file_mode=0o600)
    read_only_folder(path.parent)
    error = refused(CURSOR, env, active)
    assert f"its folder {path.parent} cannot be written to" in error.message
    assert path.read_bytes() == OTHERS_ENTRY
    with pytest.raises(ExportError, match="Nothing to undo"):
        undo(CURSOR)


def test_undo_never_removes_a_link_the_user_put_where_our_file_was(env: Env, active: Entry) -> None:
    path = CURSOR.path(env)
    assert write(CURSOR, env, [active]).backup is None  # a file we created
    theirs = seed(env.home / "dotfiles" / "mcp.json", data=path.read_bytes())
    path.unlink()
    path.symlink_to(theirs)  # same bytes, so only the link tells it is theirs now
    for force in (False, True):
        with pytest.raises(ExportError, match="left as it is"):
            undo(CURSOR, force=force)
        assert path.is_symlink() and theirs.exists()


def test_undo_does_not_follow_a_link_moved_elsewhere(env: Env, active: Entry) -> None:
    first = seed(env.home / "dotfiles" / "a.json")
    path = CURSOR.path(env)
    path.parent.mkdir()
    path.symlink_to(first)
    write(CURSOR, env, [active])
    second = seed(env.home / "dotfiles" / "b.json", data=first.read_bytes())
    path.unlink()
    path.symlink_to(second)
    with pytest.raises(ExportError, match=f"now leads to {second}"):
        undo(CURSOR, force=True)
    assert second.read_bytes() == first.read_bytes()  # neither put back through the new link
