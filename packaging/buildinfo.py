"""What the packaging files share: names, the version (from pyproject.toml) and where things go. Standard library only.

Imported by `port-mcp-bridge.spec` (under PyInstaller), `build.py` and `smoke.py` (under any Python 3.11+).
The folder is deliberately not a package: `packaging` is also the name of a PyPI package PyInstaller imports.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
WORK = ROOT / "build"

DISPLAY_NAME = "Port MCP Bridge"
CLI_NAME = "port-mcp-bridge"  # the console program client configs start by absolute path
BUNDLE_ID = "io.port.mcp-bridge"  # the LaunchAgent label of bridge/autostart.py is the same


def version(root: Path = ROOT) -> str:
    """`project.version`, or the attribute `tool.setuptools.dynamic.version` names (today `bridge.__version__`)."""
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    static = meta.get("project", {}).get("version")
    if static:
        return str(static)
    attr = meta["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = attr.rpartition(".")
    base = root / Path(*module.split("."))
    source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise SystemExit(f"pyproject.toml names {attr} as the version, and {source} does not assign {name}.")


RELEASE_INFO = WORK / "release.json"  # the bundle's bridge/release.json: which repository the update check follows


def write_release_info(path: Path = RELEASE_INFO, env: dict[str, str] | None = None) -> Path | None:
    """Name the repository this build is made in (GitHub Actions' GITHUB_REPOSITORY), for the bundle's update check
    (`bridge.updates.repository`). Outside GitHub Actions nothing is written and a stale file is removed: the app
    then follows the project's home."""
    repository = (os.environ if env is None else env).get("GITHUB_REPOSITORY", "").strip()
    path.unlink(missing_ok=True)
    if not repository:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"repository": repository}) + "\n", encoding="utf-8")
    return path


def app_name(platform: str | None = None) -> str:
    """The tray app's executable: `Port MCP Bridge` where users see file names in the UI, else the command name."""
    return DISPLAY_NAME if (platform or sys.platform) in ("darwin", "win32") else "port-mcp-bridge-app"


def second_name(platform: str | None = None) -> tuple[str, str] | None:
    """(link, target): the one program's other name, a relative link beside it; None where there are two programs
    (Windows). macOS: `port-mcp-bridge` -> `Port MCP Bridge`; Linux: `port-mcp-bridge-app` -> `port-mcp-bridge`."""
    platform = platform or sys.platform
    if platform == "win32":
        return None
    if platform == "darwin":
        return CLI_NAME, app_name(platform)
    return app_name(platform), CLI_NAME


def bundle_name(platform: str | None = None) -> str:
    """The onedir folder in dist/ (on macOS the .app's name without `.app`)."""
    return DISPLAY_NAME if (platform or sys.platform) in ("darwin", "win32") else CLI_NAME


def machine() -> str:
    import platform

    arch = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(arch, arch)
