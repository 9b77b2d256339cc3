"""Smoke-test the built Linux bundle for real, and measure its size and start-up time.

    .venv/bin/python packaging/smoke.py              # against dist/port-mcp-bridge (python3 dev.py package runs it)
    .venv/bin/python packaging/smoke.py --record     # also write the figures into docs/packaging.md

Against the frozen programs, never the source tree:
  1. `port-mcp-bridge --version` prints the version of pyproject.toml;
  2. `port-mcp-bridge demo` (settings in a temporary PORT_MCP_BRIDGE_HOME) runs its scripted session against the
     bundled sandbox and prints a configuration with a local key; the official `mcp` client of this virtualenv then
     connects to that frozen bridge, lists the tools and calls one; the command never loads Qt;
  3. the frozen tray app with QT_QPA_PLATFORM=offscreen (where it runs the headless demo) stays up, and, where Xvfb is
     installed, the real tray app with the bundled xcb plugin stays up on a virtual display;
  4. every bundled library finds the Qt and Python libraries it needs.
Size is the bundle's bytes on disk (as `du`), and the tarball's. Start-up is timed twice: "cold" right after the
bundle's files were evicted from the page cache with posix_fadvise(DONTNEED) (no root needed; the system's own
libraries stay cached, so a first start after boot is slower), and "warm" as the median of later runs.
Runs on Linux only; exits 1 on the first failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import buildinfo
from probe import Failed, free_port, stop, wait_ready

ROOT = buildinfo.ROOT
DOC = ROOT / "docs" / "packaging.md"
BEGIN, END = "<!-- smoke:begin -->", "<!-- smoke:end -->"
TARGET_MB, TARGET_READY_S = 150, 2.0


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)
    print(f"  ok  {message}", flush=True)


# --- helpers --------------------------------------------------------------------------------------------------------


def bundle_bytes(folder: Path) -> int:
    """Bytes on disk as `du -s --apparent-size -B1` counts them (symlinks as links)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_symlink() or not p.is_dir())


