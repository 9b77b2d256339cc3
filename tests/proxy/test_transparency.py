"""The bridge in front of MCP software not written here: the reference server `server-everything` (npm).

Every test runs the same scenario with the official Python client twice, once straight at server-everything and once
through the bridge, and compares what the client saw: replies, notifications, log messages, progress, and the
requests the server made of the client (sampling, elicitation). A difference is something the bridge lost or changed.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp_types import (
    CreateMessageResult,
    ElicitResult,
    LoggingMessageNotificationParams,
    PromptReference,
    ResourceListChangedNotification,
    ResourceUpdatedNotification,
    TextContent,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from bridge.auth.localkey import local_key
from bridge.auth.tokens import StaticTokenProvider
from bridge.policy.schema import repair_schema
from bridge.proxy.service import BridgeService
from bridge.settings import SettingsStore
from tests.support.mcp import mcp_client
from tests.support.net import free_port, wait_until, wait_until_async

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
EVERYTHING_BIN = NODE_DIR / "node_modules" / ".bin" / "mcp-server-everything"
EVERYTHING_JS = NODE_DIR / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"

pytestmark = [
    pytest.mark.skipif(
        not EVERYTHING_BIN.exists() or shutil.which("node") is None,
        reason="server-everything is not installed (python3 dev.py test installs it)",
    ),
    pytest.mark.timeout(120),
    # Logging and resources/subscribe are deprecated in the 2026-07-28 era, yet part of the 2025 one tested here.
    pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning"),
]

# server-everything listens on every interface (`app.listen(PORT)`); this shim pins its listener to loopback.
LOOPBACK_SHIM = """
import http from "node:http";
import { pathToFileURL } from "node:url";
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
  return listen.call(this, port, "127.0.0.1", ...rest.filter((arg) => typeof arg === "function"));
};
await import(pathToFileURL(process.argv[1]).href);
"""

PROBE = "demo://resource/static/document/features.md"
WATCHED = "demo://resource/dynamic/text/2"
ANSWER = "The bridge passed this answer back unchanged."


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """server-everything in Streamable HTTP mode on a free loopback port; yields its MCP URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("everything") / "server.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORT": str(port),
        "GZIP_ALLOWED_DOMAINS": "example.invalid",  # its gzip tool may fetch URLs: allow no real host
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["node", "--input-type=module", "-e", LOOPBACK_SHIM, str(EVERYTHING_JS), "streamableHttp"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=NODE_DIR,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"

    def answers() -> bool:
        assert proc.poll() is None, f"server-everything exited: {log_path.read_text()}"
        try:
            # A GET without a session is refused with a JSON-RPC error: enough to know it answers.
            return httpx2.get(url, timeout=2).status_code == 400
        except httpx2.TransportError:
            return False

    try:
        wait_until(answers, "server-everything answers", timeout=30)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Route:
    url: str
    key: str | None = None


@pytest.fixture
def routes(everything: str, tmp_path: Path) -> Iterator[tuple[Route, Route]]:
    """(direct, through a bridge whose active profile is server-everything). server-everything has no auth."""
    store = SettingsStore(tmp_path / "settings.json")
    store.add_profile("Everything", everything, auth_mode="token")
    bridge = BridgeService(store, port=0, tokens=lambda profile: StaticTokenProvider("unused")).start()
    try:
        yield Route(everything), Route(f"{bridge.url}/mcp", local_key())
    finally:
        bridge.stop()


@dataclass
class Seen:
    """What reached the client besides replies; also the client's side of server-to-client requests."""

    session_id: str | None = None
    notifications: list[Any] = field(default_factory=list)
    logs: list[LoggingMessageNotificationParams] = field(default_factory=list)
    sampling: list[Any] = field(default_factory=list)
    elicitations: list[Any] = field(default_factory=list)

    async def on_response(self, response: httpx2.Response) -> None:
        self.session_id = response.headers.get("mcp-session-id") or self.session_id

    async def on_notification(self, message: Any) -> None:
        self.notifications.append(message)

    async def on_log(self, params: LoggingMessageNotificationParams) -> None:
        self.logs.append(params)

    async def on_sampling(self, context: Any, params: Any) -> CreateMessageResult:
        self.sampling.append(params)
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text=ANSWER), model="test-model", stop_reason="endTurn"
        )

    async def on_elicitation(self, context: Any, params: Any) -> ElicitResult:
        self.elicitations.append(params)
        if getattr(params, "mode", None) == "url":
            return ElicitResult(action="accept")
        return ElicitResult(action="accept", content={"name": "Ada Lovelace", "check": True, "integer": 7})

    def logged(self, text: str) -> list[tuple[str, Any]]:
        return [(log.level, log.data) for log in self.logs if text in str(log.data)]

    def scrub(self, value: Any) -> Any:
        """`value` as plain JSON without what must differ between routes: the session id and the clock."""
        text = json.dumps(dump(value))
        return steady(json.loads(text.replace(self.session_id, "<session>") if self.session_id else text))


