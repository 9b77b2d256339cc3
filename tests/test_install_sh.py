"""The Linux tarball's install.sh and uninstall.sh, run for real by `sh` on a fake unpacked tarball in a temp home.

install.sh installs only into a folder of its own: a folder the user already uses (`./install.sh ~/tools`) gets the
program in a subfolder, and a folder it cannot recognise as a previous installation is never emptied. uninstall.sh
removes only what install.sh made, stops what runs from there first, and leaves no empty folder of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux tarball's scripts")

LINUX = Path(__file__).resolve().parent.parent / "packaging" / "linux"
MARKER = ".port-mcp-bridge-install"


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """What the tarball unpacks to, with stand-in programs (a shell script that prints a version)."""
    top = tmp_path / "port-mcp-bridge-9.9.9"
    (top / "_internal").mkdir(parents=True)
    (top / "_internal" / "base_library.zip").write_bytes(b"zip")
    for name in ("port-mcp-bridge", "port-mcp-bridge-app"):
        program = top / name
        program.write_text("#!/bin/sh\necho 'port-mcp-bridge 9.9.9'\n")
        program.chmod(0o755)
    for name in ("install.sh", "uninstall.sh", "INSTALL.txt"):
        shutil.copy2(LINUX / name, top / name)
    (top / "share" / "applications").mkdir(parents=True)
    shutil.copy2(LINUX / "io.port.mcp-bridge.desktop", top / "share" / "applications")
    icon = top / "share" / "icons" / "hicolor" / "48x48" / "apps" / "port-mcp-bridge.png"
    icon.parent.mkdir(parents=True)
    icon.write_bytes(b"png")
    return top


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def run(script: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "LANG": "C"}
    return subprocess.run(["sh", str(script), *args], env=env, capture_output=True, text=True, timeout=60)


def installed(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "port-mcp-bridge").is_file() and (folder / "_internal").is_dir()


def test_the_default_install_and_uninstall_leave_nothing_behind(unpacked: Path, home: Path) -> None:
    done = run(unpacked / "install.sh", home)
    assert done.returncode == 0, done.stderr
    app = home / ".local/share/port-mcp-bridge/app"
    assert installed(app)
    assert (app / MARKER).read_text().strip() == "port-mcp-bridge 9.9.9"
    assert os.readlink(home / ".local/bin/port-mcp-bridge") == str(app / "port-mcp-bridge")
    entry = home / ".local/share/applications/io.port.mcp-bridge.desktop"
    assert f'Exec="{app}/port-mcp-bridge-app"' in entry.read_text()

    gone = run(app / "uninstall.sh", home)
    assert gone.returncode == 0, gone.stderr
    assert not app.exists() and not (home / ".local/share/port-mcp-bridge").exists()
    assert not (home / ".local/bin/port-mcp-bridge").is_symlink() and not entry.exists()


def test_a_folder_the_user_already_uses_gets_the_program_in_a_folder_of_its_own(unpacked: Path, home: Path) -> None:
    tools = home / "tools"
    tools.mkdir()
    (tools / "notes.txt").write_text("mine")
    (tools / "other-tool").mkdir()

    done = run(unpacked / "install.sh", home, str(tools))
    assert done.returncode == 0, done.stderr
    assert (tools / "notes.txt").read_text() == "mine" and (tools / "other-tool").is_dir()
    assert installed(tools / "port-mcp-bridge")
    assert not installed(tools)
    assert sorted(p.name for p in tools.iterdir()) == ["notes.txt", "other-tool", "port-mcp-bridge"]  # no leftovers

    # Run again (an update): the same folder of its own is found and replaced, the user's files stay.
    again = run(unpacked / "install.sh", home, str(tools))
    assert again.returncode == 0, again.stderr
    assert installed(tools / "port-mcp-bridge") and (tools / "notes.txt").read_text() == "mine"

    gone = run(tools / "port-mcp-bridge" / "uninstall.sh", home)
    assert gone.returncode == 0, gone.stderr
    assert sorted(p.name for p in tools.iterdir()) == ["notes.txt", "other-tool"]


def test_dot_local_is_never_wiped(unpacked: Path, home: Path) -> None:
    local = home / ".local"
    (local / "lib").mkdir(parents=True)
    (local / "lib" / "keep.so").write_bytes(b"x")
    done = run(unpacked / "install.sh", home, str(local))
    assert done.returncode == 0, done.stderr
    assert (local / "lib" / "keep.so").read_bytes() == b"x"
    assert installed(local / "port-mcp-bridge")


def test_a_folder_whose_subfolder_is_taken_too_is_refused_and_left_as_it_was(unpacked: Path, home: Path) -> None:
    tools = home / "tools"
    (tools / "port-mcp-bridge").mkdir(parents=True)
    (tools / "port-mcp-bridge" / "someone-elses.txt").write_text("theirs")
    (tools / "notes.txt").write_text("mine")
    before = sorted(str(p.relative_to(tools)) for p in tools.rglob("*"))

    refused = run(unpacked / "install.sh", home, str(tools))
    assert refused.returncode == 1
    assert "Nothing was installed" in refused.stderr
    assert sorted(str(p.relative_to(tools)) for p in tools.rglob("*")) == before
    assert not (home / ".local/bin").exists()


def test_an_installation_from_before_the_marker_is_recognised_and_updated(unpacked: Path, home: Path) -> None:
    app = home / "opt" / "bridge"
    (app / "_internal").mkdir(parents=True)
    for name in ("port-mcp-bridge", "port-mcp-bridge-app", "uninstall.sh", "INSTALL.txt"):
        (app / name).write_text("old")
    (app / "port-mcp-bridge").chmod(0o755)
    done = run(unpacked / "install.sh", home, str(app))
    assert done.returncode == 0, done.stderr
    assert installed(app) and "9.9.9" in (app / "port-mcp-bridge").read_text()
    assert not list(app.parent.glob(".port-mcp-bridge-*"))  # the staging folders are gone


def test_uninstall_leaves_a_folder_with_files_it_did_not_put_there(unpacked: Path, home: Path) -> None:
    app = home / "apps" / "bridge"
    assert run(unpacked / "install.sh", home, str(app)).returncode == 0
    (app / MARKER).unlink()
    (app / "my-notes.txt").write_text("mine")
    gone = run(app / "uninstall.sh", home)
    assert gone.returncode == 0
    assert "Left" in gone.stdout and (app / "my-notes.txt").exists()


def test_uninstall_removes_only_the_links_that_lead_to_its_own_folder(unpacked: Path, home: Path) -> None:
    first, second = home / "a", home / "b"
    assert run(unpacked / "install.sh", home, str(first)).returncode == 0
    assert run(unpacked / "install.sh", home, str(second)).returncode == 0  # the links now lead to the second
    assert run(first / "uninstall.sh", home).returncode == 0
    assert not first.exists()
    assert os.readlink(home / ".local/bin/port-mcp-bridge") == str(second / "port-mcp-bridge")
    assert (home / ".local/share/applications/io.port.mcp-bridge.desktop").exists()


def test_uninstall_stops_the_program_running_from_its_folder(unpacked: Path, home: Path) -> None:
    app = home / "apps" / "bridge"
    assert run(unpacked / "install.sh", home, str(app)).returncode == 0
    # A stand-in tray app that runs until stopped: a copy of `sleep` started from the installed folder.
    sleeper = app / "port-mcp-bridge-app"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", sleeper)
    running = subprocess.Popen([str(sleeper), "600"])
    try:
        gone = run(app / "uninstall.sh", home)
        assert gone.returncode == 0, gone.stderr
        assert running.wait(timeout=30) != 0  # ended by the uninstaller's signal, not by itself
        assert "Stopped port-mcp-bridge-app" in gone.stdout
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