def evict(folder: Path) -> None:
    """Drop the bundle's files from the page cache (what a first start after installing or rebooting reads)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "PYTHON", "VIRTUAL_ENV"))}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return {**env, "PORT_MCP_BRIDGE_HOME": str(home), **extra}


# --- the checks -----------------------------------------------------------------------------------------------------


def check_version(cli: Path, bundle: Path, version: str, results: dict) -> None:
    print("version", flush=True)
    evict(bundle)
    times = []
    for _ in range(6):
        started = time.monotonic()
        out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60)
        times.append(time.monotonic() - started)
        check(out.returncode == 0 and version in out.stdout, f"--version printed {out.stdout.strip()!r}")
    results["version_cold_s"] = round(times[0], 3)
    # The update check follows the repository the release was built in (bridge/updates.py `repository`).
    info = next(bundle.rglob("bridge/release.json"), None)
    built_in = os.environ.get("GITHUB_REPOSITORY", "").strip()
    named = json.loads(info.read_text(encoding="utf-8")).get("repository") if info else None
    where = built_in or "no repository"
    check(named == (built_in or None), f"the bundle's release.json names {named!r}, built in {where}")
    results["version_warm_s"] = round(statistics.median(times[1:]), 3)


def start_demo(cli: Path, home: Path) -> tuple[subprocess.Popen[str], int, float]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([cli, "demo", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=environment(home), start_new_session=True)  # fmt: skip
    return process, port, started


def read_demo(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Its output up to "Serving until Ctrl+C." (the scripted session has run, the config is printed)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving until"):
            return "".join(lines)
    raise Failed("the demo did not finish its scripted session:\n" + "".join(lines))


async def mcp_session(url: str, key: str) -> tuple[int, str]:
    from bridge.mcp_client import mcp_session  # from the source tree: the official client, as an IDE would use

    async with mcp_session(url, {"Authorization": f"Bearer {key}"}) as session:
        tools = (await session.list_tools()).tools
        result = await session.call_tool(
            "list_entities", {"blueprintIdentifier": "service", "identifiers": ["inventory-service"]}
        )
        if result.is_error:
            raise Failed(f"list_entities answered an error: {result.content}")
        return len(tools), result.content[0].text  # type: ignore[union-attr]


def check_demo(cli: Path, bundle: Path, results: dict) -> None:
    import anyio

    print("demo + MCP client", flush=True)
    for label in ("cold", "warm", "warm2"):
        if label == "cold":
            evict(bundle)
        with tempfile.TemporaryDirectory(prefix="pmb-smoke-") as home:
            process, port, started = start_demo(cli, Path(home))
            try:
                ready = wait_ready(process, port, started)
                results[f"demo_ready_{label}_s"] = round(ready, 3)
                if label != "cold":
                    continue
                output = read_demo(process)
                check("1. The assistant sees" in output and "→ SUCCESS" in output,
                      "the demo's scripted session ran against the bundled sandbox")  # fmt: skip
                found = re.search(r"Port MCP Bridge at (http://127\.0\.0\.1:\d+/mcp)", output)
                key = re.search(r'"Authorization": "Bearer ([^"]+)"', output)
                check(found and key, "it printed the bridge's URL and a configuration with a demo local key")
                assert found and key
                check("libQt6" not in maps(process.pid), "the frozen command never loaded Qt")
                count, text = anyio.run(mcp_session, found.group(1), key.group(1))
                check(count >= 17, f"an official mcp client through the frozen bridge listed {count} tools")
                check("inventory-service" in text, "and called list_entities (the answer names InventoryService)")
                results["tools_listed"] = count
            finally:
                code = stop(process)
            if label == "cold":
                check(code in (0, 130, -signal.SIGINT), f"Ctrl+C stopped the demo (exit {code})")
    results["demo_ready_warm_s"] = round(min(results.pop("demo_ready_warm_s"), results.pop("demo_ready_warm2_s")), 3)


def check_gui_offscreen(app: Path, results: dict) -> None:
    print("tray app, QT_QPA_PLATFORM=offscreen", flush=True)
    with tempfile.TemporaryDirectory(prefix="pmb-smoke-") as home:
        port = free_port()
        started = time.monotonic()
        process = subprocess.Popen([app, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, env=environment(Path(home), QT_QPA_PLATFORM="offscreen"))  # fmt: skip
        try:
            wait_ready(process, port, started)
            time.sleep(3)
            check(process.poll() is None, "the frozen app (headless: no display) is up after 3 s, bridge answering")
        finally:
            stop(process)


def start_xvfb() -> tuple[subprocess.Popen[bytes], str] | None:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        return None
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    return server, f":{number}"


def check_gui_display(app: Path, bundle: Path, results: dict) -> None:
    print("tray app on a virtual X display (Xvfb)", flush=True)
    xvfb = start_xvfb()
    if xvfb is None:
        print("  --  Xvfb is not installed: skipped (apt install xvfb)", flush=True)
        results["gui"] = "skipped: no Xvfb"
        return
    server, display = xvfb
    try:
        with tempfile.TemporaryDirectory(prefix="pmb-smoke-") as home:
            evict(bundle)
            port = free_port()
            started = time.monotonic()
            process = subprocess.Popen([app, "--port", str(port)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True,
                                       env=environment(Path(home), DISPLAY=display))  # fmt: skip
            try:
                results["gui_ready_cold_s"] = round(wait_ready(process, port, started), 3)
                time.sleep(3)
                check(process.poll() is None, "the frozen tray app is up after 3 s on the virtual display")
                loaded = maps(process.pid)
                check(f"{bundle}/_internal/PySide6/Qt/plugins/platforms/libqxcb.so" in loaded,
                      "with the bundled xcb platform plugin")  # fmt: skip
                check("libqsvgicon.so" in loaded, "and the bundled SVG icon engine (its icons)")
            finally:
                code = stop(process, signal.SIGTERM)
                assert process.stderr is not None
                errors = process.stderr.read()
            check(code in (0, -signal.SIGTERM), f"SIGTERM stopped it (exit {code})")
            check("Traceback" not in errors, "no traceback on its stderr")
            results["gui"] = "ok"
    finally:
        server.terminate()
        server.wait()


def check_libraries(bundle: Path, results: dict) -> None:
    """ldd every bundled ELF file: the bundle's own libraries must resolve; list what comes from the system."""
    print("libraries", flush=True)
    ours = re.compile(r"lib(Qt6|pyside6|shiboken6|icu|python3)")
    missing, system = set(), set()
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}  # as the bootloader sets it
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", path], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            name, _, where = line.strip().partition(" => ")
            if "not found" in where:
                (missing if ours.match(name) else system).add(f"{name} (not found)")
            elif where.startswith("/") and not where.startswith(str(bundle)):
                system.add(name)
    check(not missing, "every bundled library finds the Qt and Python libraries it needs")
    results["system_libraries"] = sorted(system)