# server-everything's dynamic resources end with the time they were made (`toLocaleTimeString`), as text or base64.
CLOCK = re.compile(r"(created at ).+$")


def steady(value: Any) -> Any:
    if isinstance(value, str):
        return CLOCK.sub(r"\1<time>", value)
    if isinstance(value, list):
        return [steady(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: steady(v) for k, v in value.items()}
    if isinstance(value.get("blob"), str):
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            text = base64.b64decode(value["blob"], validate=True).decode()
            if CLOCK.search(text):
                out["blob"] = "base64 of " + CLOCK.sub(r"\1<time>", text)
    return out


def dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


@asynccontextmanager
async def connect(route: Route) -> AsyncIterator[tuple[ClientSession, Seen]]:
    """A 2025-era session (initialize handshake) with every client capability the scenarios need."""
    seen = Seen()
    headers = {"Authorization": f"Bearer {route.key}"} if route.key else {}
    async with mcp_client(
        route.url, headers, on_response=seen.on_response, sampling_callback=seen.on_sampling,
        elicitation_callback=seen.on_elicitation, logging_callback=seen.on_log, message_handler=seen.on_notification,
    ) as session:  # fmt: skip
        yield session, seen


Scenario = Callable[[ClientSession, Seen], Awaitable[Any]]


async def both(routes: tuple[Route, Route], scenario: Scenario) -> list[Any]:
    """The scenario's outcome (scrubbed) directly, then through the bridge."""
    outcomes = []
    for route in routes:
        async with connect(route) as (session, seen):
            outcomes.append(seen.scrub(await scenario(session, seen)))
    return outcomes


async def stream_open(session: ClientSession, seen: Seen) -> None:
    """Wait until the client's GET stream is up: notifications not tied to a request travel on it, and
    server-everything drops those sent before it opens. Each subscribe is acknowledged by a log message on it."""
    with anyio.move_on_after(20):
        while not seen.logged(PROBE):
            await session.subscribe_resource(PROBE)
            with anyio.move_on_after(0.5):
                await wait_until_async(lambda: seen.logged(PROBE), "the subscribe acknowledged", 20)
    assert seen.logged(PROBE), "no notification ever arrived on the GET stream"


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


# --- what the server offers ----------------------------------------------------------------------------------------


async def test_handshake_and_tools(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        return {"initialize": session.initialize_result, "tools": (await session.list_tools()).tools}

    direct, bridged = await both(routes, scenario)
    assert bridged["initialize"] == direct["initialize"]
    assert direct["initialize"]["serverInfo"]["name"] == "mcp-servers/everything"
    # The bridge gives array schemas without `items` an empty one for strict clients; anything else must arrive
    # untouched. server-everything's schemas are well formed, so today this is plain equality.
    assert bridged["tools"] == [repair_schema(tool) for tool in direct["tools"]]
    names = {tool["name"] for tool in direct["tools"]}
    assert {"echo", "trigger-long-running-operation", "trigger-sampling-request", "trigger-elicitation-request",
            "trigger-url-elicitation", "toggle-simulated-logging", "toggle-subscriber-updates"} <= names  # fmt: skip
    assert any(tool["annotations"] for tool in direct["tools"])
    assert any(tool["outputSchema"] for tool in direct["tools"])


async def test_resources_and_templates(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        return {
            "resources": (await session.list_resources()).resources,
            "templates": (await session.list_resource_templates()).resource_templates,
            "static": await session.read_resource(PROBE),
            "text": await session.read_resource("demo://resource/dynamic/text/3"),
            "blob": await session.read_resource("demo://resource/dynamic/blob/4"),
        }

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert PROBE in {r["uri"] for r in direct["resources"]}
    assert {t["uriTemplate"] for t in direct["templates"]} >= {"demo://resource/dynamic/text/{resourceId}"}
    assert "Tools" in direct["static"]["contents"][0]["text"]
    assert direct["blob"]["contents"][0]["blob"] == "base64 of Resource 4: This is a base64 blob created at <time>"


async def test_prompts_and_completions(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        department = PromptReference(type="ref/prompt", name="completable-prompt")
        return {
            "prompts": (await session.list_prompts()).prompts,
            "args": await session.get_prompt("args-prompt", {"city": "Lyon", "state": "Rhône"}),
            "resource": await session.get_prompt("resource-prompt", {"resourceType": "Text", "resourceId": "5"}),
            "completion": await session.complete(department, {"name": "department", "value": "E"}),
        }

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert "Lyon" in json.dumps(direct["args"], ensure_ascii=False)
    assert direct["completion"]["completion"]["values"]


# --- tool calls --------------------------------------------------------------------------------------------------


async def test_tool_results_of_every_kind(routes: tuple[Route, Route]) -> None:
    calls = [
        ("echo", {"message": "héllo ✓"}),
        ("get-sum", {"a": 2, "b": 3.5}),
        ("get-tiny-image", {}),
        ("get-annotated-message", {"messageType": "error", "includeImage": True}),
        ("get-structured-content", {"location": "Chicago"}),
        ("get-resource-links", {"count": 4}),
        ("get-resource-reference", {"resourceType": "Blob", "resourceId": 6}),
        ("get-sum", {"a": "two", "b": 3}),  # invalid arguments: an error result
    ]

    async def scenario(session: ClientSession, seen: Seen) -> Any:
        return [await session.call_tool(name, args) for name, args in calls]

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    kinds = {block["type"] for result in direct for block in result["content"]}
    assert {"text", "image", "resource_link", "resource"} <= kinds
    assert direct[4]["structuredContent"] and direct[-1]["isError"]


async def test_unknown_tool_error(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        return await session.call_tool("no-such-tool", {})

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert direct["isError"] and "no-such-tool" in direct["content"][0]["text"]


async def test_progress_notifications(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append((value, total, message))

        args = {"duration": 0.3, "steps": 3}
        result = await session.call_tool("trigger-long-running-operation", args, progress_callback=on_progress)
        return {"progress": progress, "result": result}

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert direct["progress"] == [[1, 3, None], [2, 3, None], [3, 3, None]]


# --- requests from the server to the client ----------------------------------------------------------------------


async def test_sampling_round_trip(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        result = await session.call_tool("trigger-sampling-request", {"prompt": "Say hello", "maxTokens": 42})
        return {"asked": seen.sampling, "result": result}

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    [asked] = direct["asked"]
    assert asked["maxTokens"] == 42 and "Say hello" in asked["messages"][0]["content"]["text"]
    assert ANSWER in direct["result"]["content"][0]["text"]


async def test_elicitation_round_trip(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        result = await session.call_tool("trigger-elicitation-request", {})
        return {"asked": seen.elicitations, "result": result}

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    [asked] = direct["asked"]
    assert asked["requestedSchema"]["required"] == ["name"]
    assert "- Name: Ada Lovelace" in json.dumps(direct["result"])


async def test_url_elicitation_and_error_data(routes: tuple[Route, Route]) -> None:
    url = "https://example.invalid/consent"

    async def scenario(session: ClientSession, seen: Seen) -> Any:
        args = {"url": url, "elicitationId": "fixed-id", "errorPath": True}
        with pytest.raises(MCPError) as required:
            await session.call_tool("trigger-url-elicitation", args)
        error = {"code": required.value.code, "message": required.value.message, "data": required.value.error.data}
        for elicitation in error["data"]["elicitations"]:
            elicitation["elicitationId"] = "<random>"
        retried = await session.call_tool("trigger-url-elicitation", args)  # the retry takes the request path
        return {"error": error, "asked": seen.elicitations, "result": retried}

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert direct["error"]["code"] == -32042
    [asked] = direct["asked"]
    assert (asked["mode"], asked["url"], asked["elicitationId"]) == ("url", url, "fixed-id")


# --- notifications that are not replies --------------------------------------------------------------------------


async def test_logging_levels(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        await stream_open(session, seen)
        await session.set_logging_level("warning")
        await session.subscribe_resource(WATCHED)  # acknowledged at level info: filtered out
        await session.set_logging_level("info")
        await session.unsubscribe_resource(WATCHED)  # acknowledged after the first one, on the same stream
        await wait_until_async(lambda: bool(seen.logged("Unsubscribe")), "the unsubscribe acknowledged", 20)
        await session.set_logging_level("debug")
        started = await session.call_tool("toggle-simulated-logging", {})
        await wait_until_async(lambda: seen.logged("-level message") or seen.logged(" level-message"), "a log", 20)
        stopped = await session.call_tool("toggle-simulated-logging", {})
        simulated = [log for log in seen.logs if "SessionId" in str(log.data)]
        return {
            "watched": seen.logged(WATCHED),
            # Simulated messages have a random level: compare their form, not their level.
            "simulated": [
                (str(log.data).lower().startswith(log.level), str(log.data).endswith(f"SessionId {seen.session_id}"))
                for log in simulated[:1]
            ],
            "toggled": [text_of(started), text_of(stopped)],
        }

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert direct["watched"] == [["info", f"Received Unsubscribe Resource request: {WATCHED} from session <session>"]]
    assert direct["simulated"] == [[True, True]]


async def test_resource_subscription_updates(routes: tuple[Route, Route]) -> None:
    async def scenario(session: ClientSession, seen: Seen) -> Any:
        await stream_open(session, seen)
        await session.subscribe_resource(WATCHED)
        await session.call_tool("toggle-subscriber-updates", {})

        def updated() -> set[str]:
            return {n.params.uri for n in seen.notifications if isinstance(n, ResourceUpdatedNotification)}

        await wait_until_async(lambda: updated() >= {PROBE, WATCHED}, "both resource updates", 20)
        await session.call_tool("toggle-subscriber-updates", {})
        await session.unsubscribe_resource(WATCHED)
        return sorted(updated())

    direct, bridged = await both(routes, scenario)
    assert bridged == direct == sorted([PROBE, WATCHED])


async def test_list_changed_and_session_resource(routes: tuple[Route, Route]) -> None:
    content = "Made on this machine, never fetched.\n" * 20
    data = "data:text/plain;base64," + base64.b64encode(content.encode()).decode()

    async def scenario(session: ClientSession, seen: Seen) -> Any:
        await stream_open(session, seen)
        link = await session.call_tool("gzip-file-as-resource", {"name": "note.txt.gz", "data": data})
        await wait_until_async(
            lambda: any(isinstance(n, ResourceListChangedNotification) for n in seen.notifications), "list_changed", 20
        )
        uri = "demo://resource/session/note.txt.gz"
        listed = [r for r in (await session.list_resources()).resources if r.uri == uri]
        read = await session.read_resource(uri)
        return {"link": link, "listed": listed, "read": read}

    direct, bridged = await both(routes, scenario)
    assert bridged == direct
    assert gzip.decompress(base64.b64decode(direct["read"]["contents"][0]["blob"])).decode() == content


# --- the 2026-07-28 client --------------------------------------------------------------------------------------


async def test_modern_client(routes: tuple[Route, Route]) -> None:
    """`Client` probes `server/discover` first; server-everything answers only the handshake era, so the client must
    fall back to `initialize`, through the bridge just as directly."""
    outcomes = []
    for route in routes:
        headers = {"Authorization": f"Bearer {route.key}"} if route.key else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(route.url, http_client=http), cache=None, read_timeout_seconds=20) as client,
        ):
            outcomes.append(
                dump(
                    {
                        "version": client.protocol_version,
                        "server": client.server_info,
                        "tools": sorted(t.name for t in (await client.list_tools()).tools),
                        "echo": await client.call_tool("echo", {"message": "modern"}),
                    }
                )
            )
    direct, bridged = outcomes
    assert bridged == direct
    assert direct["version"] in HANDSHAKE_PROTOCOL_VERSIONS
    assert "echo" in direct["tools"]
