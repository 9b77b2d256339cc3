"""Checks that keep the structure honest: the core never loads Qt, the front ends reach the core only through the
facade, the stdio shim stays light, and long modules are long for a stated reason."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import bridge

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = [ROOT / "app", ROOT / "bridge" / "cli"]
ALLOWED = {"bridge.api", "bridge.errors"}  # what a front end may import of the core
# Modules over 500 lines, each one idea (said in its docstring too): the allowance is deliberate, not drift.
LONG_MODULES = {
    "bridge/sandbox/seed_acme.py": "data: the Acme demo organization's catalog",
}
MAX_LINES = 500


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(bridge.__path__, "bridge.")]
    return ["bridge", *(name for name in names if not name.endswith("__main__"))]  # __main__ runs the CLI


def test_the_walk_finds_every_package() -> None:
    names = set(_modules())
    for expected in ("bridge.api.facade", "bridge.stdio.relay", "bridge.proxy.service", "bridge.system.loopback",
                     "bridge.auth.keychain", "bridge.sandbox.app", "bridge.export.clients.cursor"):  # fmt: skip
        assert expected in names, expected


def test_no_module_of_the_core_imports_qt() -> None:
    """Every module of `bridge/`, imported in one fresh interpreter: none may pull in Qt (the core runs headless)."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {_modules()!r}: importlib.import_module(name)\n"
        "qt = {'PySide6', 'shiboken6', 'PyQt6', 'PyQt5'}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & qt)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _core_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of `bridge` in a file, `from bridge import x` counted as `bridge.x`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "bridge"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "bridge":
                found += [(node.lineno, f"bridge.{alias.name}") for alias in node.names]
            elif node.module.split(".")[0] == "bridge":
                found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("folder", FRONT_ENDS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_front_ends_reach_the_core_only_through_the_facade(folder: Path) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(folder.rglob("*.py"))
        for line, module in _core_imports(path)
        if module not in ALLOWED and not module.startswith("bridge.cli")
    ]
    assert not wrong, "front ends import only bridge.api and bridge.errors:\n" + "\n".join(wrong)


def test_the_boundary_check_sees_every_way_of_importing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import bridge.proxy\nfrom bridge import settings\nfrom bridge.api import BridgeApi\n"
        "def f():\n    from bridge.export import clients\n"
    )
    assert [m for _, m in _core_imports(sample)] == ["bridge.proxy", "bridge.settings", "bridge.api", "bridge.export"]


def test_the_stdio_command_loads_no_server_stack() -> None:
    """`port-mcp-bridge stdio` runs as a process per client: through the facade it must still load only the shim."""
    script = (
        "import json, sys\nfrom bridge.api import run_stdio\nimport bridge.cli\n"
        "heavy = {'uvicorn', 'starlette', 'httpx2', 'mcp', 'PySide6', 'authlib', 'keyring'}\n"
        "print(json.dumps(sorted(heavy & {m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_facade_exports_resolve() -> None:
    import bridge.api as api

    for name in api.__all__:
        assert getattr(api, name) is not None, name
    with pytest.raises(AttributeError):
        api.not_a_name  # noqa: B018


def test_long_modules_are_long_for_a_stated_reason() -> None:
    long = {
        path.relative_to(ROOT).as_posix(): n
        for folder in ("bridge", "app")
        for path in (ROOT / folder).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert set(long) <= set(LONG_MODULES), f"over {MAX_LINES} lines: split by idea, or say why here: {long}"
