"""Packaging: the installed bundle's programs find each other, the build's helpers, and (in CI) the real build.

The last test builds the Linux bundle with PyInstaller and runs packaging/smoke.py against it (about 75 s on two
CPUs). It runs where CI is set, or with PORT_MCP_BRIDGE_PACKAGE_TEST=1; elsewhere `python3 dev.py package` does the
same and records the figures in docs/packaging.md.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

import bridge
from bridge.export import program
from bridge.stdio import launch

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
EXE = ".exe" if os.name == "nt" else ""


def load(name: str) -> ModuleType:
    """A module of packaging/ (a folder, not a package: `packaging` is also a PyPI package's name)."""
    sys.path.insert(0, str(PACKAGING))
    try:
        spec = importlib.util.spec_from_file_location(f"_packaging_{name}", PACKAGING / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PACKAGING))


@pytest.fixture
def frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake onedir bundle with both programs, running as its tray app."""
    (tmp_path / f"port-mcp-bridge{EXE}").write_bytes(b"")
    (tmp_path / f"port-mcp-bridge-app{EXE}").write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / f"port-mcp-bridge-app{EXE}"))
    return tmp_path


def test_the_tray_app_points_clients_at_the_bundled_command_not_at_itself(frozen_bundle: Path) -> None:
    assert program.find_program() == str((frozen_bundle / f"port-mcp-bridge{EXE}").resolve())


def test_the_bundled_command_finds_itself(frozen_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(frozen_bundle / f"port-mcp-bridge{EXE}"))
    assert program.find_program() == str((frozen_bundle / f"port-mcp-bridge{EXE}").resolve())


def test_a_bundle_without_the_command_offers_none_rather_than_the_tray_app(frozen_bundle: Path) -> None:
    (frozen_bundle / f"port-mcp-bridge{EXE}").unlink()
    assert program.find_program() is None


def test_stdio_starts_the_bundled_serve_when_frozen(frozen_bundle: Path) -> None:
    assert launch.serve_command() == [str((frozen_bundle / f"port-mcp-bridge{EXE}").resolve()), "serve"]


def test_stdio_starts_python_m_bridge_serve_from_source() -> None:
    assert launch.serve_command() == [sys.executable, "-m", "bridge", "serve"]


def test_the_build_reads_the_version_pyproject_names() -> None:
    buildinfo = load("buildinfo")
    assert buildinfo.version() == bridge.__version__
    assert buildinfo.app_name("darwin") == "Port MCP Bridge"
    assert buildinfo.app_name("linux") == "port-mcp-bridge-app"


def test_msi_versions_are_three_numbers() -> None:
    build = load("build")
    assert build.msi_version("0.1.0") == "0.1.0"
    assert build.msi_version("1.2.3rc1") == "1.2.3"
    assert build.msi_version("2.0") == "2.0.0"


def test_icon_containers_hold_the_pngs() -> None:
    icons = load("make_icons")
    pngs = {16: b"\x89PNG-16", 256: b"\x89PNG-256"}
    ico = icons.ico(pngs)
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 2)
    assert ico.endswith(b"\x89PNG-16\x89PNG-256")
    assert ico[6 + 16] == 0  # the 256 px entry's width is written as 0
    icns = icons.icns({16: b"a", 1024: b"bb"})
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"icp4" in icns and b"ic10" in icns


def test_the_wix_source_is_well_formed_and_harvests_the_bundle() -> None:
    import xml.etree.ElementTree as ET

    ns = {"w": "http://wixtoolset.org/schemas/v4/wxs"}
    root = ET.parse(PACKAGING / "windows" / "port-mcp-bridge.wxs").getroot()  # noqa: S314 (our own file)
    package = root.find("w:Package", ns)
    assert package is not None and package.get("Scope") == "perUserOrMachine"
    assert root.find(".//w:Files", ns).get("Include") == "!(bindpath.bundle)\\**"  # type: ignore[union-attr]
    assert "Run" not in ET.tostring(root, encoding="unicode")  # no autostart from the installer
    util = "{http://wixtoolset.org/schemas/v4/wxs/util}CloseApplication"
    closes = {c.get("Target"): c for c in package.iter(util)}
    assert set(closes) == {"$(var.AppExe)", "port-mcp-bridge.exe"}  # no "files in use" prompt on upgrade/uninstall
    assert all(c.get("RebootPrompt") == "no" and c.get("TerminateProcess") for c in closes.values())
    assert "WixToolset.Util.wixext" in (PACKAGING / "build.py").read_text()


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the smoke test runs the Linux bundle")
@pytest.mark.skipif(
    not (os.environ.get("CI") or os.environ.get("PORT_MCP_BRIDGE_PACKAGE_TEST")),
    reason="builds with PyInstaller (~75 s): runs in CI or with PORT_MCP_BRIDGE_PACKAGE_TEST=1",
)
def test_the_linux_bundle_builds_and_passes_the_smoke_test() -> None:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    subprocess.run([sys.executable, str(PACKAGING / "build.py")], cwd=ROOT, env=env, check=True, timeout=800)
    smoke = subprocess.run([sys.executable, str(PACKAGING / "smoke.py")], cwd=ROOT, env=env, timeout=300)
    assert smoke.returncode == 0


def test_the_macos_app_is_a_menu_bar_app_that_can_show_windows() -> None:
    """Rendered as PyInstaller would on a Mac: LSUIElement (no Dock icon) but never LSBackgroundOnly (no windows)."""
    rendered = load("render").render("darwin")
    assert rendered.bundle is not None
    plist = rendered.bundle.info_plist
    assert plist["LSBackgroundOnly"] is False
    assert plist["LSUIElement"] is True
    assert plist["CFBundleExecutable"] == "Port MCP Bridge"  # the tray app, not the console command
    assert plist["CFBundleIdentifier"] == "io.port.mcp-bridge"


def test_the_renderer_applies_pyinstallers_rule_that_a_console_program_makes_the_app_background_only() -> None:
    """What the spec's explicit key guards against: a bundle whose last program is a console one, rendered bare."""
    render = load("render")
    made = render.stand_ins(render.Rendered("darwin"))
    gui = made["EXE"](name="Port MCP Bridge", console=False)
    cli = made["EXE"](name="port-mcp-bridge", console=True)
    bare = made["BUNDLE"](made["COLLECT"](gui, cli, name="b"), name="b.app", info_plist={"LSUIElement": True})
    assert bare.info_plist["LSBackgroundOnly"] is True
    assert bare.info_plist["CFBundleExecutable"] == "Port MCP Bridge"
    windowed_last = made["BUNDLE"](made["COLLECT"](cli, gui, name="b"), name="b.app")
    assert "LSBackgroundOnly" not in windowed_last.info_plist


