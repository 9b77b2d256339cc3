#!/usr/bin/env python3
"""Set up and run Port MCP Bridge from a fresh clone, with nothing but Python 3.11+.

    python3 dev.py app     # create .venv if needed, install the pinned dependencies, run the app
    python3 dev.py test    # same set-up, then the checks (format, lint, types) and the whole test suite (CI)
    python3 dev.py soak    # the slow reliability runs (10,000 fuzzed requests, 32 x 1,000 calls) and the benchmark
    python3 dev.py package # build this OS's installer into dist/ (packaging/build.py); on Linux smoke-test the bundle
                           # and record its size and start-up time in docs/packaging.md

The virtualenv is reused while pyproject.toml and requirements.lock are unchanged, so a second run starts at once.
Only the standard library is used here: this file runs before any dependency exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PORT_MCP_BRIDGE_VENV", ROOT / ".venv"))
STAMP = VENV / ".port-mcp-bridge-installed"
LOCK_INPUTS = ("pyproject.toml", "requirements.lock")


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in LOCK_INPUTS:
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv() -> Path:
    """Create the virtualenv and install the pinned dependencies, unless that is already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this file runs on whatever python3 the user has)
        sys.exit(f"Port MCP Bridge needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = _python()
    wanted = _fingerprint()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if not python.exists():
        print(f"Creating a virtualenv in {VENV} …", flush=True)
        shutil.rmtree(VENV, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the pinned dependencies (first run only) …", flush=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run(
        [*pip, "install", "-c", str(ROOT / "requirements.lock"), "-e", f"{ROOT}[dev]"],
        check=True,
    )
    STAMP.write_text(wanted)
    return python


NODE_DIR = ROOT / "tests" / "node"


def ensure_node_clients() -> None:
    """Install the third-party MCP clients the tests drive (npm registry, pinned by package-lock.json)."""
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            sys.exit("CI needs Node.js and npm for the third-party client tests, and npm was not found.")
        print("npm not found: tests that drive third-party MCP clients (mcp-remote) will be skipped.", flush=True)
        return
    stamp = NODE_DIR / "node_modules" / ".port-mcp-bridge-installed"
    wanted = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("Installing the third-party MCP clients used by the tests (npm ci) …", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    stamp.write_text(wanted)


# The checks before the tests, each with what to run when it fails (the README's test command runs them all).
CHECKS = (
    (["-m", "ruff", "format", "--check", "."], "the layout differs from ruff format's: run `.venv/bin/ruff format .`"),
    (["-m", "ruff", "check", "."], "ruff found problems (above); fix them or run `.venv/bin/ruff check --fix .`"),
    (["-m", "mypy"], "the type checker found problems (above); pyproject.toml [tool.mypy] says what it checks"),
)


def run_checks(python: Path) -> int:
    for command, advice in CHECKS:
        done = subprocess.run([str(python), *command], cwd=ROOT)
        if done.returncode:
            print(advice, file=sys.stderr)
            return done.returncode
    return 0


def run_tests(python: Path, args: list[str]) -> int:
    ensure_node_clients()
    failed = run_checks(python)
    if failed:
        return failed
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    tests = subprocess.run([str(python), "-m", "pytest", *args], cwd=ROOT, env=env)
    if tests.returncode == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
    return tests.returncode


SOAK = {"FUZZ_EXAMPLES": "10000", "LOAD_SESSIONS": "32", "LOAD_CALLS": "1000",
        "HEAD_FLOOD_MB": "192", "CROWD_LIMIT": "1024", "CROWD_REQUESTS": "1000", "CROWD_IDLE": "1100"}  # fmt: skip


def run_soak(python: Path, args: list[str]) -> int:
    """The full-size reliability suite, then the benchmarks (which print their tables and PASS/FAIL per target)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **SOAK}
    tests = subprocess.run([str(python), "-m", "pytest", "tests/reliability", "-p", "no:cacheprovider", *args],
                           cwd=ROOT, env=env)  # fmt: skip
    bench = subprocess.run([str(python), "bench/bridge_bench.py"], cwd=ROOT, env=env)
    clients = subprocess.run([str(python), "bench/clients_bench.py"], cwd=ROOT, env=env)  # vs the shim and mcp-remote
    flood = subprocess.run([str(python), "bench/flood_bench.py"], cwd=ROOT, env=env)  # an IDE under a header flood
    return tests.returncode or bench.returncode or clients.returncode or flood.returncode


def run_package(python: Path, args: list[str]) -> int:
    """packaging/build.py (bundle + installer), then on Linux packaging/smoke.py --record against the bundle."""
    started = time.monotonic()
    build = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), *args], cwd=ROOT)
    if build.returncode or not sys.platform.startswith("linux"):
        return build.returncode
    smoke = [str(python), str(ROOT / "packaging" / "smoke.py"), "--record", "--build-seconds",
             f"{time.monotonic() - started:.0f}"]  # fmt: skip
    return subprocess.run(smoke, cwd=ROOT).returncode


def run_app(python: Path, args: list[str]) -> int:
    return subprocess.run([str(python), "-m", "app", *args], cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"app", "test", "soak", "package", "setup"}:
        print(__doc__.strip())
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    python = ensure_venv()
    if command == "test":
        return run_tests(python, rest)
    if command == "app":
        return run_app(python, rest)
    if command == "soak":
        ensure_node_clients()
        return run_soak(python, rest)
    if command == "package":
        return run_package(python, rest)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"Set-up failed: {' '.join(map(str, exc.cmd))} exited with {exc.returncode}.")
