"""What the bridge costs: latency direct vs through the bridge, the tools/list rewrite, and the bridge's memory.

    .venv/bin/python bench/bridge_bench.py [--requests N] [--json] [--floor] [--callgrind DIR] [--profile-bridge FILE]

Client, bridge and sandbox run in separate processes, so that they never share a GIL (as in real use, where the IDE,
the bridge and Port are separate). This script is the client; it starts, as children of its own (`--child`):

- two sandboxes: Port's demo tool set, and the same plus synthetic tools up to a 2,000-tool `tools/list`. They stand
  in for Port: TCP_NODELAY on (`bind_loopback`), and kept on uvicorn's pure-Python stack (h11, asyncio) whatever the
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
import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
STANDARD_OPS = ("tools/list", "tools/call")  # the operations the latency targets are about
SHAPES = ("flat", "mix", "heavy")  # of the synthetic tools/list, lightest to heaviest (see `port_like_tools`)

TARGET_ADDED_P50_MS = 0.5
TARGET_RATIO_P50 = 1.10
TARGET_REWRITE_MS = 5.0
TARGET_RSS_MB = 60.0  # the issue's "60 MB", compared with VmRSS in MiB (read as 10**6 bytes it is 57.2 MiB)


# --- synthetic tools shaped like Port's --------------------------------------------------------------------------

_READ_VERBS = ("list", "get", "search", "describe", "count", "track", "load")
_WRITE_VERBS = ("upsert", "create", "update", "delete", "trigger", "add", "remove")
_NOUNS = (
    "blueprint", "entity", "scorecard", "action", "action_run", "page", "widget", "integration", "team", "user",
    "webhook", "automation", "dashboard", "rule", "secret", "workflow",
)  # fmt: skip
_ACTIONS = (
    "deployService", "scaffoldMicroservice", "createJiraIssue", "rollbackRelease", "requestTemporaryAccess",
    "provisionDatabase", "rotateSecret", "toggleFeatureFlag", "openPullRequest", "addServiceOwner",
)  # fmt: skip
_QUERY = (
    'Port search query, e.g. {"combinator": "and", "rules": [{"property": "language", "operator": "=", '
    '"value": "Java"}]}. Meta properties: $identifier, $title, $team.'
)
_RICH_ARGUMENTS: dict[str, dict[str, Any]] = {
    # The argument shapes of Port's consolidated tools: scalars, string arrays, nested queries, free-form objects.
    "blueprintIdentifier": {"type": "string", "description": "Blueprint identifier, e.g. 'service'"},
    "identifier": {"type": "string", "description": "Identifier of the item", "pattern": "^[A-Za-z0-9@_.:\\-]+$"},
    "identifiers": {"type": "array", "items": {"type": "string"}, "description": "Return only these items"},
    "query": {
        "type": "object",
        "description": _QUERY,
        "properties": {
            "combinator": {"type": "string", "enum": ["and", "or"]},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "property": {"type": "string"},
                        "operator": {"type": "string", "enum": ["=", "!=", "contains", "in", "relatedTo"]},
                        "value": {
                            "anyOf": [
                                {"type": "string"},
                                {"type": "number"},
                                {"type": "boolean"},
                                {"type": "array", "items": {"type": "string"}},
                            ]
                        },
                    },
                    "required": ["operator"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["rules"],
    },
    "properties": {"type": "object", "description": "Property values by identifier", "additionalProperties": True},
    "relations": {
        "type": "object",
        "description": "Related entity identifiers by relation name",
        "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
    "include": {"type": "array", "items": {"type": "string"}, "description": "Fields to include"},
    "sort": {
        "type": "object",
        "properties": {"property": {"type": "string"}, "order": {"type": "string", "enum": ["asc", "desc"]}},
    },
    "limit": {"type": "integer", "description": "Maximum number of results", "default": 50, "minimum": 1},
    "offset": {"type": "integer", "description": "Results to skip", "default": 0, "minimum": 0},
    "dryRun": {"type": "boolean", "description": "Validate without saving", "default": False},
    "steps": {
        "type": "array",
        "description": "Ordered steps",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "inputs": {"type": "array", "items": {"type": "object"}}},
        },
    },
}
_USER_INPUTS: tuple[dict[str, Any], ...] = (
    # The user inputs of self-service actions, as Port's per-action tools carried them.
    {"type": "string", "description": "Free text"},
    {"type": "string", "enum": ["production", "staging", "development"], "description": "Environment"},
    {"type": "number", "description": "Amount", "minimum": 0},
    {"type": "boolean", "description": "Confirm", "default": False},
    {"type": "string", "format": "entity", "blueprint": "service", "description": "Service"},
    {"type": "array", "items": {"type": "string", "format": "entity", "blueprint": "team"}, "description": "Teams"},
    {"type": "object", "description": "Extra settings", "additionalProperties": {"type": "string"}},
    {
        "type": "array",
        "description": "Ports to open",
        "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}},
    },
)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_NOUNS) for _ in range(rng.randint(low, high)))


def _tool(name: str, title: str, description: str, schema: dict[str, Any], write: bool) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "description": description,
        "inputSchema": {**schema, "$schema": "http://json-schema.org/draft-07/schema#"},
        "annotations": {
            "title": title,
            "readOnlyHint": not write,
            "destructiveHint": name.startswith(("delete", "remove")),
            "idempotentHint": not write,
            "openWorldHint": False,
        },
    }


def _rich_tool(rng: random.Random, i: int) -> dict[str, Any]:
    """A consolidated tool (list_entities, upsert_blueprint, ...): 3-8 arguments from the rich shapes above."""
    write = i % 2 == 1
    name = f"{rng.choice(_WRITE_VERBS if write else _READ_VERBS)}_{_NOUNS[i % len(_NOUNS)]}_{i}"
    picked = rng.sample(sorted(_RICH_ARGUMENTS), rng.randint(3, 8))
    properties = {key: _RICH_ARGUMENTS[key] for key in picked}
    title = name.replace("_", " ").capitalize()
    description = f"{title} in your Port organization. {_words(rng, 25, 60)}"
    schema = {"type": "object", "properties": properties, "required": picked[:1], "additionalProperties": False}
    return _tool(name, title, description, schema, write)


def _action_tool(rng: random.Random, i: int, flat: bool = False) -> dict[str, Any]:
    """A per-action tool (`run_<action>`, Port before Dec 2025): the action's 2-6 user inputs, nested; or, `flat`,
    a free-form `properties` object as the sandbox's legacy tools have."""
    action = f"{_ACTIONS[i % len(_ACTIONS)]}{i}"
    name = ("run_" + "".join("_" + c.lower() if c.isupper() else c for c in action))[:40]
    inputs = {f"input{k}": rng.choice(_USER_INPUTS) for k in range(rng.randint(2, 6))}
    properties: dict[str, Any] = {"type": "object", "description": "The action's user inputs"}
    if flat:
        properties["additionalProperties"] = True
    else:
        properties.update(properties=inputs, required=sorted(inputs)[:1])
    schema = {
        "type": "object",
        "properties": {
            "entity_identifier": {"type": "string", "description": "Entity to run the action on (DAY-2 actions)"},
            "properties": properties,
        },
        "required": ["properties"],
    }
    title = f"Run {action}"
    description = f"Execute the '{action}' action: {_words(rng, 8, 30)}"
    return _tool(name, title, description, schema, write=True)


