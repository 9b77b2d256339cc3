#!/usr/bin/env python3
"""Build Port MCP Bridge for this operating system: the PyInstaller bundle, then its installer, all into dist/.

    python3 packaging/build.py                   # bundle + installer for this OS
    python3 packaging/build.py --bundle-only     # only dist/<bundle> (CI signs it before the installer is made)
    python3 packaging/build.py --installer-only  # only the installer, from the bundle already in dist/
    python3 packaging/build.py --clean           # rebuild PyInstaller's cache in build/ from scratch

Linux:   dist/port-mcp-bridge/ and dist/port-mcp-bridge-<version>-linux-<arch>.tar.gz (with install.sh, a .desktop
         file and icons)
macOS:   dist/Port MCP Bridge.app and dist/port-mcp-bridge-<version>-macos-<arch>.dmg (hdiutil)
Windows: dist/Port MCP Bridge/ and dist/port-mcp-bridge-<version>-windows-x64.msi (WiX v5: `wix build`)

The project's virtualenv is made as by `python3 dev.py` and the pinned `package` extra (PyInstaller) is added to it
the first time. Signing and notarisation are not done here but in .github/workflows/release.yml, between
--bundle-only and --installer-only. Only the standard library is used, like dev.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import buildinfo  # noqa: E402

ROOT = buildinfo.ROOT
DIST = buildinfo.DIST
WORK = buildinfo.WORK
SPEC = HERE / "port-mcp-bridge.spec"
PYINSTALLER = "6.22.3"  # the version pinned in pyproject's `package` extra and requirements.lock


def say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(*command: str | Path, **kwargs: object) -> None:
    say(" ".join(f'"{c}"' if " " in str(c) else str(c) for c in command))
    subprocess.run([str(c) for c in command], check=True, **kwargs)  # type: ignore[call-overload]


def project_python() -> Path:
    """The project's virtualenv (dev.py makes it), with the `package` extra installed."""
    sys.path.insert(0, str(ROOT))
    import dev

    python = dev.ensure_venv()
    probe = subprocess.run([str(python), "-c", "import PyInstaller; print(PyInstaller.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.stdout.strip() != PYINSTALLER:
        say(f"Installing PyInstaller {PYINSTALLER} into {dev.VENV} (the `package` extra) …")
        run(python, "-m", "pip", "--disable-pip-version-check", "--quiet", "install",
            "-c", ROOT / "requirements.lock", "-e", f"{ROOT}[package]")  # fmt: skip
    return python


def bundle_path() -> Path:
    name = buildinfo.bundle_name()
    return DIST / (f"{name}.app" if sys.platform == "darwin" else name)


def build_bundle(python: Path, *, clean: bool) -> Path:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run(python, HERE / "make_icons.py", WORK / "icons", env=env)
    buildinfo.write_release_info()  # the spec bundles it: the update check follows the repository built in
    started = time.monotonic()
    run(python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", *(["--clean"] if clean else []),
        "--distpath", DIST, "--workpath", WORK / "pyinstaller", SPEC, cwd=ROOT, env=env)  # fmt: skip
    target = bundle_path()
    link_second_name(target)
    say(f"Bundle: {target} ({size_mb(target):.0f} MB) in {time.monotonic() - started:.0f} s")
    return target


def link_second_name(bundle: Path, platform: str | None = None) -> Path | None:
    """Beside the one program, a relative link under its other name (before signing, so the signature seals it)."""
    names = buildinfo.second_name(platform)
    if names is None:
        return None
    link, target = names
    folder = bundle / "Contents" / "MacOS" if bundle.suffix == ".app" else bundle
    path = folder / link
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target)
    return path


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir() or p.is_symlink()) / 1e6


# --- Linux: a tarball with install.sh -------------------------------------------------------------------------------


def linux_tarball(bundle: Path, version: str) -> Path:
    """port-mcp-bridge-<v>/ holding the onedir, install.sh/uninstall.sh, the .desktop file, icons and INSTALL.txt."""
    top = f"port-mcp-bridge-{version}"
    out = DIST / f"{top}-linux-{buildinfo.machine()}.tar.gz"
    linux = HERE / "linux"
    icons = WORK / "icons"

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    say(f"Writing {out.name} …")
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        for item in sorted(bundle.iterdir()):
            tar.add(item, f"{top}/{item.name}", filter=reset)
        for name in ("install.sh", "uninstall.sh", "INSTALL.txt"):
            tar.add(linux / name, f"{top}/{name}", filter=reset)
        tar.add(linux / "io.port.mcp-bridge.desktop", f"{top}/share/applications/io.port.mcp-bridge.desktop",
                filter=reset)  # fmt: skip
        for size in (16, 24, 32, 48, 64, 128, 256, 512):
            tar.add(icons / f"port-mcp-bridge-{size}.png",
                    f"{top}/share/icons/hicolor/{size}x{size}/apps/port-mcp-bridge.png", filter=reset)  # fmt: skip
        tar.add(ROOT / "resources" / "port-mcp-bridge.svg",
                f"{top}/share/icons/hicolor/scalable/apps/port-mcp-bridge.svg", filter=reset)  # fmt: skip
    return out