@pytest.mark.parametrize(
    ("platform", "programs", "second"),
    [
        ("darwin", ["Port MCP Bridge"], ("port-mcp-bridge", "Port MCP Bridge")),
        ("linux", ["port-mcp-bridge"], ("port-mcp-bridge-app", "port-mcp-bridge")),
        ("win32", ["Port MCP Bridge", "port-mcp-bridge"], None),  # a windowed program has no console for a terminal
    ],
)
def test_one_program_is_both_the_app_and_the_command_where_the_system_allows(
    platform: str, programs: list[str], second: tuple[str, str] | None, tmp_path: Path
) -> None:
    assert [e.name for e in load("render").render(platform).exes] == programs
    assert load("buildinfo").second_name(platform) == second
    bundle = tmp_path / ("b.app" if platform == "darwin" else "b")
    folder = bundle / "Contents" / "MacOS" if platform == "darwin" else bundle
    folder.mkdir(parents=True)
    (folder / programs[0]).write_bytes(b"")
    link = load("build").link_second_name(bundle, platform)
    if second is None:
        assert link is None
    else:
        assert link == folder / second[0] and os.readlink(link) == second[1] and link.is_file()


@pytest.mark.parametrize(
    ("argv", "mode"),
    [
        (["/opt/port-mcp-bridge/port-mcp-bridge"], "cli"),
        (["/opt/port-mcp-bridge/port-mcp-bridge", "stdio"], "cli"),
        (["port-mcp-bridge", "--version"], "cli"),
        (["/home/u/.local/bin/port-mcp-bridge-app"], "app"),
        (["port-mcp-bridge-app", "--port", "47774"], "app"),
        (["/Applications/Port MCP Bridge.app/Contents/MacOS/Port MCP Bridge"], "app"),
        (["/Applications/Port MCP Bridge.app/Contents/MacOS/Port MCP Bridge", "-psn_0_1234"], "app"),
        (["/Applications/Port MCP Bridge.app/Contents/MacOS/Port MCP Bridge", "stdio"], "cli"),
        (["C:\\Users\\u\\AppData\\Local\\Programs\\Port MCP Bridge\\Port MCP Bridge.exe"], "app"),
        (["C:\\Programs\\Port MCP Bridge\\port-mcp-bridge.exe", "status"], "cli"),
        ([], "cli"),
    ],
)
def test_the_one_program_is_the_app_or_the_command_by_the_name_it_was_started_under(argv: list[str], mode: str) -> None:
    assert launcher("choose").mode(argv) == mode