def port_like_tools(count: int, shape: str = "mix", seed: int = 7) -> list[dict[str, Any]]:
    """`count` tools as Port lists them, decoded from JSON as the proxy sees them (no shared objects).

    "mix": what a 2,000-tool list is made of: Port's ~40 consolidated tools (rich, nested schemas), the rest
    per-action tools with their user inputs. "flat": the same, but per-action tools with a free-form `properties`
    object (as the sandbox's legacy tools), a lower bound. "heavy": every tool a rich consolidated one, an upper
    bound. In all, 1 in 50 tools has an array schema without `items` (the bug Port shipped in Sept 2025), so the
    repair path runs too.
    """
    rng = random.Random(seed)
    tools = []
    for i in range(count):
        tool = _rich_tool(rng, i) if shape == "heavy" or i < 40 else _action_tool(rng, i, flat=shape == "flat")
        if i % 50 == 0:
            tool["inputSchema"]["properties"]["tags"] = {"type": "array", "description": "Tags"}
        tools.append(tool)
    return json.loads(json.dumps(tools))


# --- the children -------------------------------------------------------------------------------------------------


def _announce(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)  # one line on stdout: how the parent learns the child is ready


def _nodelay(sock: socket.socket) -> bool:
    """Whether accepted connections get TCP_NODELAY: asyncio sets it only on sockets created with proto
    IPPROTO_TCP, and Linux copies the option from the listener to the connections it accepts."""
    return sock.proto == socket.IPPROTO_TCP or bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def serve_sandbox(total_tools: int) -> None:
    """The sandbox, with synthetic tools (`port_like_tools`, "mix") added until `tools/list` has `total_tools`."""
    # The sandbox stands in for Port, whose speed does not depend on the bridge's dependencies: keep it on uvicorn's
    # pure-Python stack (h11, asyncio) even where httptools/uvloop are installed, so "direct" stays comparable.
    sys.modules["httptools"] = None  # type: ignore[assignment]  # makes uvicorn's "auto" choices fall back
    sys.modules["uvloop"] = None  # type: ignore[assignment]
    from bridge.sandbox import Sandbox
    from bridge.sandbox.tools import REGISTRY, ToolSpec, visible_tools

    box = Sandbox(0)  # its listener comes from `bind_loopback` (IPPROTO_TCP): no Nagle stall, as at Port's edge
    registry = REGISTRY["current"]
    missing = total_tools - len(visible_tools(_builder_caller(box)))
    for tool in port_like_tools(max(0, missing)):
        registry[tool["name"]] = ToolSpec(
            tool["name"], tool["description"], tool["inputSchema"], lambda caller, args: {"ok": True},
            read_only=tool["annotations"]["readOnlyHint"], destructive=tool["annotations"]["destructiveHint"],
            title=tool["title"],
        )  # fmt: skip
    _announce(url=box.mcp_url)
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

    from bridge.proxy import http11
    from bridge.server import LoopbackServer, bind_loopback

    pool = httpcore2.AsyncConnectionPool(max_keepalive_connections=20)
    lean = http11.Pool(None)
    routes = {}
    for path, url in (("/small", small_url), ("/big", big_url)):
        parsed = httpcore2.URL(url)
        netloc = parsed.host + (b":%d" % parsed.port if parsed.port else b"")
        key = (parsed.scheme.decode(), parsed.host.decode(), parsed.port or 80)
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

    sock = bind_loopback("127.0.0.1", 0)
    _announce(url=f"http://127.0.0.1:{sock.getsockname()[1]}", big_path="/big", nodelay=True)
    with contextlib.suppress(KeyboardInterrupt):
        LoopbackServer(app, sock, name="floor").serve_forever()


