"""What a benchmark of the bridge runs against, and how it talks to it: the child processes (two sandboxes standing in
for Port, the bridge as `serve` builds it, a bare relay), the MCP client that times requests, and probes of a
process's CPU and memory; the Port-shaped tool lists the sandboxes carry are in `synthetic_tools.py`.
`bridge_bench.py` and `clients_bench.py` both use it.

Each child is this script run again (`stack.py --child sandbox|bridge|floor ...`): it announces itself with one JSON
line on stdout (its URL, and what else the parent needs) and serves until SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthetic_tools import port_like_tools  # beside this script (the bench folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
BENCH_KEY = "bench-key"  # the bridge's local key for this run; keeps the keychain out of the benchmark
CLIENT_ID = "acme-builder-demo"  # demo token-mode credentials, valid on every sandbox
CREDENTIAL_ENV = "BRIDGE_BENCH_CLIENT_SECRET"  # how the bridge child gets the demo secret
PROTOCOL = "2025-11-25"  # a session-based protocol version: Mcp-Session-Id on every request, as IDEs use today
ACCEPT = "application/json, text/event-stream"
BIG_PROFILE = "Big"

# operation -> (which sandbox, JSON-RPC method, params). The timed tools/call is a cheap read tool: a few hundred
# bytes out, no catalog search, so the bridge's share is as large as it gets.
CALL = {"name": "describe_user_details", "arguments": {}}
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "tools/list": ("small", "tools/list", {}),
    "tools/call": ("small", "tools/call", CALL),
    "tools/list big": ("big", "tools/list", {}),
}

# --- the children -------------------------------------------------------------------------------------------------


def _announce(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)  # one line on stdout: how the parent learns the child is ready


def _nodelay(sock: socket.socket) -> bool:
    """Whether accepted connections get TCP_NODELAY: asyncio sets it only on sockets created with proto
    IPPROTO_TCP, and Linux copies the option from the listener to the connections it accepts."""
    return sock.proto == socket.IPPROTO_TCP or bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def serve_sandbox(total_tools: int, tls: tuple[str, str] | None = None, keep_alive: float | None = None) -> None:
    """The sandbox, with synthetic tools (`port_like_tools`, "mix") added until `tools/list` has `total_tools`."""
    # The sandbox stands in for Port, whose speed does not depend on the bridge's dependencies: keep it on uvicorn's
    # pure-Python stack (h11, asyncio) even where httptools/uvloop are installed, so "direct" stays comparable.
    sys.modules["httptools"] = None  # type: ignore[assignment]  # makes uvicorn's "auto" choices fall back
    sys.modules["uvloop"] = None  # type: ignore[assignment]
    from bridge.sandbox import Sandbox
    from bridge.sandbox.tools import REGISTRY, ToolSpec, visible_tools

    box = Sandbox(0)  # its listener comes from `endpoint.bind` (IPPROTO_TCP): no Nagle stall, as at Port's edge
    registry = REGISTRY["current"]
    missing = total_tools - len(visible_tools(_builder_caller(box)))
    for tool in port_like_tools(max(0, missing)):
        registry[tool["name"]] = ToolSpec(
            tool["name"], tool["description"], tool["inputSchema"], lambda caller, args: {"ok": True},
            read_only=tool["annotations"]["readOnlyHint"], destructive=tool["annotations"]["destructiveHint"],
            title=tool["title"],
        )  # fmt: skip
    if tls or keep_alive:  # Port-like (`portnet.py`): TLS, and a load balancer's idle timeout instead of uvicorn's 5 s
        new_server = box._runner._new_server

        def port_like() -> Any:
            server = new_server()
            if keep_alive:
                server.config.timeout_keep_alive = keep_alive
            if tls:
                server.config.ssl_certfile, server.config.ssl_keyfile = tls
            return server

        box._runner._new_server = port_like
    _announce(url=box.mcp_url.replace("http:", "https:") if tls else box.mcp_url)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled, once it has shut down
        box.serve_forever()


def _builder_caller(box: Any) -> Any:
    from bridge.sandbox.seed import ACME_ORG_ID
    from bridge.sandbox.tools import Caller

    return Caller(org=box.state.orgs[ACME_ORG_ID], email="bench@acme.example", role="builder")


def serve_floor(small_url: str, big_url: str, client: str) -> None:
    """The floor of this stack: uvicorn and an HTTP client (`client`: the bridge's own `http11`, or httpcore2's pool,
    which the bridge used before round 3) with nothing of the bridge between them (no guard, policy, JSON or header
    rules). `/small` and `/big` relay to the two sandboxes, streaming; the client's own headers (its Authorization
    too: the sandbox token) pass. What a forwarding hop costs before the bridge does anything; not a proxy anyone
    should ship."""
    import httpcore2

    from bridge.endpoint import bind
    from bridge.proxy import http11
    from bridge.system.loopback import LoopbackServer

    pool = httpcore2.AsyncConnectionPool(max_keepalive_connections=20)
    cafile = os.environ.get("SSL_CERT_FILE")  # a Port-like run's own CA (`portnet.py`)
    lean = http11.Pool(ssl.create_default_context(cafile=cafile) if cafile else None)
    routes = {}
    for path, url in (("/small", small_url), ("/big", big_url)):
        parsed = httpcore2.URL(url)
        netloc = parsed.host + (b":%d" % parsed.port if parsed.port else b"")
        key = (parsed.scheme.decode(), parsed.host.decode(), parsed.port or (443 if parsed.scheme == b"https" else 80))
        routes[path] = (parsed, (b"host", netloc), key)
    skip = {b"host", b"content-length", b"connection", b"transfer-encoding"}

    async def upstream(method: bytes, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
        url, _, key = routes[path]
        if client == "http11":
            head = http11.request_head(method, url.target, headers)
            return await lean.request(key, head, body, connect_timeout=5.0, read_timeout=300.0)
        return await pool.handle_async_request(httpcore2.Request(method, url, headers=headers, content=body))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        host = routes[scope["path"]][1]
        headers = [host, *((k, v) for k, v in scope["headers"] if k not in skip)]
        if body:
            headers.append((b"content-length", b"%d" % len(body)))
        response = await upstream(scope["method"].encode(), scope["path"], headers, body)
        try:
            out = [(k.lower(), v) for k, v in response.headers if k.lower() not in skip]
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            async for chunk in response.stream:  # type: ignore[union-attr]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    sock = bind(0)
    _announce(url=f"http://127.0.0.1:{sock.getsockname()[1]}", big_path="/big", nodelay=True)
    with contextlib.suppress(KeyboardInterrupt):
        LoopbackServer(app, sock, name="floor").serve_forever()


def serve_bridge(
    small_url: str, big_url: str, force_nodelay: bool, profile_out: str | None, activity: str | None = None
) -> None:
    """A BridgeService in front of both sandboxes (`/mcp` and `/p/big/mcp`), until SIGINT.

    Imports what `port-mcp-bridge serve` needs, not the sandbox, so that its RSS is the bridge's alone. `activity`
    "on" hands it an `ActivityLog` in its log folder, "off" no recorder; None leaves the choice to `BridgeService`.
    """
    from bridge.auth.tokens import ClientCredentialsProvider
    from bridge.proxy.service import BridgeService
    from bridge.settings import Profile, SettingsStore

    secret = os.environ[CREDENTIAL_ENV]
    store = SettingsStore()  # in $PORT_MCP_BRIDGE_HOME: a temp dir the parent made and removes
    store.add_profile("Acme", small_url, organization="Acme Corp", auth_mode="token")
    big = store.add_profile(BIG_PROFILE, big_url, organization="Acme Corp", auth_mode="token")

    def tokens(profile: Profile) -> ClientCredentialsProvider:
        return ClientCredentialsProvider(profile.api_url, CLIENT_ID, secret, profile_name=profile.name)

    options: dict[str, Any] = {}
    recorder = None
    if activity is not None:
        import inspect

        if "recorder" not in inspect.signature(BridgeService).parameters:
            raise SystemExit("This bridge records no activity (BridgeService takes no recorder): nothing to compare.")
        if activity == "on":
            from bridge.activity.log import activity_log

            recorder = activity_log(lambda: service.settings, secrets=lambda: (BENCH_KEY,))
            options["recorder"] = recorder
        else:  # a recorder that records nothing: None would be BridgeService's default, the activity file
            from bridge.activity.recorder import NoRecorder

            options["recorder"] = NoRecorder()
    service = BridgeService(store, port=0, tokens=tokens, key=BENCH_KEY, **options)
    if force_nodelay:
        service._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # what the fix in `_bind` will do
    profiler = None
    if profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    _announce(url=service.url, big_path=f"/p/{big.id}/mcp", nodelay=_nodelay(service._sock),
              activity=str(recorder.path) if recorder is not None else None)  # fmt: skip
    try:
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if recorder is not None:
            recorder.close()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_out)


def quiet_environment() -> dict[str, str]:
    """A child's environment with nothing of this one's but PATH and LANG (no proxy variables: nothing leaves
    loopback)."""
    return {"PATH": os.environ.get("PATH", ""), "LANG": os.environ.get("LANG", "C.UTF-8")}


def shim_environment(shim_home: Path, port: int) -> dict[str, str]:
    """The stdio shim's machine: settings naming the bridge's `port`, the local key in a file keychain
    (tests/support's), everything else of this environment left out."""
    from bridge.settings import SettingsStore

    SettingsStore(shim_home / "settings.json").update(lambda s: setattr(s, "local_port", port))
    keychain = shim_home / "keychain.json"
    keychain.write_text(json.dumps({"port-mcp-bridge/local-key": BENCH_KEY}))
    return {
        **quiet_environment(), "HOME": str(shim_home), "PORT_MCP_BRIDGE_HOME": str(shim_home),
        "XDG_STATE_HOME": str(shim_home), "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring", "TEST_KEYRING_FILE": str(keychain),
    }  # fmt: skip


@contextmanager
def child(
    args: list[str], env: dict[str, str], prefix: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Start this script as a child (under `prefix`, e.g. valgrind), yield (pid, what it announced); stop it (SIGINT,
    then SIGKILL) when done."""
    command = [*(prefix or []), sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"The {args[1]} child exited ({proc.wait()}) before it was ready.")
        yield proc.pid, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)  # lets a profile be written
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def cpu_seconds(pid: int, which: str = "both") -> float | None:
    """User + system CPU time a process has used (or only "user" / "system"), from /proc (Linux only)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    user, system = int(fields[11]), int(fields[12])
    ticks = {"both": user + system, "user": user, "system": system}[which]
    return ticks / os.sysconf("SC_CLK_TCK")


def callgrind_phase(pid: int, done: bool, requests: int, out: Path) -> float | None:
    """Under callgrind: zero the bridge's counters as a phase starts; as it ends, dump them and return the instructions
    per request (deterministic, whatever else the machine is doing; user space only, not the kernel's share)."""
    if not done:
        subprocess.run(["callgrind_control", "--zero", str(pid)], check=True, capture_output=True)
        return None
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)
    dumps = sorted(out.glob(f"callgrind.out.{pid}.*"), key=lambda p: p.stat().st_mtime)
    for line in dumps[-1].read_text().splitlines() if dumps else []:
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1]) / requests
    return None


