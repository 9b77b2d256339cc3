"""The Debian/Ubuntu package, built from the same bundle as the tarball with `dpkg-deb`. Standard library only.

    /opt/port-mcp-bridge/                              the bundle (both programs and _internal/)
    /usr/bin/port-mcp-bridge, port-mcp-bridge-app      links into /opt (client configurations use the /opt path)
    /usr/share/applications/io.port.mcp-bridge.desktop the menu entry (the app's desktop file name)
    /usr/share/icons/hicolor/*/apps/port-mcp-bridge.*  its icons

dpkg's own triggers refresh the menu and icon caches. `prerm` stops the tray apps and bridges running from /opt (of
every user) before an upgrade or removal replaces their files. The tarball stays for users without root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PREFIX = "opt/port-mcp-bridge"
PACKAGE = "port-mcp-bridge"
# The system libraries the bundle leaves to the desktop (launchers/system_libs.py checks the same at start).
DEPENDS = (
    "libc6 (>= 2.35), libegl1, libgl1, libfontconfig1, libfreetype6, libglib2.0-0, libdbus-1-3, libxkbcommon0, "
    "libxkbcommon-x11-0, libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, "
    "libxcb-keysyms1, libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0, libxcb-sync1, "
    "libxcb-util1, libxcb-xfixes0, libxcb-xkb1"
)
RECOMMENDS = "gnome-keyring | kwalletmanager | keepassxc, xdg-utils"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

PRERM = """#!/bin/sh
# Stop Port MCP Bridge's programs running from /opt/port-mcp-bridge (any user) before their files go.
set -e
case "$1" in
    remove | upgrade | deconfigure)
        for proc in /proc/[0-9]*; do
            exe=$(readlink "$proc/exe" 2>/dev/null) || continue
            case "$exe" in /opt/port-mcp-bridge/*) kill "${proc#/proc/}" 2>/dev/null || true ;; esac
        done
        ;;
esac
exit 0
"""


def deb_version(version: str) -> str:
    """PEP 440 to Debian: a pre-release sorts before its release (`1.2.3rc1` -> `1.2.3~rc1`)."""
    return re.sub(r"(?<=\d)(a|b|rc|\.dev)(\d*)$", lambda m: f"~{m.group(1).lstrip('.')}{m.group(2)}", version)


def control(version: str, installed_kib: int, arch: str = "amd64") -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {deb_version(version)}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Port MCP Bridge <support@port-mcp-bridge.invalid>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {DEPENDS}\n"
        f"Recommends: {RECOMMENDS}\n"
        "Section: devel\n"
        "Priority: optional\n"
        "Homepage: https://www.port.io\n"
        "Description: connects IDE AI assistants to Port through one local MCP endpoint\n"
        " A tray app and the port-mcp-bridge command: a local MCP server that Cursor, VS Code, Claude, Codex,\n"
        " Gemini CLI and other clients point at, forwarding to Port's remote MCP server for the organization\n"
        " of the active profile, with browser sign-in, tokens in the keychain, read-only mode and allowed\n"
        " actions.\n"
    )


def stage(root: Path, bundle: Path, version: str, desktop: Path, icons: Path, svg: Path) -> None:
    """Lay the package's files out under `root` (DEBIAN/ included)."""
    opt = root / PREFIX
    opt.parent.mkdir(parents=True)
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    for name in ("port-mcp-bridge", "port-mcp-bridge-app"):
        (root / "usr/bin" / name).symlink_to(f"/{PREFIX}/{name}")
    applications = root / "usr/share/applications"
    applications.mkdir(parents=True)
    entry = re.sub(r"(?m)^Exec=.*$", f"Exec=/{PREFIX}/port-mcp-bridge-app", desktop.read_text(encoding="utf-8"))
    (applications / desktop.name).write_text(entry, encoding="utf-8")
    for size in ICON_SIZES:
        folder = root / f"usr/share/icons/hicolor/{size}x{size}/apps"
        folder.mkdir(parents=True)
        shutil.copy2(icons / f"port-mcp-bridge-{size}.png", folder / "port-mcp-bridge.png")
    scalable = root / "usr/share/icons/hicolor/scalable/apps"
    scalable.mkdir(parents=True)
    shutil.copy2(svg, scalable / "port-mcp-bridge.svg")
    kib = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir()) // 1024 + 1
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control(version, kib), encoding="utf-8")
    (debian / "prerm").write_text(PRERM, encoding="utf-8")
    (debian / "prerm").chmod(0o755)
    for path in root.rglob("*"):  # dpkg wants no group/other-writable files; umask may have left some
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)


def build(bundle: Path, version: str, out_dir: Path, desktop: Path, icons: Path, svg: Path, machine: str) -> Path:
    """dist/port-mcp-bridge_<version>_amd64.deb, files owned by root (`--root-owner-group`, no fakeroot needed)."""
    arch = {"x86_64": "amd64", "arm64": "arm64"}.get(machine, machine)
    out = out_dir / f"{PACKAGE}_{deb_version(version)}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="pmb-deb-") as work:
        root = Path(work) / "root"
        root.mkdir()
        stage(root, bundle, version, desktop, icons, svg)
        if arch != "amd64":
            text = (root / "DEBIAN/control").read_text(encoding="utf-8")
            (root / "DEBIAN/control").write_text(text.replace("Architecture: amd64", f"Architecture: {arch}"))
        out.unlink(missing_ok=True)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(out)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return out


def check(deb: Path) -> list[str]:
    """`dpkg-deb --info/--contents` checks, and lintian's where it is installed: the problems found (none: [])."""
    problems = []
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True, check=True).stdout
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    for field in ("Package: port-mcp-bridge", "Depends: libc6 (>= 2.35)", "libxcb-cursor0", "prerm"):
        if field not in info:
            problems.append(f"control: no {field!r}")
    wanted = (
        f"./{PREFIX}/port-mcp-bridge",
        f"./{PREFIX}/port-mcp-bridge-app",
        f"./{PREFIX}/_internal/",
        "./usr/bin/port-mcp-bridge -> /opt/port-mcp-bridge/port-mcp-bridge",
        "./usr/bin/port-mcp-bridge-app -> /opt/port-mcp-bridge/port-mcp-bridge-app",
        "./usr/share/applications/io.port.mcp-bridge.desktop",
        "./usr/share/icons/hicolor/scalable/apps/port-mcp-bridge.svg",
    )
    for path in wanted:
        if path not in contents:
            problems.append(f"contents: no {path}")
    for line in contents.splitlines():
        mode, owner = line.split()[:2]
        if owner != "root/root" or (mode[0] != "l" and "w" in (mode[5], mode[8])):
            problems.append(f"contents: not root's alone: {line}")
    lintian = shutil.which("lintian")
    if lintian:
        found = subprocess.run([lintian, "--no-tag-display-limit", "--suppress-tags",
                                "embedded-library,binary-without-manpage,dir-or-file-in-opt,no-copyright-file,"
                                "unstripped-binary-or-object,hardening-no-fortify-functions,"
                                "shared-library-lacks-prerequisites,extended-description-line-too-long",
                                str(deb)], capture_output=True, text=True)  # fmt: skip
        problems += [f"lintian: {line}" for line in found.stdout.splitlines() if line.startswith("E:")]
    return problems