# --- recording ------------------------------------------------------------------------------------------------------


def markdown(results: dict) -> str:
    mb = results["bundle_mb"]
    ready = results["demo_ready_cold_s"]
    lines = [
        BEGIN,
        f"Latest run: {results['when']} on {results['machine']}, Port MCP Bridge {results['version']}, "
        f"`python3 dev.py package` (build {results.get('build_s', '?')} s, smoke test {results['smoke_s']} s).",
        "",
        "| Measure | Result | Target |",
        "|---|---|---|",
        f"| Bundle on disk (`{results['bundle']}`) | {mb} MB (`du -sh`: {results['bundle_du']}) "
        f"| under {TARGET_MB} MB {'✓' if mb < TARGET_MB else '✗'} |",
        f"| Download (`{results['tarball']}`) | {results['tarball_mb']} MB | |",
        f"| `port-mcp-bridge --version`, cold / warm | {results['version_cold_s']} s / "
        f"{results['version_warm_s']} s | |",
        f"| `port-mcp-bridge demo` until the bridge answers `/healthz`, cold / warm | {ready} s / "
        f"{results['demo_ready_warm_s']} s | under {TARGET_READY_S:g} s {'✓' if ready < TARGET_READY_S else '✗'} |",
    ]
    if "gui_ready_cold_s" in results:
        lines.append(f"| Tray app on Xvfb until its bridge answers, cold | {results['gui_ready_cold_s']} s | |")
    lines += [
        f"| Tools an `mcp` client listed through the frozen bridge | {results['tools_listed']} | |",
        "",
        "Libraries the bundle takes from the system: " + ", ".join(f"`{n}`" for n in results["system_libraries"]),
        END,
    ]
    return "\n".join(lines)


def record(results: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < 0:
        raise SystemExit(f"{DOC} has no {BEGIN} … {END} section to write into.")
    DOC.write_text(text[:start] + markdown(results) + text[end + len(END) :], encoding="utf-8")
    print(f"Recorded in {DOC.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=buildinfo.DIST / buildinfo.bundle_name("linux"))
    parser.add_argument("--record", action="store_true", help="write the figures into docs/packaging.md")
    parser.add_argument("--build-seconds", type=float, default=None, help="the build's time, for the record")
    options = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("The smoke test runs on Linux (the release workflow tests macOS and Windows builds by --version).")
        return 0
    bundle = options.bundle.resolve()
    cli, app = bundle / buildinfo.CLI_NAME, bundle / buildinfo.app_name("linux")
    if not (cli.is_file() and app.is_file()):
        print(f"No bundle at {bundle}: build it first (python3 packaging/build.py).", file=sys.stderr)
        return 1
    version = buildinfo.version()
    tarball = buildinfo.DIST / f"port-mcp-bridge-{version}-linux-{buildinfo.machine()}.tar.gz"
    results: dict = {
        "when": time.strftime("%Y-%m-%d"),
        "machine": f"Linux {os.uname().machine}, {os.cpu_count()} CPUs",
        "version": version,
        "bundle": f"dist/{bundle.name}/",
        "bundle_mb": round(bundle_bytes(bundle) / 1e6, 1),
        "bundle_du": subprocess.run(["du", "-sh", bundle], capture_output=True, text=True).stdout.split("\t")[0],
        "tarball": tarball.name,
        "tarball_mb": round(tarball.stat().st_size / 1e6, 1) if tarball.exists() else "not built",
    }
    if options.build_seconds is not None:
        results["build_s"] = round(options.build_seconds)
    started = time.monotonic()
    try:
        check_version(cli, bundle, version, results)
        check_demo(cli, bundle, results)
        check_gui_offscreen(app, results)
        check_gui_display(app, bundle, results)
        check_libraries(bundle, results)
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    results["smoke_s"] = round(time.monotonic() - started)
    out = buildinfo.WORK / "smoke.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results).replace(BEGIN, "").replace(END, "").strip())
    if options.record:
        record(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