def rss_mb(pid: int) -> dict[str, float] | None:
    """VmRSS (now) and VmHWM (peak) of a process in MiB, from /proc: Linux only (the project has no psutil)."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    values = {}
    for line in status.read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) / 1024
    return {"rss": values["VmRSS"], "peak": values["VmHWM"]}


# --- the client ---------------------------------------------------------------------------------------------------


@dataclass
class Session:
    """An initialized MCP session on one endpoint (a sandbox, or a bridge profile in front of one)."""

    label: str
    url: str
    headers: dict[str, str]
    next_id: int = 0

    def body(self, method: str, params: dict[str, Any]) -> bytes:
        self.next_id += 1
        return json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}).encode()


def response_message(content: bytes, content_type: str) -> dict[str, Any]:
    """The JSON-RPC response in a body, JSON or SSE (the sandbox answers SSE by default)."""
    if content_type.startswith("application/json"):
        return json.loads(content)
    data = [line[5:].strip() for line in content.splitlines() if line.startswith(b"data:")]
    return next(m for m in map(json.loads, filter(None, data)) if "result" in m or "error" in m)


async def open_session(http: Any, label: str, url: str, authorization: str) -> Session:
    """initialize + notifications/initialized; afterwards every request carries the session id and version."""
    headers = {"Authorization": authorization, "Accept": ACCEPT, "Content-Type": "application/json"}
    session = Session(label, url, headers)
    params = {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bridge-bench", "version": "1"}}
    r = await http.post(url, content=session.body("initialize", params), headers=session.headers)
    message = response_message(r.content, r.headers.get("content-type", "")) if r.status_code == 200 else {}
    if "result" not in message:
        raise RuntimeError(f"{label}: initialize failed ({r.status_code}): {r.text[:300]}")
    session.headers["Mcp-Session-Id"] = r.headers["mcp-session-id"]
    session.headers["MCP-Protocol-Version"] = message["result"]["protocolVersion"]
    note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
    r = await http.post(url, content=note, headers=session.headers)
    if r.status_code != 202:
        raise RuntimeError(f"{label}: notifications/initialized answered {r.status_code}: {r.text[:300]}")
    return session


async def timed(http: Any, session: Session, op: str) -> tuple[float, Any]:
    """One request: milliseconds until the whole body is in, and the response (checked by the caller if needed)."""
    _, method, params = OPERATIONS[op]
    body = session.body(method, params)  # encoded before the clock starts: only the exchange is measured
    start = time.perf_counter()
    r = await http.post(session.url, content=body, headers=session.headers)  # returns with the body read
    elapsed = (time.perf_counter() - start) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{session.label} {op}: HTTP {r.status_code}: {r.text[:300]}")
    return elapsed, r


def check(session: Session, op: str, r: Any) -> int:
    """That the answer is a success; returns how many tools a tools/list returned (0 for a call)."""
    result = response_message(r.content, r.headers.get("content-type", "")).get("result")
    if not isinstance(result, dict) or result.get("isError"):
        raise RuntimeError(f"{session.label} {op}: not a successful result: {r.text[:300]}")
    return len(result.get("tools", []))


Endpoints = dict[str, dict[str, tuple[str, str]]]  # path -> sandbox ("small"/"big") -> (url, authorization)


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(samples)}


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((ln.partition(":")[2].strip() for ln in cpuinfo.read_text().splitlines()
                      if ln.startswith("model name")), model)  # fmt: skip
    return {"cpu": model, "cpus": os.cpu_count(), "python": platform.python_version(), "os": platform.platform()}


def set_upstream_latency(url: str, ms: float) -> None:
    """Make the sandbox at `url` (its `/v1`) answer every MCP request `ms` later (its `latency` fault knob): Port's
    own response time over the internet, so that ratios to direct read as they would against Port."""
    import httpx2

    root = url.rsplit("/v1", 1)[0]
    httpx2.post(f"{root}/_sandbox/faults", json={"latency": ms / 1000}).raise_for_status()


def main() -> None:
    """A child: `--child sandbox|bridge|floor` and what that child takes."""
    parser = argparse.ArgumentParser(description="A benchmark's child process (started by bridge_bench.py).")
    parser.add_argument("--child", choices=["sandbox", "bridge", "floor"], required=True)
    parser.add_argument("--total-tools", type=int, default=0)
    parser.add_argument("--upstream")
    parser.add_argument("--upstream-big")
    parser.add_argument("--force-nodelay", action="store_true")
    parser.add_argument("--profile-out")
    parser.add_argument("--floor-client", choices=["http11", "httpcore2"], default="http11")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--keep-alive", type=float)
    parser.add_argument("--activity", choices=["on", "off"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project
    if args.child == "sandbox":
        tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
        serve_sandbox(args.total_tools, tls, args.keep_alive)
    elif args.child == "bridge":
        serve_bridge(args.upstream, args.upstream_big, args.force_nodelay, args.profile_out, args.activity)
    else:
        serve_floor(args.upstream, args.upstream_big, args.floor_client)


if __name__ == "__main__":
    main()