def linux_deb(bundle: Path, version: str) -> Path | None:
    """The .deb from the same bundle (packaging/deb.py), checked with dpkg-deb (and lintian where installed)."""
    if shutil.which("dpkg-deb") is None:
        say("dpkg-deb not found: no .deb (the tarball is made either way).")
        return None
    import deb

    out = deb.build(bundle, version, DIST, HERE / "linux" / "io.port.mcp-bridge.desktop", WORK / "icons",
                    ROOT / "resources" / "port-mcp-bridge.svg", buildinfo.machine())  # fmt: skip
    problems = deb.check(out)
    if problems:
        sys.exit("The .deb has problems:\n  " + "\n  ".join(problems))
    say(f"Debian package: {out} ({size_mb(out):.0f} MB), dpkg-deb --info/--contents checked")
    return out


def check_other_systems() -> None:
    """What can be checked here of the macOS and Windows builds: the .app's Info.plist as PyInstaller would render it
    (render.py), and the .wxs (well-formed, closes a running app). Exits on a problem."""
    import json
    import xml.etree.ElementTree as ET

    # render.py imports PySide6 (as the spec does), which only the project's Python has: it runs there.
    said = subprocess.run([project_python(), HERE / "render.py", "darwin", "--json"], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout  # fmt: skip
    plist = json.loads(said.strip().splitlines()[-1])
    info = plist["info_plist"] if plist else {}
    if info.get("LSBackgroundOnly") is not False or not info.get("LSUIElement"):
        sys.exit(f"The macOS app's Info.plist would be wrong: {info or 'no bundle'}")
    say(f"macOS Info.plist (rendered): LSUIElement, not LSBackgroundOnly, runs {plist['executable']!r}")
    wxs = ET.parse(HERE / "windows" / "port-mcp-bridge.wxs").getroot()  # noqa: S314 (our own file)
    closes = [e.get("Target") for e in wxs.iter("{http://wixtoolset.org/schemas/v4/wxs/util}CloseApplication")]
    if len(closes) != 2:
        sys.exit(f"The .wxs should close the tray app and the command on upgrade/uninstall; it closes {closes}")
    say(f"Windows .wxs: well-formed, closes {', '.join(map(str, closes))} on upgrade and uninstall")


# --- macOS: a .dmg with the app and a link to /Applications ---------------------------------------------------------


def macos_dmg(app: Path, version: str) -> Path:
    out = DIST / f"port-mcp-bridge-{version}-macos-{buildinfo.machine()}.dmg"
    staging = WORK / "dmg"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # ditto keeps the symlinks and extended attributes (the signature) of the .app as they are.
    run("ditto", app, staging / app.name)
    (staging / "Applications").symlink_to("/Applications")
    out.unlink(missing_ok=True)
    run("hdiutil", "create", "-volname", f"{buildinfo.DISPLAY_NAME} {version}", "-srcfolder", staging,
        "-fs", "HFS+", "-format", "UDZO", "-imagekey", "zlib-level=9", "-ov", out)  # fmt: skip
    return out


# --- Windows: an .msi from packaging/windows/port-mcp-bridge.wxs ----------------------------------------------------


def msi_version(version: str) -> str:
    """MSI versions are three numbers (major < 256, minor < 256, build < 65536): `1.2.3rc1` becomes `1.2.3`."""
    numbers = [str(int(m.group())) if (m := re.match(r"\d+", part)) else "0" for part in version.split(".")[:3]]
    return ".".join(numbers + ["0"] * (3 - len(numbers)))


def windows_msi(bundle: Path, version: str) -> Path:
    wix = shutil.which("wix")
    if wix is None:
        sys.exit("WiX v5 is needed for the .msi: `dotnet tool install --global wix --version 5.0.2` (see "
                 "packaging/README.md).")  # fmt: skip
    out = DIST / f"port-mcp-bridge-{version}-windows-x64.msi"
    run(wix, "build", HERE / "windows" / "port-mcp-bridge.wxs", "-ext", "WixToolset.Util.wixext", "-arch", "x64",
        "-d", f"Version={msi_version(version)}", "-d", f"IconFile={WORK / 'icons' / 'port-mcp-bridge.ico'}",
        "-d", f"AppExe={buildinfo.app_name('win32')}.exe",
        "-bindpath", f"bundle={bundle}", "-o", out)  # fmt: skip
    return out


def make_installer(bundle: Path, version: str) -> Path:
    if not bundle.exists():
        sys.exit(f"No bundle at {bundle}: run without --installer-only first.")
    if sys.platform == "darwin":
        out = macos_dmg(bundle, version)
    elif sys.platform == "win32":
        out = windows_msi(bundle, version)
    else:
        out = linux_tarball(bundle, version)
        linux_deb(bundle, version)
        check_other_systems()
    say(f"Installer: {out} ({size_mb(out):.0f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--bundle-only", action="store_true", help="only the PyInstaller bundle")
    which.add_argument("--installer-only", action="store_true", help="only the installer, from dist/")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    options = parser.parse_args(argv)
    version = buildinfo.version()
    say(f"Port MCP Bridge {version} for {sys.platform} ({buildinfo.machine()})")
    if options.installer_only:
        make_installer(bundle_path(), version)
        return 0
    bundle = build_bundle(project_python(), clean=options.clean)
    if not options.bundle_only:
        make_installer(bundle, version)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        sys.exit(f"Build failed: {' '.join(map(str, exc.cmd))} exited with {exc.returncode}.")
