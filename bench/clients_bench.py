"""The bridge against the clients users run today: direct, bridge (HTTP), our stdio shim and mcp-remote, one upstream.

    .venv/bin/python bench/clients_bench.py [--quick] [--json] [--chart PNG] [--profile-shim FILE]

One run, one sandbox (a child process, as in `bridge_bench.py`, whose children and client helpers this script
reuses), four ways to reach it:

- **direct**: HTTP to the sandbox with a token-mode token from its `/v1/auth/access_token`;
- **bridge**: HTTP to the bridge (`BridgeService` as `serve` builds it, token mode, local key `bench-key`);
- **stdio shim**: `port-mcp-bridge stdio`, a child speaking newline-delimited JSON-RPC on stdin/stdout, relaying to
  that bridge (its settings name the bridge's port, its keychain holds the local key);
- **mcp-remote** (npm, pinned in tests/node): `node .../mcp-remote/dist/proxy.js <sandbox> --header
  "Authorization:Bearer <token>" --transport http-only`, stdio on its side, straight to the sandbox with the same
  kind of token (no OAuth, no browser, nothing off this machine).

Measured: latency (p50/p95/p99) of `tools/call` (describe_user_details) and `tools/list`, every path in turn within
each round; throughput (requests/s) at 1, 8 and 32 concurrent sessions, direct and bridge; resident memory of the
bridge (one process, N clients) against one mcp-remote (and one shim) per client; how long each stdio path takes to
start. Targets are printed PASS/FAIL, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bridge_bench as bb
import stack as st

ROOT = st.ROOT
MCP_REMOTE = ROOT / "tests" / "node" / "node_modules" / "mcp-remote" / "dist" / "proxy.js"
HTTP_PATHS = ("direct", "bridge")
STDIO_PATHS = ("stdio shim", "mcp-remote")
OPS = ("tools/call", "tools/list")
CONCURRENCY = (1, 8, 32)
MEMORY_CLIENTS = 8  # mcp-remote and shim processes started at once for the memory figures (32 is extrapolated)

TARGET_ADDED_P50_MS = bb.TARGET_ADDED_P50_MS
TARGET_RATIO_P50 = bb.TARGET_RATIO_P50
TARGET_STDIO_SPEEDUP = 3.0  # mcp-remote p50 / stdio shim p50
TARGET_THROUGHPUT_RATIO = 0.9  # bridge / direct at 32 sessions


# --- stdio clients ------------------------------------------------------------------------------------------------


@dataclass
class StdioClient:
    """An MCP client of a child process on its stdin/stdout: one JSON-RPC message a line, as IDEs speak to stdio
    servers. Lines that answer something else (notifications, log lines on stdout) are skipped."""

    label: str
    proc: asyncio.subprocess.Process
    next_id: int = 0
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    async def start(cls, label: str, command: list[str], env: dict[str, str], stderr: Any) -> StdioClient:
        proc = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=stderr, limit=64 * 1024 * 1024,
        )  # fmt: skip
        return cls(label, proc)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """Milliseconds from writing the request to having read its whole answer line, and the answer."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}).encode()
        start = time.perf_counter()
        self.proc.stdin.write(line + b"\n")
        await self.proc.stdin.drain()
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                raise RuntimeError(f"{self.label}: exited ({await self.proc.wait()}) while answering {method}")
            elapsed = (time.perf_counter() - start) * 1000
            with_id = raw.startswith(b"{") and json.loads(raw)
            if with_id and with_id.get("id") == self.next_id:
                return elapsed, with_id

    async def initialize(self) -> float:
        """The MCP handshake; returns the milliseconds from starting the process to the initialize answer."""
        params = {"protocolVersion": st.PROTOCOL, "capabilities": {}, "clientInfo": {"name": "clients-bench",
                                                                                     "version": "1"}}  # fmt: skip
        _, answer = await self.request("initialize", params)
        if "result" not in answer:
            raise RuntimeError(f"{self.label}: initialize failed: {answer}")
        ready = (time.perf_counter() - self.started) * 1000
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return ready

    async def close(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # the shim ends when stdin does; mcp-remote may not
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.terminate()
                try:
                    await asyncio.wait_for(self.proc.wait(), 5)
                except TimeoutError:
                    self.proc.kill()
                    await self.proc.wait()


@dataclass
class Setup:
    """Where everything runs: the endpoints of the HTTP paths and how to start each stdio path."""

    endpoints: dict[str, tuple[str, str]]  # path -> (url, authorization)
    bridge_pid: int
    sandbox_pid: int
    commands: dict[str, tuple[list[str], dict[str, str]]]  # stdio path -> (command, environment)
    logs: Path  # the stdio children's stderr, one file each


def shim_command(profile_out: str | None = None) -> list[str]:
    """`port-mcp-bridge stdio`: the console script next to this Python if installed, else `python -m bridge`."""
    script = Path(sys.executable).with_name("port-mcp-bridge")
    base = [str(script)] if script.exists() and not profile_out else [sys.executable, "-m", "bridge"]
    if profile_out:
        base[1:1] = ["-m", "cProfile", "-o", profile_out]
    return [*base, "stdio"]


def start(stack: ExitStack, args: argparse.Namespace) -> Setup:
    import httpx2

    from bridge.sandbox.seed import DEMO_CREDENTIALS

    secret = DEMO_CREDENTIALS[st.CLIENT_ID][0]

    def home() -> Path:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clients-bench-")))

    def child(command: list[str], **env: str) -> tuple[int, dict[str, Any]]:
        return stack.enter_context(st.child(command, {**os.environ, "PORT_MCP_BRIDGE_HOME": str(home()), **env}))

    box_pid, box = child(["--child", "sandbox"])
    r = httpx2.post(f"{box['url']}/auth/access_token", json={"clientId": st.CLIENT_ID, "clientSecret": secret})
    r.raise_for_status()
    token = r.json()["accessToken"]
    if args.upstream_latency:
        st.set_upstream_latency(box["url"], args.upstream_latency)
    command = ["--child", "bridge", "--upstream", box["url"], "--upstream-big", box["url"]]
    if args.profile_bridge:
        command += ["--profile-out", str(Path(args.profile_bridge).resolve())]
    bridge_pid, bridge = child(command, **{st.CREDENTIAL_ENV: secret})
    endpoints = {"direct": (box["url"], f"Bearer {token}")}
    endpoints["bridge"] = (f"{bridge['url']}/mcp", f"Bearer {st.BENCH_KEY}")

    shim_env = st.shim_environment(home(), int(bridge["url"].rsplit(":", 1)[1]))
    quiet = st.quiet_environment()
    remote_home = home()  # mcp-remote keeps its state in ~/.mcp-auth: an empty one, thrown away afterwards
    node = shutil.which("node") or "node"
    remote = [node, str(MCP_REMOTE), box["url"], "--header", f"Authorization:Bearer {token}", "--transport",
              "http-only"]  # fmt: skip
    remote_env = {**quiet, "HOME": str(remote_home), "NO_PROXY": "*"}  # no proxy variables: nothing leaves loopback
    commands = {"stdio shim": (shim_command(), shim_env), "mcp-remote": (remote, remote_env)}
    if args.profile_shim:  # the latency run's shim only
        commands["stdio shim profiled"] = (shim_command(str(Path(args.profile_shim).resolve())), shim_env)
    return Setup(endpoints, bridge_pid, box_pid, commands, home())


# --- latency -------------------------------------------------------------------------------------------------------


class Paths:
    """One initialized session per path; `once(path, op)` times one request on it."""

    def __init__(self, setup: Setup, http: Any, stderr: dict[str, Any]) -> None:
        self.setup, self.http, self.stderr = setup, http, stderr
        self.sessions: dict[str, st.Session] = {}
        self.stdio: dict[str, StdioClient] = {}
        self.startup_ms: dict[str, float] = {}

    async def open(self, paths: tuple[str, ...]) -> None:
        for path in paths:
            if path in HTTP_PATHS:
                url, auth = self.setup.endpoints[path]
                self.sessions[path] = await st.open_session(self.http, path, url, auth)
            else:
                profiled = f"{path} profiled" if f"{path} profiled" in self.setup.commands else path
                self.stdio[path] = await start_stdio(self.setup, profiled, self.stderr[path])
                self.startup_ms[path] = await self.stdio[path].initialize()

    async def once(self, path: str, op: str) -> tuple[float, int]:
        """(milliseconds, tools listed); raises unless the answer is a success."""
        _, method, params = st.OPERATIONS[op]
        if path in self.sessions:
            elapsed, r = await st.timed(self.http, self.sessions[path], op)
            return elapsed, st.check(self.sessions[path], op, r)
        elapsed, answer = await self.stdio[path].request(method, params)
        result = answer.get("result")
        if not isinstance(result, dict) or result.get("isError"):
            raise RuntimeError(f"{path} {op}: not a successful result: {json.dumps(answer)[:300]}")
        return elapsed, len(result.get("tools", []))

    async def close(self) -> None:
        for client in self.stdio.values():
            await client.close()


async def start_stdio(setup: Setup, path: str, stderr: Any) -> StdioClient:
    command, env = setup.commands[path]
    return await StdioClient.start(path.removesuffix(" profiled"), command, env, stderr)


async def measure_latency(paths: Paths, warmup: int, requests: int) -> dict[str, dict[str, list[float]]]:
    names = [*paths.sessions, *paths.stdio]
    samples: dict[str, dict[str, list[float]]] = {op: {path: [] for path in names} for op in OPS}
    for op in OPS:  # every path answers, and alike, before anything is timed
        counts = {path: (await paths.once(path, op))[1] for path in names}
        if len(set(counts.values())) != 1:
            raise RuntimeError(f"{op}: the paths disagree on the number of tools: {counts}")
    for i in range(warmup + requests):
        for op in OPS:
            k = i % len(names)  # rotate which path goes first, so drift hits every path alike
            for path in names[k:] + names[:k]:
                elapsed, _ = await paths.once(path, op)
                if i >= warmup:
                    samples[op][path].append(elapsed)
    return samples


# --- throughput ----------------------------------------------------------------------------------------------------


async def measure_throughput(setup: Setup, levels: tuple[int, ...], seconds: float, warmup: float) -> dict[str, Any]:
    """Requests/s of tools/call with N sessions at once, each on its own connection, sending back to back; direct
    and bridge take turns at each level. Also the CPU each process used per request meanwhile (the client included:
    all of them share the machine's CPUs)."""
    import httpx2

    out: dict[str, Any] = {}
    pids = {"sandbox": setup.sandbox_pid, "bridge": setup.bridge_pid}
    for n, level in enumerate(levels):
        row: dict[str, Any] = {}
        order = HTTP_PATHS if n % 2 == 0 else HTTP_PATHS[::-1]
        for path in order:
            url, auth = setup.endpoints[path]
            limits = httpx2.Limits(max_connections=level, max_keepalive_connections=level, keepalive_expiry=120)
            async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
                sessions = [await st.open_session(http, f"{path}#{i}", url, auth) for i in range(level)]
                cpu0 = {}

                def counting_starts(cpu0: dict[str, Any] = cpu0) -> None:
                    cpu0.update({name: st.cpu_seconds(pid) for name, pid in pids.items()}, client=time.process_time())

                done, elapsed = await load(http, sessions, warmup, seconds, counting_starts)
                cpu = {name: (st.cpu_seconds(pid) or 0) - (cpu0[name] or 0) for name, pid in pids.items()}
                cpu["client"] = time.process_time() - cpu0["client"]
                row[path] = {
                    "rps": done / elapsed,
                    "requests": done,
                    "cpu_ms_per_request": {k: v * 1000 / max(done, 1) for k, v in cpu.items()},
                }
            if path == "bridge":
                row["bridge_rss_mb"] = st.rss_mb(setup.bridge_pid)  # with `level` sessions open on it
        row["ratio"] = row["bridge"]["rps"] / row["direct"]["rps"]
        # If the machine's CPUs are the limit, the ratio can be no better than direct's CPU per request (client and
        # sandbox) over the bridge path's (client, bridge and sandbox): all three share the same CPUs here.
        cpu_total = {path: sum(row[path]["cpu_ms_per_request"].values()) for path in HTTP_PATHS}
        row["cpu_bound_ratio"] = cpu_total["direct"] / cpu_total["bridge"]
        out[str(level)] = row
    return out


async def load(
    http: Any, sessions: list[st.Session], warmup: float, seconds: float, counting_starts: Callable[[], None]
) -> tuple[int, float]:
    """Every session sends tools/call back to back for `warmup` + `seconds`; returns how many answers came in the
    last `seconds`, and the seconds that took (to the last answer)."""
    done = 0
    counting = False
    stop = time.perf_counter() + warmup + seconds

    async def worker(session: st.Session) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await st.timed(http, session, "tools/call")
            done += counting

    tasks = [asyncio.create_task(worker(s)) for s in sessions]
    await asyncio.sleep(warmup)
    counting = True
    counting_starts()
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    return done, time.perf_counter() - start


# --- memory --------------------------------------------------------------------------------------------------------


async def measure_memory(setup: Setup, count: int, stderr: dict[str, Any]) -> dict[str, Any]:
    """`count` processes of each stdio path at once, each initialized and having answered a tools/list and a
    tools/call: the RSS of each, and how long each took to start (spawn to initialize answered)."""
    out: dict[str, Any] = {}
    for path in STDIO_PATHS:
        clients = await asyncio.gather(*(start_stdio(setup, path, stderr[path]) for _ in range(count)))
        try:
            startup = await asyncio.gather(*(c.initialize() for c in clients))
            for op in OPS:
                _, method, params = st.OPERATIONS[op]
                await asyncio.gather(*(c.request(method, params) for c in clients))
            rss = [(st.rss_mb(c.proc.pid) or {}).get("rss") for c in clients]
        finally:
            await asyncio.gather(*(c.close() for c in clients))
        known = [r for r in rss if r is not None]
        out[path] = {
            "processes": count,
            "rss_mb": known or None,
            "sum_mb": sum(known) if known else None,
            "startup_ms": statistics.median(startup),
        }
    return out


# --- the run -------------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx2

    report: dict[str, Any] = {"machine": st.machine(), "load_before": os.getloadavg(), "quick": args.quick,
                              "upstream_latency_ms": args.upstream_latency}  # fmt: skip
    report["requests"], report["warmup"] = args.requests, args.warmup
    with ExitStack() as stack:
        setup = start(stack, args)
        stderr = {path: stack.enter_context((setup.logs / f"{path.replace(' ', '-')}.log").open("ab"))
                  for path in STDIO_PATHS}  # fmt: skip
        report["bridge_rss_mb"] = {"idle": st.rss_mb(setup.bridge_pid)}

        async def latency() -> tuple[dict[str, Any], dict[str, float], dict[str, Any]]:
            limits = httpx2.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=120)
            async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
                paths = Paths(setup, http, stderr)
                try:
                    await paths.open((*HTTP_PATHS, *STDIO_PATHS))
                    pids = {"bridge": setup.bridge_pid, "sandbox": setup.sandbox_pid}
                    pids.update({path: client.proc.pid for path, client in paths.stdio.items()})
                    cpu0 = {name: st.cpu_seconds(pid) for name, pid in pids.items()}
                    samples = await measure_latency(paths, args.warmup, args.requests)
                    rss = {path: st.rss_mb(client.proc.pid) for path, client in paths.stdio.items()}
                    # CPU per message each process handled: the bridge serves two paths (its own and the shim's),
                    # the sandbox all four, each stdio process one. (tools/call and tools/list alike.)
                    messages = (args.warmup + args.requests + 1) * len(OPS)
                    served = {"bridge": 2, "sandbox": 4}  # paths through each process
                    report["latency_cpu_ms_per_request"] = {
                        name: ((st.cpu_seconds(pid) or 0) - (cpu0[name] or 0)) * 1000 / messages / served.get(name, 1)
                        for name, pid in pids.items()
                    }
                finally:
                    await paths.close()
            return samples, paths.startup_ms, rss

        try:
            samples, startup, stdio_rss = asyncio.run(latency())
            report["bridge_rss_mb"]["after_latency"] = st.rss_mb(setup.bridge_pid)
            report["throughput"] = asyncio.run(
                measure_throughput(setup, args.concurrency, args.seconds, args.throughput_warmup)
            )
            report["memory"] = asyncio.run(measure_memory(setup, args.memory_clients, stderr))
        except Exception:
            for path in STDIO_PATHS:
                log = (setup.logs / f"{path.replace(' ', '-')}.log").read_text(errors="replace")[-2000:]
                print(f"--- {path} stderr (last 2,000 characters) ---\n{log}", file=sys.stderr)
            raise
        report["bridge_rss_mb"]["end"] = st.rss_mb(setup.bridge_pid)
    report["load_after"] = os.getloadavg()
    report["latency"] = {op: {path: st.percentiles(s) for path, s in by_path.items()} for op, by_path in
                         samples.items()}  # fmt: skip
    report["samples"] = samples
    report["memory"]["first"] = {"stdio_rss_mb": stdio_rss, "startup_ms": startup}
    report["targets"] = targets(report)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []

    def target(name: str, value: float, limit: float, unit: str, at_least: bool = False) -> None:
        ok = value >= limit if at_least else value <= limit
        out.append({"target": name, "value": value, "limit": limit, "unit": unit, "at_least": at_least, "pass": ok})

    for op in OPS:
        lat = report["latency"][op]
        direct, bridge = lat["direct"]["p50"], lat["bridge"]["p50"]
        target(f"bridge (HTTP) {op}: added p50", bridge - direct, TARGET_ADDED_P50_MS, "ms")
        target(f"bridge (HTTP) {op}: p50 / direct", bridge / direct, TARGET_RATIO_P50, "x")
    for op in OPS:
        lat = report["latency"][op]
        speedup = lat["mcp-remote"]["p50"] / lat["stdio shim"]["p50"]
        target(f"stdio shim {op}: mcp-remote p50 / shim p50", speedup, TARGET_STDIO_SPEEDUP, "x", at_least=True)
    top = str(max(int(n) for n in report["throughput"]))
    target(f"throughput at {top} sessions: bridge / direct", report["throughput"][top]["ratio"],
           TARGET_THROUGHPUT_RATIO, "x", at_least=True)  # fmt: skip
    return out