def test_the_app_names_the_desktop_entry_the_tarball_installs() -> None:
    from app.application import DESKTOP_ID

    assert (PACKAGING / "linux" / f"{DESKTOP_ID}.desktop").is_file()
    assert f"{DESKTOP_ID}.desktop" in (PACKAGING / "linux" / "install.sh").read_text()


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for the app")
def test_the_launch_check_passes_an_app_that_stays_up_with_its_bridge(tmp_path: Path) -> None:
    """The release workflow's launch check, against the tray app from source (offscreen: its headless demo)."""
    program = tmp_path / "app.sh"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app "$@"\n')
    program.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(PACKAGING / "launch_check.py"), str(program), "--offscreen",
                           "--seconds", "1"], capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "answered /healthz" in done.stdout and "still running" in done.stdout


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for the app")
def test_the_launch_check_fails_an_app_that_exits_or_never_answers(tmp_path: Path) -> None:
    exits = tmp_path / "exits.sh"
    exits.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\nexit 3\n")
    exits.chmod(0o755)
    done = subprocess.run([sys.executable, str(PACKAGING / "launch_check.py"), str(exits), "--offscreen"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "exited with 3 before its bridge answered" in done.stderr


def launcher(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_launcher_{name}", PACKAGING / "launchers" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_launcher_names_the_missing_desktop_libraries_by_package() -> None:
    libs = launcher("system_libs")
    x11 = libs.needed({"DISPLAY": ":0"})
    assert "libxcb-cursor.so.0" in x11 and "libxcb-icccm.so.4" in x11 and "libwayland-client.so.0" not in x11
    assert "libwayland-client.so.0" in libs.needed({"WAYLAND_DISPLAY": "wayland-0"})
    assert libs.needed({"QT_QPA_PLATFORM": "offscreen"}) == {}
    absent = {"libxcb-cursor.so.0", "libxcb-keysyms.so.1"}
    packages = libs.missing(x11, load=lambda soname: soname not in absent)
    assert packages == ["libxcb-cursor0", "libxcb-keysyms1"]
    text = libs.message(packages)
    assert "libxcb-cursor0, libxcb-keysyms1" in text and "software manager" in text
    assert libs.missing(x11, load=lambda soname: True) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux desktop's libraries")
def test_this_machine_has_the_libraries_the_offscreen_tests_need_and_the_check_loads_real_ones() -> None:
    libs = launcher("system_libs")
    assert libs.loads("libc.so.6")
    assert not libs.loads("libdoes-not-exist.so.9")


def test_install_txt_lists_every_package_the_launcher_checks() -> None:
    libs = launcher("system_libs")
    text = (PACKAGING / "linux" / "INSTALL.txt").read_text()
    for package in {**libs.COMMON, **libs.X11}.values():
        assert package in text, package


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb builds the .deb")
def test_the_deb_installs_into_opt_with_links_a_menu_entry_and_icons(tmp_path: Path) -> None:
    deb = load("deb")
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    for name in ("port-mcp-bridge", "port-mcp-bridge-app"):
        (bundle / name).write_text("#!/bin/sh\n")
        (bundle / name).chmod(0o775)  # group-writable, as a umask may leave it: the package must not be
    icons = tmp_path / "icons"
    icons.mkdir()
    for size in deb.ICON_SIZES:
        (icons / f"port-mcp-bridge-{size}.png").write_bytes(b"png")
    out = deb.build(bundle, "1.2.3rc1", tmp_path, PACKAGING / "linux" / "io.port.mcp-bridge.desktop", icons,
                    ROOT / "resources" / "port-mcp-bridge.svg", "x86_64")  # fmt: skip
    assert out.name == "port-mcp-bridge_1.2.3~rc1_amd64.deb"
    assert deb.check(out) == []
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(out), str(unpacked)], check=True)
    entry = (unpacked / "usr/share/applications/io.port.mcp-bridge.desktop").read_text()
    assert "Exec=/opt/port-mcp-bridge/port-mcp-bridge-app" in entry
    assert os.readlink(unpacked / "usr/bin/port-mcp-bridge") == "/opt/port-mcp-bridge/port-mcp-bridge"
    info = subprocess.run(["dpkg-deb", "--field", str(out), "Version", "Depends"], capture_output=True, text=True)
    assert "1.2.3~rc1" in info.stdout and "libxcb-cursor0" in info.stdout


def test_deb_versions_sort_pre_releases_first() -> None:
    deb = load("deb")
    assert deb.deb_version("0.1.0") == "0.1.0"
    assert deb.deb_version("1.2.3rc1") == "1.2.3~rc1"
    assert deb.deb_version("2.0b2") == "2.0~b2"
    assert deb.deb_version("2.0.dev4") == "2.0~dev4"


def test_the_deb_depends_on_every_library_the_launcher_checks() -> None:
    deb, libs = load("deb"), launcher("system_libs")
    for package in {**libs.COMMON, **libs.X11}.values():
        assert package in deb.DEPENDS, package


def test_what_the_bundle_leaves_out_is_never_imported_by_the_app_or_the_command() -> None:
    """The spec's UNUSED modules stay out of a process that loads the tray app's and the command's modules."""
    spec_globals: dict[str, object] = {}
    source = (PACKAGING / "port-mcp-bridge.spec").read_text()
    start = source.index("UNUSED = [")
    exec(source[start : source.index("]", start) + 1], spec_globals)  # noqa: S102 (our own spec)
    names = set(spec_globals["UNUSED"])  # type: ignore[arg-type]
    assert "mypy" in names and "_codecs_jp" in names
    probe = (
        "import sys\n"
        "import app.application, app.wizard, app.tray, app.settings.window\n"
        "import bridge.cli, bridge.api, bridge.proxy.service, bridge.auth.browser, bridge.auth.records\n"
        "import bridge.sandbox.app, bridge.sandbox.mcp_server, bridge.stdio.relay\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    imported = {line.split(".")[0] for line in loaded.stdout.split()} | set(loaded.stdout.split())
    assert names.isdisjoint(imported), names & imported


def test_the_one_programs_command_path_never_imports_qt() -> None:
    """The frozen launcher, run from source as `port-mcp-bridge status`: no PySide6 in sys.modules at exit."""
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('QT' if any(m.split('.')[0] in ('PySide6', 'shiboken6', 'app') "
        "for m in sys.modules) else 'NO-QT'))\n"
        f"sys.path.insert(0, {str(PACKAGING / 'launchers')!r})\n"
        "sys.argv = ['/opt/port-mcp-bridge/port-mcp-bridge', 'status']\n"
        f"runpy.run_path({str(PACKAGING / 'launchers' / 'run.py')!r}, run_name='__main__')\n"
    )
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PORT_MCP_BRIDGE_HOME": home}
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "NO-QT", done.stdout + done.stderr


def test_the_bundle_keeps_qt_dbus_the_linux_tray_icon_speaks() -> None:
    """On Linux Qt's tray icon is a StatusNotifierItem over D-Bus, drawn by libQt6Gui (which needs libQt6DBus) when a
    StatusNotifierWatcher is there; the spec drops neither library (the system's libdbus-1 is a checked dependency)."""
    import re

    source = (PACKAGING / "port-mcp-bridge.spec").read_text()
    spec_globals: dict[str, object] = {"re": re, "LINUX": True}
    start = source.index("_LINUX_ONLY =")
    exec(source[start : source.index("def _plugin_kept")], spec_globals)  # noqa: S102 (our own spec)
    dropped, host = spec_globals["LIBS_DROPPED"], spec_globals["HOST_LIBS"]
    for name in ("libQt6DBus.so.6", "libQt6Gui.so.6"):
        assert not dropped.search(f"PySide6/Qt/lib/{name}") and not host.match(name), name  # type: ignore[attr-defined]
    assert host.match("libdbus-1.so.3") and "libdbus-1.so.3" in launcher("system_libs").COMMON  # type: ignore[attr-defined]
    if sys.platform.startswith("linux"):
        import PySide6

        gui = (Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Gui.so.6").read_bytes()
        assert b"libQt6DBus.so.6" in gui and b"org.kde.StatusNotifierWatcher" in gui


def test_a_build_names_the_repository_it_was_made_in_for_the_update_check(tmp_path: Path) -> None:
    from bridge.updates import repository

    buildinfo = load("buildinfo")
    info = tmp_path / "release.json"
    assert buildinfo.write_release_info(info, {"GITHUB_REPOSITORY": "port-labs/port-mcp-bridge-fork"}) == info
    assert repository(info) == "port-labs/port-mcp-bridge-fork"  # what the bundled app will follow
    assert buildinfo.write_release_info(info, {}) is None and not info.exists()  # a local build: no stale name