def serve_bridge(small_url: str, big_url: str, force_nodelay: bool, profile_out: str | None) -> None:
    """A BridgeService in front of both sandboxes (`/mcp` and `/p/big/mcp`), until SIGINT.

    Imports what `port-mcp-bridge serve` needs, not the sandbox, so that its RSS is the bridge's alone.
    """
    from bridge.service import BridgeService
    from bridge.settings import Profile, SettingsStore
    from bridge.tokens import ClientCredentialsProvider

    secret = os.environ[CREDENTIAL_ENV]
    store = SettingsStore()  # in $PORT_MCP_BRIDGE_HOME: a temp dir the parent made and removes
    store.add_profile("Acme", small_url, organization="Acme Corp", auth_mode="token")
    big = store.add_profile(BIG_PROFILE, big_url, organization="Acme Corp", auth_mode="token")

    def tokens(profile: Profile) -> ClientCredentialsProvider:
        return ClientCredentialsProvider(profile.api_url, CLIENT_ID, secret, profile_name=profile.name)

    service = BridgeService(store, port=0, tokens=tokens, key=BENCH_KEY)
    if force_nodelay:
        service._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # what the fix in `_bind` will do
    profiler = None
    if profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    _announce(url=service.url, big_path=f"/p/{big.id}/mcp", nodelay=_nodelay(service._sock))
    try:
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_out)


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


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(samples)}


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


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((ln.partition(":")[2].strip() for ln in cpuinfo.read_text().splitlines()
                      if ln.startswith("model name")), model)  # fmt: skip
    return {"cpu": model, "cpus": os.cpu_count(), "python": platform.python_version(), "os": platform.platform()}


def callgrind_prefix(args: argparse.Namespace) -> list[str] | None:
    if not args.callgrind:
        return None
    out = Path(args.callgrind).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return ["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={out}/callgrind.out.%p"]


def set_upstream_latency(url: str, ms: float) -> None:
    """Make the sandbox at `url` (its `/v1`) answer every MCP request `ms` later (its `latency` fault knob): Port's
    own response time over the internet, so that ratios to direct read as they would against Port."""
    import httpx2

    root = url.rsplit("/v1", 1)[0]
    httpx2.post(f"{root}/_sandbox/faults", json={"latency": ms / 1000}).raise_for_status()


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
    # The children: this script again, so that the set-up code is linted and typed like the rest.
    parser.add_argument("--child", choices=["sandbox", "bridge", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--total-tools", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    parser.add_argument("--upstream-big", help=argparse.SUPPRESS)
    parser.add_argument("--force-nodelay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project
    if args.child == "sandbox":
        serve_sandbox(args.total_tools)
    elif args.child == "bridge":
        serve_bridge(args.upstream, args.upstream_big, args.force_nodelay, args.profile_out)
    elif args.child == "floor":
        serve_floor(args.upstream, args.upstream_big, args.floor_client)
    elif args.requests < 2:
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
