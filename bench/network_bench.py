"""The bridge against direct on a Port-like network (issue 20): TLS, every chunk delayed by half the round trip each
way, a 60 s server keep-alive, at 30 and 90 ms RTT, every path interleaved in one run.

    .venv/bin/python bench/network_bench.py [--quick] [--idle S] [--rtt 30 90] [--json FILE] [--chart PNG]

One sandbox (a child process) serves TLS with a certificate from a CA made for the run and keeps idle connections
60 s, like a cloud load balancer; in front of it one relay per RTT (`portnet.py`). Five ways to reach it per RTT:

- **direct**: the script's own HTTP client (httpx2), which reuses its connections; a new IDE session is a new client;
- **floor**: a bare relay (uvicorn + the bridge's `http11` client, nothing else: `stack.py --child floor`);
- **bridge**: the bridge as `serve` builds it (token mode), its profile's URL the relay's;
- **stdio shim**: `port-mcp-bridge stdio` relaying to that bridge;
- **mcp-remote** (npm, tests/node) straight to the relay, trusting the CA through NODE_EXTRA_CA_CERTS;
- **sdk**: the official Python MCP SDK's client (`streamable_http_client` + `ClientSession`) straight to the relay, as
  an IDE built on it would talk to Port (it opens the GET stream, and reads answers its own way).

Measured for each: a new session's time from `initialize` to its first `tools/list` answer, after `--quiet` seconds of
quiet and back to back, with the connections the relay accepted meanwhile; `tools/call` p50/p95; the first call after
`--idle` seconds (600 in the full run: past the server's keep-alive); the first call after the relay restarted (every
connection reset, as after a network change). Ratios are against direct; the bridge also against the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import clients_bench as cb
import portnet
import stack as st

ROOT = st.ROOT
PATHS = ("direct", "floor", "bridge", "stdio shim", "mcp-remote", "sdk")
HTTP = ("direct", "floor", "bridge")
STDIO = ("stdio shim", "mcp-remote")
# issue 20's targets, against direct: (measure, at most)
TARGETS = {"session after quiet": 0.5, "tools/call p50": 1.01, "first call after idle": 0.5}


class Net:
    """One RTT's network: its relay, and how each path reaches the sandbox through it."""

    def __init__(self, rtt: int, relay: dict[str, Any], endpoints: dict[str, tuple[str, str]],
                 stdio: dict[str, tuple[list[str], dict[str, str]]]) -> None:  # fmt: skip
        self.rtt, self.relay, self.endpoints, self.stdio = rtt, relay, endpoints, stdio

    def accepted(self) -> int:
        return portnet.ask(self.relay["control"], "count")

    def restart(self) -> None:
        portnet.ask(self.relay["control"], "restart")


def start(stack: ExitStack, args: argparse.Namespace) -> tuple[list[Net], ssl.SSLContext]:
    import httpx2

    from bridge.sandbox.seed import DEMO_CREDENTIALS
    from tests.support.certs import make_ca

    def home() -> Path:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="network-bench-")))

    ca, cert, key = make_ca(home())
    context = ssl.create_default_context(cafile=str(ca))
    env = {**os.environ, "SSL_CERT_FILE": str(ca)}

    def child(command: list[str], script: str = "stack.py", **more: str) -> dict[str, Any]:
        return stack.enter_context(_child(script, command, {**env, "PORT_MCP_BRIDGE_HOME": str(home()), **more}))[1]

    box = child(["--child", "sandbox", "--tls-cert", str(cert), "--tls-key", str(key), "--keep-alive", "60"])
    secret = DEMO_CREDENTIALS[st.CLIENT_ID][0]
    r = httpx2.post(f"{box['url']}/auth/access_token", json={"clientId": st.CLIENT_ID, "clientSecret": secret},
                    verify=context)  # fmt: skip
    r.raise_for_status()
    token = r.json()["accessToken"]
    target = box["url"].split("//", 1)[1].split("/", 1)[0]
    nets = []
    for rtt in args.rtt:
        relay = child(["--rtt", str(rtt), "--target", target], script="portnet.py")
        url = f"https://127.0.0.1:{relay['port']}/v1"
        floor = child(["--child", "floor", "--upstream", url, "--upstream-big", url])
        bridge = child(["--child", "bridge", "--upstream", url, "--upstream-big", url], **{st.CREDENTIAL_ENV: secret})
        endpoints = {"direct": (url, f"Bearer {token}"), "floor": (f"{floor['url']}/small", f"Bearer {token}"),
                     "bridge": (f"{bridge['url']}/mcp", f"Bearer {st.BENCH_KEY}")}  # fmt: skip
        # the shim relays to a bridge of its own: what one path leaves open must not serve the other
        shim_bridge = child(["--child", "bridge", "--upstream", url, "--upstream-big", url],
                            **{st.CREDENTIAL_ENV: secret})  # fmt: skip
        shim_env = st.shim_environment(home(), int(shim_bridge["url"].rsplit(":", 1)[1]))
        quiet = st.quiet_environment()
        node = shutil.which("node") or "node"
        remote = [node, str(cb.MCP_REMOTE), url, "--header", f"Authorization:Bearer {token}", "--transport",
                  "http-only"]  # fmt: skip
        remote_env = {**quiet, "HOME": str(home()), "NO_PROXY": "*", "NODE_EXTRA_CA_CERTS": str(ca)}
        stdio = {"stdio shim": (cb.shim_command(), shim_env), "mcp-remote": (remote, remote_env)}
        nets.append(Net(rtt, relay, endpoints, stdio))
    return nets, context