MEMORY_SERIES = ("bridge", "bridge + a shim each", "an mcp-remote each")


def memory_table(report: dict[str, Any]) -> dict[str, dict[str, tuple[float | None, bool]]]:
    """RSS in MiB for N = 1, 8, 32 clients, as (value, extrapolated): the bridge alone (HTTP clients; measured with N
    sessions open on it), the bridge plus one shim per client (stdio clients), one mcp-remote per client. A stdio
    figure for more processes than were started is the mean of those measured times N."""
    mem = report["memory"]
    out: dict[str, dict[str, tuple[float | None, bool]]] = {}
    for n in report["throughput"]:
        bridge = (report["throughput"][n].get("bridge_rss_mb") or {}).get("rss")
        row: dict[str, tuple[float | None, bool]] = {"bridge": (bridge, False)}
        for path, series in zip(STDIO_PATHS, MEMORY_SERIES[1:], strict=True):
            each = mem[path]["rss_mb"]
            if not each:
                row[series] = (None, False)
                continue
            if int(n) == 1:
                total, extrapolated = each[0], False
            elif int(n) == len(each):
                total, extrapolated = sum(each), False
            else:
                total, extrapolated = statistics.fmean(each) * int(n), True
            if path == "stdio shim":
                total = None if bridge is None else bridge + total
            row[series] = (total, extrapolated)
        out[n] = row
    return out


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    load = ", ".join(f"{x:.2f}" for x in report["load_before"])
    print(f"Machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['os']}; load average at start {load}, "
          f"at end {', '.join(f'{x:.2f}' for x in report['load_after'])}")  # fmt: skip
    if report.get("upstream_latency_ms"):
        print(f"The sandbox adds {report['upstream_latency_ms']:g} ms to every MCP request (--upstream-latency).")
    print(f"Latency (ms, client-side): {report['requests']} timed requests per path and operation after "
          f"{report['warmup']} warm-up, the paths taking turns")  # fmt: skip
    print(f"{'operation':<12}{'path':<13}{'p50':>8}{'p95':>8}{'p99':>8}{'vs direct p50':>15}")
    for op, row in report["latency"].items():
        for path, lat in row.items():
            vs = "" if path == "direct" else f"{lat['p50'] - row['direct']['p50']:+.2f} ms"
            print(f"{op if path == 'direct' else '':<12}{path:<13}{lat['p50']:>8.2f}{lat['p95']:>8.2f}"
                  f"{lat['p99']:>8.2f}{vs:>15}")  # fmt: skip
    cpu = report["latency_cpu_ms_per_request"]
    print("CPU per message handled during the latency run (ms, tools/call and tools/list averaged): " + ", ".join(
        f"{name} {value:.2f}" for name, value in cpu.items()))  # fmt: skip
    print("Throughput, tools/call (requests/s; CPU ms per request: client / bridge / sandbox):")
    for n, row in report["throughput"].items():
        parts = []
        for path in HTTP_PATHS:
            cpu = row[path]["cpu_ms_per_request"]
            parts.append(f"{path} {row[path]['rps']:7.1f} ({cpu['client']:.2f} / {cpu['bridge']:.2f} / "
                         f"{cpu['sandbox']:.2f})")  # fmt: skip
        print(f"  {n:>2} sessions: " + "   ".join(parts) + f"   ratio {row['ratio']:.2f} (CPU-bound ceiling "
              f"{row['cpu_bound_ratio']:.2f})")  # fmt: skip
    mem = report["memory"]
    print("Start-up, spawn to initialize answered (ms): " + ", ".join(
        f"{p} {mem['first']['startup_ms'][p]:.0f} alone, {mem[p]['startup_ms']:.0f} median of {mem[p]['processes']} "
        "at once" for p in STDIO_PATHS))  # fmt: skip
    print("Resident memory, MiB (~: extrapolated from the processes measured at once):")
    print(f"  {'clients':<9}{'bridge alone (HTTP)':>21}{'bridge + a shim each':>22}{'an mcp-remote each':>20}")
    for n, row in memory_table(report).items():
        cells = ["n/a" if v is None else f"{'~' if extrapolated else ''}{v:.0f}" for v, extrapolated in row.values()]
        print(f"  {n:<9}{cells[0]:>21}{cells[1]:>22}{cells[2]:>20}")
    used = mem["first"]["stdio_rss_mb"]
    messages = (report["warmup"] + report["requests"] + 1) * len(OPS)
    print(f"  (each stdio process above had answered 2 requests; the latency run's, after {messages}: " + ", ".join(
        f"{path} {used[path]['rss']:.0f}" for path in STDIO_PATHS if used.get(path)) + ")")  # fmt: skip
    print("Targets:")
    for t in report["targets"]:
        sign = ">=" if t["at_least"] else "<="
        print(f"  {'PASS' if t['pass'] else 'FAIL':<5}{t['target']:<50}{t['value']:>8.2f} {t['unit']:<3}"
              f"(target {sign} {t['limit']} {t['unit']})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about a minute): fewer requests, shorter "
                        "throughput windows, 4 processes for memory")  # fmt: skip
    parser.add_argument("--requests", type=int, help="timed requests per path and operation (default 400; quick 60)")
    parser.add_argument("--warmup", type=int, help="untimed requests per path and operation first (default 40)")
    parser.add_argument("--seconds", type=float, help="timed seconds per throughput measurement (default 6)")
    parser.add_argument("--upstream-latency", type=float, default=0.0, metavar="MS",
                        help="the sandbox answers MS later, as Port does over the internet")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--keep-samples", action="store_true", help="with --json: include every latency sample")
    parser.add_argument("--chart", metavar="PNG", help="draw the latency and throughput chart (PySide6) to PNG")
    parser.add_argument("--profile-shim", metavar="FILE", help="run the latency run's shim under cProfile")
    parser.add_argument("--profile-bridge", metavar="FILE", help="run the bridge under cProfile")
    args = parser.parse_args()
    args.requests = args.requests or (60 if args.quick else 400)
    args.warmup = args.warmup if args.warmup is not None else (10 if args.quick else 40)
    args.seconds = args.seconds or (1.5 if args.quick else 6.0)
    args.throughput_warmup = 0.5 if args.quick else 1.0
    args.concurrency = CONCURRENCY
    args.memory_clients = 4 if args.quick else MEMORY_CLIENTS
    if not MCP_REMOTE.exists():
        parser.error(f"mcp-remote is not installed ({MCP_REMOTE}): run `cd tests/node && npm ci`")
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    sys.path.insert(0, str(ROOT))
    report = run(args)
    samples = report["samples"] if args.keep_samples else report.pop("samples")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    if args.chart:
        import chart

        chart.render(report, samples, Path(args.chart))


if __name__ == "__main__":
    main()
