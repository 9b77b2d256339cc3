"""The cost of recording activity: `tools/call` through a bridge that records every call and through one that records
none, interleaved in one run, with direct to the sandbox as the yardstick.

    .venv/bin/python bench/activity_bench.py [--requests N] [--warmup N] [--upstream-latency MS] [--json]

Children (`stack.py`): one sandbox, and two bridges in front of it as `serve` builds them, each with its own settings
home: **activity on** (an `ActivityLog` in its log folder, the bridge's default recorder) and **activity off** (no
recorder). The client (`bridge_bench.measure_latency`) sends `tools/call` of a cheap read tool along the three paths
in turn, rotating which goes first, so drift hits them alike. Reported:

- p50 / p90 / p99 per path, and what recording adds to the p50 (on minus off);
- each bridge's CPU per call, from `/proc/<pid>/stat` (the writer thread's work included: the CPU is read once the
  activity file holds every call), and the difference;
- in this process: what `record()` costs the proxy's event loop per call, what the writer thread spends per record
  (complete from Port's answer, redact, JSON, append), and the bytes per record in the file.

Wall-clock figures move with whatever else the machine runs; it never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bridge_bench import measure_latency  # beside this script (the bench folder is on sys.path)
from stack import (
    BENCH_KEY,
    CLIENT_ID,
    CREDENTIAL_ENV,
    ROOT,
    Endpoints,
    child,
    cpu_seconds,
    machine,
    percentiles,
    set_upstream_latency,
)

OP = "tools/call"
PATHS = ("direct", "activity off", "activity on")


def start_children(
    stack: ExitStack, baseline: bool = False
) -> tuple[Endpoints, dict[str, tuple[int, dict[str, Any]]], str]:
    import httpx2

    from bridge.sandbox.seed import DEMO_CREDENTIALS

    secret = DEMO_CREDENTIALS[CLIENT_ID][0]

    def start(args: list[str], **env: str) -> tuple[int, dict[str, Any]]:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="activity-bench-"))
        return stack.enter_context(child(args, {**os.environ, "PORT_MCP_BRIDGE_HOME": home, **env}))

    url = start(["--child", "sandbox"])[1]["url"]
    r = httpx2.post(f"{url}/auth/access_token", json={"clientId": CLIENT_ID, "clientSecret": secret})
    r.raise_for_status()
    endpoints: Endpoints = {"direct": {"small": (url, f"Bearer {r.json()['accessToken']}")}}
    bridges = {}
    for label, switch in (("activity off", "off"), ("activity on", "off" if baseline else "on")):
        command = ["--child", "bridge", "--upstream", url, "--upstream-big", url, "--activity", switch]
        bridges[label] = start(command, **{CREDENTIAL_ENV: secret})
        endpoints[label] = {"small": (f"{bridges[label][1]['url']}/mcp", f"Bearer {BENCH_KEY}")}
    return endpoints, bridges, url


def lines_in(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


def in_process(records: int) -> dict[str, float]:
    """record() on the calling thread, and the writer's work per record, timed here (no bridge, no network)."""
    from bridge.activity.file import ActivityFile
    from bridge.activity.log import ActivityLog
    from bridge.activity.record import CallRecord

    answer = json.dumps({"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": json.dumps(
        {"ok": True, "run": {"id": "r_Q0YotCZMKxDLdlaU", "status": "IN_PROGRESS"}})}]}}).encode()  # fmt: skip
    record = CallRecord(time.time(), "acme", "Acme", "Acme Corp", "Cursor", "1.7.2", "run_action", "ok", 48.2,
                        action="deploy_service", arguments={"actionIdentifier": "deploy_service",
                        "properties": {"service": "checkout", "version": "1.4.2"}})  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="activity-bench-") as folder:
        log = ActivityLog(ActivityFile(Path(folder)), queue_max=records + 1)
        log.record(record, answer)  # the writer thread started, the file open
        log.flush()
        start = time.perf_counter()
        for _ in range(records):
            log.record(record, answer)
        queued = time.perf_counter() - start
        log.flush(120)
        drained = time.perf_counter() - start
        size = (Path(folder) / "activity.jsonl").stat().st_size
        log.close()
    return {"record_us": queued / records * 1e6, "writer_us": (drained - queued) / records * 1e6,
            "bytes_per_record": size / (records + 1)}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine(), "requests": args.requests, "warmup": args.warmup,
                              "upstream_latency_ms": args.upstream_latency}  # fmt: skip
    report["in_process"] = in_process(args.in_process)  # first, while no child competes for a CPU
    calls = args.warmup + args.requests
    with ExitStack() as stack:
        endpoints, bridges, url = start_children(stack, args.baseline)
        if args.upstream_latency:
            set_upstream_latency(url, args.upstream_latency)
        written = bridges["activity on"][1]["activity"]
        activity_file = Path(written) if written else None
        cpu: dict[str, float | None] = {}

        def snapshot(phase: int, done: bool) -> None:
            if done and activity_file:  # the writer may still hold the last records: its CPU counts once written
                deadline = time.monotonic() + 30
                while lines_in(activity_file) < calls + 1 and time.monotonic() < deadline:
                    time.sleep(0.05)
            for label, (pid, _) in bridges.items():
                used = cpu_seconds(pid)
                if not done:
                    cpu[label] = used
                else:
                    before = cpu[label]
                    cpu[label] = None if used is None or before is None else (used - before) * 1000 / calls

        samples, _ = asyncio.run(measure_latency(endpoints, [((OP,), args.warmup, args.requests)], snapshot))
        report["recorded"] = lines_in(activity_file) if activity_file else 0  # the check call, then every call
        report["expected"] = 0 if args.baseline else calls + 1
        report["baseline"] = args.baseline
    report["latency_ms"] = {path: percentiles(samples[OP][path]) for path in PATHS}
    report["cpu_ms_per_call"] = cpu
    on, off = report["latency_ms"]["activity on"], report["latency_ms"]["activity off"]
    cpu_on, cpu_off = cpu["activity on"], cpu["activity off"]
    report["added_by_recording"] = {
        "p50_ms": on["p50"] - off["p50"],
        "p99_ms": on["p99"] - off["p99"],
        "cpu_ms_per_call": None if cpu_on is None or cpu_off is None else cpu_on - cpu_off,
    }
    return report


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"Machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['os']}")
    slower = f"; the sandbox adds {report['upstream_latency_ms']:g} ms" if report["upstream_latency_ms"] else ""
    print(f"tools/call, {report['requests']} timed per path after {report['warmup']} warm-up, interleaved "
          f"(ms, client-side{slower}):")  # fmt: skip
    print(f"{'path':<16}{'p50':>8}{'p90':>8}{'p99':>8}{'CPU/call':>10}")
    for path in PATHS:
        lat = report["latency_ms"][path]
        cpu = report["cpu_ms_per_call"].get(path)
        cpu_text = "" if path == "direct" else ("n/a" if cpu is None else f"{cpu:.3f}")
        print(f"{path:<16}{lat['p50']:>8.3f}{lat['p90']:>8.3f}{lat['p99']:>8.3f}{cpu_text:>10}")
    added = report["added_by_recording"]
    cpu_added = "n/a" if added["cpu_ms_per_call"] is None else f"{added['cpu_ms_per_call'] * 1000:+.0f} µs"
    print(f"Recording adds: p50 {added['p50_ms'] * 1000:+.0f} µs, p99 {added['p99_ms'] * 1000:+.0f} µs, "
          f"CPU {cpu_added} per call")  # fmt: skip
    if report["baseline"]:
        print("Baseline: both bridges record nothing (the 'activity on' row is a second bridge without it).")
    else:
        print(f"Records in the file: {report['recorded']} of {report['expected']} calls")
    p = report["in_process"]
    print(
        f"In process: record() {p['record_us']:.2f} µs on the proxy's loop; the writer thread {p['writer_us']:.1f} "
        f"µs per record off it; {p['bytes_per_record']:.0f} bytes per record (a run_action call with arguments)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed tools/call per path")
    parser.add_argument("--warmup", type=int, default=200, help="untimed tools/call per path first")
    parser.add_argument("--in-process", type=int, default=20000, help="records for the in-process timing")
    parser.add_argument("--upstream-latency", type=float, default=0.0, metavar="MS",
                        help="the sandbox answers MS later, as Port does over the internet")  # fmt: skip
    parser.add_argument("--baseline", action="store_true", help="both bridges without recording: what two "
                        "identical bridges differ by on this machine (the noise floor of the comparison)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