def _child(script: str, command: list[str], env: dict[str, str]) -> Any:
    if script == "stack.py":
        return st.child(command, env)
    import subprocess

    @contextlib.contextmanager
    def run() -> Any:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name(script)), *command], env=env,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert proc.stdout is not None
            yield proc.pid, json.loads(proc.stdout.readline())
        finally:
            proc.terminate()
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()

    return run()


# --- one measurement each ------------------------------------------------------------------------------------------


def http_client(context: ssl.SSLContext, path: str) -> Any:
    import httpx2

    # a client that keeps its connections as long as the server does (the fair direct client)
    limits = httpx2.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=None)
    return httpx2.AsyncClient(timeout=60, limits=limits, verify=context if path != "bridge" else True)


@contextlib.asynccontextmanager
async def sdk_session(net: Net, context: ssl.SSLContext) -> Any:
    """An initialized session of the official Python MCP SDK, direct to the relay."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    url, auth = net.endpoints["direct"]
    async with (
        httpx2.AsyncClient(headers={"Authorization": auth}, timeout=60, verify=context) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client


async def new_session(net: Net, path: str, context: ssl.SSLContext, stderr: Any, quiet: float) -> tuple[float, int]:
    """A new IDE session (a new client: new connections, a new process for stdio paths) after `quiet` seconds:
    milliseconds from sending `initialize` to having the first `tools/list` answer, and the connections the relay
    accepted meanwhile."""
    if path in STDIO:
        command, env = net.stdio[path]
        client = await cb.StdioClient.start(path, command, env, stderr)
        try:
            await asyncio.sleep(max(quiet, 1.5))  # started (imports done) before the clock starts
            before = net.accepted()
            start = time.perf_counter()
            await client.initialize()
            _, answer = await client.request("tools/list", {})
            elapsed = (time.perf_counter() - start) * 1000
            if "result" not in answer:
                raise RuntimeError(f"{path}: tools/list failed: {answer}")
            return elapsed, net.accepted() - before
        finally:
            await client.close()
    await asyncio.sleep(quiet)
    if path == "sdk":
        before = net.accepted()
        start = time.perf_counter()
        async with sdk_session(net, context) as client:
            tools = await client.list_tools()
            elapsed = (time.perf_counter() - start) * 1000
            opened = net.accepted() - before
        if not tools.tools:
            raise RuntimeError("sdk: no tools listed")
        return elapsed, opened
    url, auth = net.endpoints[path]
    async with http_client(context, path) as http:
        before = net.accepted()
        start = time.perf_counter()
        session = await st.open_session(http, path, url, auth)
        _, r = await st.timed(http, session, "tools/list")
        elapsed = (time.perf_counter() - start) * 1000
        st.check(session, "tools/list", r)
        return elapsed, net.accepted() - before


class Open:
    """One established session per path of a network, for calls."""

    def __init__(self, net: Net, context: ssl.SSLContext, stderr: Any) -> None:
        self.net, self.context, self.stderr = net, context, stderr
        self.http: dict[str, Any] = {}
        self.sessions: dict[str, st.Session] = {}
        self.stdio: dict[str, cb.StdioClient] = {}
        self.sdk: Any = None
        self._exits = contextlib.AsyncExitStack()

    async def open(self) -> None:
        for path in PATHS:
            if path == "sdk":
                self.sdk = await self._exits.enter_async_context(sdk_session(self.net, self.context))
            elif path in STDIO:
                command, env = self.net.stdio[path]
                self.stdio[path] = await cb.StdioClient.start(path, command, env, self.stderr)
                await self.stdio[path].initialize()
            else:
                http = self.http[path] = http_client(self.context, path)
                url, auth = self.net.endpoints[path]
                self.sessions[path] = await st.open_session(http, path, url, auth)

    async def call(self, path: str) -> tuple[float, int]:
        before = self.net.accepted()
        if path == "sdk":
            start = time.perf_counter()
            result = await self.sdk.call_tool(st.CALL["name"], st.CALL["arguments"])
            elapsed = (time.perf_counter() - start) * 1000
            if result.is_error:
                raise RuntimeError(f"sdk: tools/call failed: {result}")
        elif path in STDIO:
            elapsed, answer = await self.stdio[path].request("tools/call", st.CALL)
            if not isinstance(answer.get("result"), dict) or answer["result"].get("isError"):
                raise RuntimeError(f"{path}: tools/call failed: {answer}")
        else:
            elapsed, r = await st.timed(self.http[path], self.sessions[path], "tools/call")
            st.check(self.sessions[path], "tools/call", r)
        return elapsed, self.net.accepted() - before

    async def close(self) -> None:
        await self._exits.aclose()
        for client in self.stdio.values():
            await client.close()
        for http in self.http.values():
            await http.aclose()


def rotated(i: int) -> tuple[str, ...]:
    k = i % len(PATHS)
    return PATHS[k:] + PATHS[:k]


async def measure(nets: list[Net], context: ssl.SSLContext, args: argparse.Namespace, stderr: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        str(n.rtt): {m: {p: [] for p in PATHS} for m in ("session after quiet", "session back to back",
                     "connections per session", "tools/call", "first call after idle", "connections after idle",
                     "first call after restart", "connections after restart", "connections during calls")}
        for n in nets
    }  # fmt: skip

    def log(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    for net in nets:  # untimed: every path has answered once (the bridges have their tokens) before anything is timed
        for path in PATHS:
            await new_session(net, path, context, stderr, 0.0)
    for i in range(args.sessions):
        for net in nets:
            for path in rotated(i):
                ms, conns = await new_session(net, path, context, stderr, args.quiet)
                out[str(net.rtt)]["session after quiet"][path].append(ms)
                out[str(net.rtt)]["connections per session"][path].append(conns)
            for path in rotated(i + 1):
                ms, _ = await new_session(net, path, context, stderr, 0.0)
                out[str(net.rtt)]["session back to back"][path].append(ms)
        log(f"sessions: round {i + 1} of {args.sessions}")
    opened = [Open(net, context, stderr) for net in nets]
    try:
        for o in opened:
            await o.open()
        for i in range(args.warmup + args.calls):
            for o in opened:
                for path in rotated(i):
                    ms, conns = await o.call(path)
                    if i >= args.warmup:
                        out[str(o.net.rtt)]["tools/call"][path].append(ms)
                        out[str(o.net.rtt)]["connections during calls"][path].append(conns)
        log(f"calls: {args.calls} per path")
        for i in range(args.idle_rounds):
            log(f"idle {args.idle:g} s")
            await asyncio.sleep(args.idle)
            for o in opened:
                for path in rotated(i):
                    ms, conns = await o.call(path)
                    out[str(o.net.rtt)]["first call after idle"][path].append(ms)
                    out[str(o.net.rtt)]["connections after idle"][path].append(conns)
                    await asyncio.sleep(0)
        for i in range(args.restarts):
            for o in opened:
                o.net.restart()
            await asyncio.sleep(args.settle)  # a client's next request comes a moment after the network changed
            for o in opened:
                for path in rotated(i):
                    ms, conns = await o.call(path)
                    out[str(o.net.rtt)]["first call after restart"][path].append(ms)
                    out[str(o.net.rtt)]["connections after restart"][path].append(conns)
            log(f"restart {i + 1} of {args.restarts}")
    finally:
        for o in reversed(opened):  # the SDK's sessions are anyio task groups: closed in the reverse order of opening
            await o.close()
    return out


# --- the report ----------------------------------------------------------------------------------------------------


def summarise(samples: dict[str, Any]) -> dict[str, Any]:
    """Per RTT, per measure, per path: p50 (and p95 for calls), and the ratios that issue 20 asks for."""
    out: dict[str, Any] = {}
    for rtt, measures in samples.items():
        row: dict[str, Any] = {}
        for measure, by_path in measures.items():
            stats: dict[str, Any] = {}
            for path, values in by_path.items():
                if not values:
                    continue
                cell = {"p50": statistics.median(values), "n": len(values), "total": sum(values)}
                if measure == "tools/call" and len(values) >= 2:
                    cell["p95"] = statistics.quantiles(values, n=100, method="inclusive")[94]
                stats[path] = cell
            if "connections" not in measure and "direct" in stats:
                for cell in stats.values():
                    cell["vs direct"] = cell["p50"] / stats["direct"]["p50"]
                if "floor" in stats and "bridge" in stats:
                    stats["bridge"]["vs floor"] = stats["bridge"]["p50"] / stats["floor"]["p50"]
            row[measure] = stats
        out[rtt] = row
    return out


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    names = {"session after quiet": "session after quiet", "tools/call p50": "tools/call",
             "first call after idle": "first call after idle"}  # fmt: skip
    for rtt, row in summary.items():
        for target, limit in TARGETS.items():
            cell = row.get(names[target], {}).get("bridge")
            if cell and "vs direct" in cell:
                found.append({"rtt": rtt, "target": target, "value": cell["vs direct"], "limit": limit,
                              "pass": cell["vs direct"] <= limit})  # fmt: skip
    return found


def print_report(report: dict[str, Any]) -> None:
    a = report["args"]
    print(f"Port-like network: TLS, RTT {', '.join(map(str, a['rtt']))} ms, server keep-alive 60 s; quiet {a['quiet']} "
          f"s, idle {a['idle']} s; {a['sessions']} sessions and {a['calls']} calls per path; load "
          f"{report['load_before'][0]:.2f} -> {report['load_after'][0]:.2f}")  # fmt: skip
    for rtt, row in report["summary"].items():
        print(f"\nRTT {rtt} ms: p50 ms (ratio to direct){'':<4}" + "".join(f"{p:>20}" for p in PATHS))
        for measure, stats in row.items():
            cells = []
            for path in PATHS:
                cell = stats.get(path)
                if cell is None:
                    cells.append("")
                elif measure == "connections during calls":
                    cells.append(f"{cell['total']:g} in all")
                elif "connections" in measure:
                    cells.append(f"{cell['p50']:g}")
                else:
                    ratio = f" ({cell['vs direct']:.2f}x)" if path != "direct" and "vs direct" in cell else ""
                    p95 = f"/{cell['p95']:.1f}" if "p95" in cell else ""
                    cells.append(f"{cell['p50']:.1f}{p95}{ratio}")
            print(f"  {measure:<36}" + "".join(f"{c:>20}" for c in cells))
            bridge = stats.get("bridge", {})
            if "vs floor" in bridge:
                print(f"  {'':<36}{'bridge / floor':>60} {bridge['vs floor']:.3f}x")
    print("\nTargets (bridge / direct):")
    for t in report["targets"]:
        print(f"  {'PASS' if t['pass'] else 'FAIL':<5} {t['rtt']:>3} ms  {t['target']:<24} {t['value']:.2f}x "
              f"(target <= {t['limit']})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few sessions and calls (a few minutes)")
    parser.add_argument("--rtt", type=int, nargs="+", default=[30, 90], help="round trips to measure, ms")
    parser.add_argument("--sessions", type=int, help="new sessions per path and kind (default 5; quick 2)")
    parser.add_argument("--calls", type=int, help="timed tools/call per path (default 200; quick 30)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--quiet", type=float, default=6.0, help="seconds of quiet before a new session")
    parser.add_argument("--idle", type=float, help="seconds idle before the first call (default 600; quick 8)")
    parser.add_argument("--idle-rounds", type=int, default=1)
    parser.add_argument("--restarts", type=int, help="relay restarts (default 3; quick 1)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after a restart before the next call")
    parser.add_argument("--json", metavar="FILE", help="write the report (with every sample) to FILE")
    parser.add_argument("--chart", metavar="PNG", help="draw the chart (bench/chart.py) to PNG")
    args = parser.parse_args()
    args.sessions = args.sessions or (2 if args.quick else 5)
    args.calls = args.calls or (30 if args.quick else 200)
    args.idle = args.idle if args.idle is not None else (8.0 if args.quick else 600.0)
    args.restarts = args.restarts or (1 if args.quick else 3)
    if not cb.MCP_REMOTE.exists():
        parser.error(f"mcp-remote is not installed ({cb.MCP_REMOTE}): run `cd tests/node && npm ci`")
    sys.path.insert(0, str(ROOT))
    report: dict[str, Any] = {"machine": st.machine(), "load_before": os.getloadavg(),
                              "args": {k: v for k, v in vars(args).items() if k not in ("json", "chart")}}  # fmt: skip
    with ExitStack() as stack:
        nets, context = start(stack, args)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="network-bench-logs-")))
        stderr = stack.enter_context((logs / "stdio.log").open("ab"))
        try:
            report["samples"] = asyncio.run(measure(nets, context, args, stderr))
        except Exception:
            print((logs / "stdio.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
    report["load_after"] = os.getloadavg()
    report["summary"] = summarise(report["samples"])
    report["targets"] = targets(report["summary"])
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.chart:
        import chart

        chart.render_network(report, Path(args.chart))


if __name__ == "__main__":
    main()
