"""What the bridge costs: latency direct vs through the bridge, the tools/list rewrite, and the bridge's memory.

    .venv/bin/python bench/bridge_bench.py [--requests N] [--json] [--floor] [--callgrind DIR] [--profile-bridge FILE]

Client, bridge and sandbox run in separate processes, so that they never share a GIL (as in real use, where the IDE,
the bridge and Port are separate). This script is the client; it starts, as children (`stack.py`, which also holds
the client's session code and the process probes that `clients_bench.py` shares):

- two sandboxes: Port's demo tool set, and the same plus synthetic tools up to a 2,000-tool `tools/list`. They stand
  in for Port: TCP_NODELAY on (`endpoint.bind`), and kept on uvicorn's pure-Python stack (h11, asyncio) whatever the
  bridge's dependencies are, so that "direct" means the same from one version of the bridge to the next;
- the bridge as `serve` builds it, with one profile per sandbox (`/mcp` and `/p/big/mcp`). (Should its listener ever
  lose TCP_NODELAY again, a second bridge with it forced on is started, so the proxy's own cost stays visible.)
- with `--floor`, a bare relay (uvicorn and the bridge's `http11` client, or httpcore2's pool with `--floor-client
  httpcore2`; nothing of the bridge): what one forwarding hop costs on this stack before the bridge does anything.

The same keep-alive `httpx2.AsyncClient` sends raw JSON-RPC POSTs along every path, each within an initialized MCP
session, interleaved request by request (rotating which path goes first) so that drift hits every path alike. A
latency is what a client sees: from sending the request to having the whole response body. Wall-clock figures move
with whatever else the machine runs; `--callgrind` counts the bridge's instructions per request instead (slow, but
the same on a busy machine).

Targets (from the issue) are reported as PASS/FAIL, never asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from stack import (
    BENCH_KEY,
    CLIENT_ID,
    CREDENTIAL_ENV,
    OPERATIONS,
    ROOT,
    Endpoints,
    callgrind_phase,
    check,
    child,
    cpu_seconds,
    machine,
    open_session,
    percentiles,
    port_like_tools,
    rss_mb,
    set_upstream_latency,
    timed,
)

STANDARD_OPS = ("tools/list", "tools/call")  # the operations the latency targets are about
SHAPES = ("flat", "mix", "heavy")  # of the synthetic tools/list, lightest to heaviest (see `port_like_tools`)

TARGET_ADDED_P50_MS = 0.5
TARGET_RATIO_P50 = 1.10
TARGET_REWRITE_MS = 5.0
TARGET_RSS_MB = 60.0  # the "60 MB", compared with VmRSS in MiB (read as 10**6 bytes it is 57.2 MiB)


async def measure_latency(
    endpoints: Endpoints, phases: list[tuple[tuple[str, ...], int, int]], on_phase: Callable[[int, bool], None]
) -> tuple[dict[str, dict[str, list[float]]], dict[str, int]]:
    """Per operation and path, the timed latencies; per operation, how many tools it listed. Each phase is
    (operations, warm-up rounds, timed rounds); `on_phase(number, done)` runs as its warm-up starts and at its end."""
    import httpx2

    limits = httpx2.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=120)
    samples: dict[str, dict[str, list[float]]] = {}
    listed: dict[str, int] = {}
    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        sessions = {
            path: {box: await open_session(http, f"{path}/{box}", url, auth) for box, (url, auth) in boxes.items()}
            for path, boxes in endpoints.items()
        }
        paths = list(sessions)
        for number, (ops, warmup, requests) in enumerate(phases):
            for op in ops:  # every path answers, and alike, before anything is timed
                box = OPERATIONS[op][0]
                answers = {path: check(s[box], op, (await timed(http, s[box], op))[1]) for path, s in sessions.items()}
                if len(set(answers.values())) != 1:
                    raise RuntimeError(f"{op}: the paths disagree on the number of tools: {answers}")
                listed[op] = answers["direct"]
                samples[op] = {path: [] for path in paths}
            on_phase(number, False)
            for i in range(warmup + requests):
                for op in ops:
                    box = OPERATIONS[op][0]
                    k = i % len(paths)  # rotate which path goes first
                    for path in paths[k:] + paths[:k]:
                        elapsed, _ = await timed(http, sessions[path][box], op)
                        if i >= warmup:
                            samples[op][path].append(elapsed)
            on_phase(number, True)
    return samples, listed


# --- the tools/list rewrite ---------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


_REWRITE_STATE: dict[str, Any] = {}


def proxy_rewrite(result: dict[str, Any], msg_id: int, cached: bool) -> bytes:
    """`toolslist.rewrite_event` on a tools/list answer, as the proxy meets it (one upstream, default policy)."""
    from bridge.policy import Policy
    from bridge.proxy import sse
    from bridge.proxy.state import Upstream
    from bridge.proxy.toolslist import rewrite_event

    if "upstream" not in _REWRITE_STATE:
        profile = argparse.Namespace(id="bench", name="Bench")
        _REWRITE_STATE["upstream"] = Upstream(profile, None, Policy())  # type: ignore[arg-type]
    upstream = _REWRITE_STATE["upstream"]
    key = (id(result), msg_id)
    if key not in _REWRITE_STATE:
        _REWRITE_STATE[key] = sse.message_event({"jsonrpc": "2.0", "id": msg_id, "result": result})
    if not cached:
        upstream.listed = None
    elif _REWRITE_STATE.get("filled") != id(result):
        proxy_rewrite(result, msg_id + 1, cached=False)  # fill the cache, with another id
        _REWRITE_STATE["filled"] = id(result)
    return rewrite_event(upstream, _REWRITE_STATE[key], {msg_id})


def measure_rewrite(count: int, runs: int) -> dict[str, Any]:
    from bridge.policy import Policy, rewrite_tools_list

    out: dict[str, Any] = {"tools": count, "runs": runs}
    for shape in SHAPES:
        result = {"tools": port_like_tools(count, shape)}
        row: dict[str, Any] = {"payload_kb": len(json.dumps(result)) / 1024}
        for label, policy in (("default", Policy()), ("read_only", Policy(read_only=True))):
            row[f"{label}_kept"] = len(rewrite_tools_list(policy, result)["tools"])  # also warms up
            row[f"{label}_ms"] = median_ms(lambda p=policy, r=result: rewrite_tools_list(p, r), runs)
        # What the proxy does with a whole SSE event answering tools/list (default policy): the first time, decode,
        # rewrite, encode and remember it; a repeat (another session, another id: the usual case) hits the cache.
        row["event_ms"] = median_ms(lambda r=result: proxy_rewrite(r, 1, cached=False), max(5, runs // 5))
        row["cached_ms"] = median_ms(lambda r=result: proxy_rewrite(r, 2, cached=True), runs)
        out[shape] = row
    return out


# --- the run --------------------------------------------------------------------------------------------------


def callgrind_prefix(args: argparse.Namespace) -> list[str] | None:
    if not args.callgrind:
        return None
    out = Path(args.callgrind).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return ["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={out}/callgrind.out.%p"]


def start_children(stack: ExitStack, args: argparse.Namespace) -> tuple[Endpoints, dict[str, tuple[int, Any]]]:
    """Both sandboxes and the bridge(s), each with its own settings home; returns the endpoints and the bridges'
    (pid, announcement) by label. The stack stops them all."""
    import httpx2

    from bridge.sandbox.seed import DEMO_CREDENTIALS

    secret = DEMO_CREDENTIALS[CLIENT_ID][0]

    def start(args: list[str], prefix: list[str] | None = None, **env: str) -> tuple[int, dict[str, Any]]:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="bridge-bench-"))
        return stack.enter_context(child(args, {**os.environ, "PORT_MCP_BRIDGE_HOME": home, **env}, prefix))

    boxes = {"small": start(["--child", "sandbox"])[1]["url"]}
    boxes["big"] = start(["--child", "sandbox", "--total-tools", str(args.tools)])[1]["url"]
    endpoints: Endpoints = {"direct": {}}
    for box, url in boxes.items():
        r = httpx2.post(f"{url}/auth/access_token", json={"clientId": CLIENT_ID, "clientSecret": secret})
        r.raise_for_status()
        endpoints["direct"][box] = (url, f"Bearer {r.json()['accessToken']}")
        if args.upstream_latency:
            set_upstream_latency(url, args.upstream_latency)
    bridges: dict[str, tuple[int, dict[str, Any]]] = {}
    for label in ("bridge", "bridge+nodelay"):
        command = ["--child", "bridge", "--upstream", boxes["small"], "--upstream-big", boxes["big"]]
        if args.activity:
            command += ["--activity", args.activity]
        if label == "bridge+nodelay":
            if bridges["bridge"][1]["nodelay"]:
                break  # the shipped bridge already has TCP_NODELAY: nothing to compare
            command.append("--force-nodelay")
        elif args.profile_bridge:
            command += ["--profile-out", str(Path(args.profile_bridge).resolve())]
        prefix = callgrind_prefix(args) if label == "bridge" else None
        extra = {"PYTHONPATH": os.pathsep.join(args.bridge_path)} if args.bridge_path else {}
        bridges[label] = start(command, prefix, **{CREDENTIAL_ENV: secret}, **extra)
        info = bridges[label][1]
        auth = f"Bearer {BENCH_KEY}"
        endpoints[label] = {"small": (f"{info['url']}/mcp", auth), "big": (info["url"] + info["big_path"], auth)}
    if args.floor:
        command = ["--child", "floor", "--upstream", boxes["small"], "--upstream-big", boxes["big"],
                   "--floor-client", args.floor_client]  # fmt: skip
        bridges["floor"] = start(command, callgrind_prefix(args))
        info = bridges["floor"][1]
        endpoints["floor"] = {box: (f"{info['url']}/{box}", auth) for box, (_, auth) in endpoints["direct"].items()}
    return endpoints, bridges


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine(), "requests": args.requests, "warmup": args.warmup,
                              "upstream_latency_ms": args.upstream_latency}  # fmt: skip
    report["rewrite"] = measure_rewrite(args.tools, args.runs)  # first, while no child competes for a CPU
    big_requests = max(10, args.requests // 25) if args.big_requests is None else args.big_requests
    big_warmup = max(2, args.warmup // 25)
    report["big"] = {"tools": args.tools, "requests": big_requests, "warmup": big_warmup}
    phases = [(tuple(args.ops), args.warmup, args.requests)]
    if big_requests >= 2:
        phases.append((("tools/list big",), big_warmup, big_requests))
    with ExitStack() as stack:
        endpoints, bridges = start_children(stack, args)
        report["bridge_nodelay"] = bridges["bridge"][1]["nodelay"]
        rss: dict[str, dict[str, Any]] = {label: {"idle": rss_mb(pid)} for label, (pid, _) in bridges.items()}

        cpu: dict[str, dict[str, float | None]] = {label: {} for label in bridges}
        instructions: dict[str, dict[str, float | None]] = {}

        def snapshot(phase: int, done: bool) -> None:
            name = "standard" if phase == 0 else "big"
            ops, warmup, requests = phases[phase]
            if args.callgrind:
                count = (warmup + requests) * len(ops)
                for label in ("bridge", "floor") if "floor" in bridges else ("bridge",):
                    counted = callgrind_phase(bridges[label][0], done, count, Path(args.callgrind).resolve())
                    instructions.setdefault(label, {})[name] = counted
            for label, (pid, _) in bridges.items():
                if not done:
                    cpu[label][name] = cpu_seconds(pid)
                    cpu[label][f"{name} system"] = cpu_seconds(pid, "system")
                    continue
                rss[label][f"after_{name}"] = rss_mb(pid)
                count = (warmup + requests) * len(ops)
                for key, used in ((name, cpu_seconds(pid)), (f"{name} system", cpu_seconds(pid, "system"))):
                    start = cpu[label][key]
                    cpu[label][key] = None if used is None or start is None else (used - start) * 1000 / count

        samples, listed = asyncio.run(measure_latency(endpoints, phases, snapshot))
    report["tools_listed"] = {op: n for op, n in listed.items() if OPERATIONS[op][1] == "tools/list"}
    report["rss_mb"] = rss
    report["bridge_cpu_ms_per_request"] = cpu
    if args.callgrind:
        report["instructions_per_request"] = instructions
    report["latency"] = {}
    for op, by_path in samples.items():
        direct = percentiles(by_path["direct"])
        row: dict[str, Any] = {"direct_ms": direct}
        for label in bridges:
            via = percentiles(by_path[label])
            row[label] = {
                "ms": via,
                "added_p50_ms": via["p50"] - direct["p50"],
                "ratio_p50": via["p50"] / direct["p50"],
                "ratio_p99": via["p99"] / direct["p99"],
            }
        report["latency"][op] = row
    report["targets"] = targets(report, list(bridges))
    if args.profile_bridge:
        report["profile"] = str(Path(args.profile_bridge).resolve())
    return report


def targets(report: dict[str, Any], bridges: list[str]) -> list[dict[str, Any]]:
    out = []

    def target(name: str, value: float | None, limit: float, unit: str) -> None:
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "pass": None if value is None else value <= limit})  # fmt: skip

    for label in bridges:
        if label == "floor":
            continue  # context, not the product
        for op in STANDARD_OPS:
            if op not in report["latency"]:
                continue  # left out with --ops
            lat = report["latency"][op][label]
            target(f"{label}: {op} added p50", lat["added_p50_ms"], TARGET_ADDED_P50_MS, "ms")
            target(f"{label}: {op} p50 ratio", lat["ratio_p50"], TARGET_RATIO_P50, "x")
    rewrite = report["rewrite"]
    for shape in SHAPES:
        for policy in ("default", "read_only"):
            target(f"rewrite {rewrite['tools']} {shape} tools, {policy}", rewrite[shape][f"{policy}_ms"],
                   TARGET_REWRITE_MS, "ms")  # fmt: skip
        target(f"rewrite {rewrite['tools']} {shape} tools, repeated", rewrite[shape]["cached_ms"], TARGET_REWRITE_MS,
               "ms")  # fmt: skip
    rss = report["rss_mb"]["bridge"]
    for when in ("after_standard", "after_big"):
        value = rss[when]["rss"] if rss.get(when) else None
        target(f"bridge RSS {when.replace('_', ' ')}", value, TARGET_RSS_MB, "MiB")
    return out


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"Machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['os']}")
    big = report["big"]
    print(f"Latency (ms, client-side, whole body): {report['requests']} timed requests per path after "
          f"{report['warmup']} warm-up ({big['requests']} after {big['warmup']} for the {big['tools']}-tool list), "
          "interleaved.")  # fmt: skip
    nodelay = "on" if report["bridge_nodelay"] else "OFF (Nagle's algorithm; see docs/performance.md)"
    print(f"Shipped bridge listener TCP_NODELAY: {nodelay}")
    if report.get("upstream_latency_ms"):
        print(f"The sandbox adds {report['upstream_latency_ms']:g} ms to every MCP request (--upstream-latency).")
    print(f"{'operation':<20}{'path':<16}{'p50':>8}{'p90':>8}{'p99':>8}{'added p50':>11}{'ratio p50':>11}"
          f"{'ratio p99':>11}")  # fmt: skip
    for op, row in report["latency"].items():
        count = report.get("tools_listed", {}).get(op)
        name = f"{OPERATIONS[op][1]} ({count})" if count else op
        d = row["direct_ms"]
        print(f"{name:<20}{'direct':<16}{d['p50']:>8.2f}{d['p90']:>8.2f}{d['p99']:>8.2f}")
        for label, lat in row.items():
            if label == "direct_ms":
                continue
            b = lat["ms"]
            print(f"{'':<20}{label:<16}{b['p50']:>8.2f}{b['p90']:>8.2f}{b['p99']:>8.2f}{lat['added_p50_ms']:>11.2f}"
                  f"{lat['ratio_p50']:>10.2f}x{lat['ratio_p99']:>10.2f}x")  # fmt: skip
    rw = report["rewrite"]
    print(f"rewrite_tools_list on {rw['tools']} tools, median of {rw['runs']} (ms):")
    for shape in SHAPES:
        s = rw[shape]
        print(f"  {shape:<6}({s['payload_kb']:>5.0f} KB)  default {s['default_ms']:6.2f} ({s['default_kept']} kept)   "
              f"read-only {s['read_only_ms']:6.2f} ({s['read_only_kept']} kept)   whole SSE event: first "
              f"{s['event_ms']:6.1f}, repeated (cached) {s['cached_ms']:5.2f}")  # fmt: skip
    for label, cpu in report["bridge_cpu_ms_per_request"].items():
        parts = [
            f"{cpu[k]:.2f} ms per {'request' if k == 'standard' else 'big tools/list'} "
            f"({cpu.get(k + ' system') or 0:.2f} in the kernel)"
            for k in ("standard", "big")
            if cpu.get(k)
        ]
        print(f"{label} CPU: " + (", ".join(parts) or "n/a"))
    for label, counts in report.get("instructions_per_request", {}).items():
        parts = [f"{v / 1e6:.2f} M per {'request' if k == 'standard' else 'big tools/list'}" for k, v in counts.items()
                 if v]  # fmt: skip
        print(f"{label} instructions (callgrind): " + (", ".join(parts) or "n/a"))
    for label, rss in report["rss_mb"].items():
        if rss["idle"] is None:
            print(f"{label} RSS: n/a (needs Linux /proc)")
            continue
        a, b = rss["after_standard"], rss.get("after_big")
        line = f"{label} RSS (MiB): idle {rss['idle']['rss']:.1f}, after the standard run {a['rss']:.1f}"
        if b:
            line += f", after the {big['tools']}-tool lists {b['rss']:.1f}"
        print(f"{line} (peak {(b or a)['peak']:.1f})")
    print("Targets:")
    for t in report["targets"]:
        verdict = "n/a" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}"
        print(f"  {verdict:<5}{t['target']:<46}{value:>8} {t['unit']:<3} (target <= {t['limit']} {t['unit']})")
    if "profile" in report:
        print(f"Bridge profile (cProfile slows the profiled bridge: its latencies above are inflated): "
              f"{report['profile']}")  # fmt: skip


def print_profile(path: str, limit: int = 25) -> None:
    import pstats

    stats = pstats.Stats(path, stream=sys.stderr)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per path and operation")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per path and operation first")
    parser.add_argument("--tools", type=int, default=2000, help="tools in the big tools/list (and the rewrite)")
    parser.add_argument("--big-requests", type=int, help="timed requests for the big tools/list (0: skip it)")
    parser.add_argument("--upstream-latency", type=float, default=0.0, metavar="MS",
                        help="the sandbox answers MS later, as Port does over the internet")  # fmt: skip
    parser.add_argument("--runs", type=int, default=50, help="repetitions of the rewrite (median reported)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--activity", choices=["on", "off"],
                        help="the bridge records activity or not (default: as shipped, on)")  # fmt: skip
    parser.add_argument("--profile-bridge", metavar="FILE", help="run the shipped bridge under cProfile, stats to FILE")
    parser.add_argument("--floor", action="store_true", help="also time a bare relay, uvicorn and an HTTP client with "
                        "nothing of the bridge (the stack's floor for one forwarding hop)")  # fmt: skip
    parser.add_argument("--ops", type=lambda text: text.split(","), default=list(STANDARD_OPS),
                        help="the operations timed, comma-separated (default: tools/list,tools/call); one alone gives "
                        "callgrind's instructions for that operation")  # fmt: skip
    parser.add_argument(
        "--floor-client",
        choices=["http11", "httpcore2"],
        default="http11",
        help="the bare relay's HTTP client: the bridge's own (default) or httpcore2 (before round 3)",
    )
    parser.add_argument("--callgrind", metavar="DIR", help="run the bridge under valgrind's callgrind (slow); "
                        "report its instructions per request, which other load cannot disturb")  # fmt: skip
    # A/B of packages not (yet) among the dependencies: the bridge child alone gets DIR (pip install --target DIR).
    parser.add_argument("--bridge-path", metavar="DIR", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    else:
        report = run(args)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report)
            if args.profile_bridge:
                print_profile(args.profile_bridge)


if __name__ == "__main__":
    main()
