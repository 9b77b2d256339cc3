"""The proxy's fast paths: the tools/list cache of listcache.py (a hit is exactly a fresh rewrite, and only then), the
route httpx2 chose (http11 when direct, httpcore2 through a real HTTP proxy), undecodable answers, and the lazy
disconnect watcher."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest

from bridge.policy import Policy, rewrite_tools_list
from bridge.proxy import listcache
from bridge.proxy.listcache import ListedTools, known_tools, top_level_id
from tests.proxy.conftest import session
from tests.support.stack import Stack

TOOLS = [
    {"name": "list_things", "inputSchema": {"type": "object", "properties": {"tags": {"type": "array"}}},
     "annotations": {"readOnlyHint": True}},
    {"name": "delete_thing", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
]  # fmt: skip


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def fresh(policy: Policy, message: dict[str, Any]) -> dict[str, Any]:
    """What the proxy sends without a cache: the message with its result rewritten."""
    rewritten = rewrite_tools_list(policy, message["result"])
    return message if rewritten is message["result"] else {**message, "result": rewritten}


def answer(msg_id: Any, *, id_last: bool = False, tools: list[dict[str, Any]] = TOOLS) -> dict[str, Any]:
    if id_last:  # the TypeScript SDK's order
        return {"result": {"tools": tools}, "jsonrpc": "2.0", "id": msg_id}
    return {"jsonrpc": "2.0", "id": msg_id, "result": {"tools": tools}}  # the Python SDK's order


def build(policy: Policy, message: dict[str, Any]) -> ListedTools | None:
    return ListedTools.build(policy, encode(message), message, fresh(policy, message), known_tools(TOOLS))


@pytest.mark.parametrize("hashed", [False, True])  # large lists are remembered by their SHA-256
@pytest.mark.parametrize("id_last", [False, True])
@pytest.mark.parametrize(("first", "later"), [(1, 2), (7, 7), ("a", "b-2"), (9, 10_000_000)])
@pytest.mark.parametrize("policy", [Policy(), Policy(read_only=True), Policy(tool_mode="deny", tool_names={"x"})])
def test_a_hit_is_exactly_a_fresh_rewrite(
    hashed: bool, id_last: bool, first: Any, later: Any, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    if hashed:
        monkeypatch.setattr(listcache, "_KEEP_BYTES", 0)
    message = answer(first, id_last=id_last)
    listed = build(policy, message)
    assert listed is not None
    data = encode(answer(later, id_last=id_last))
    hit = listed.match(policy, data, {later})
    assert hit is not None and hit[0] == later
    event = b"event: message\r\ndata: " + data + b"\r\n\r\n"
    start = event.index(b"data: ") + 6
    out = listed.rewrite(event, start, start + len(data), hit[1])
    assert out.startswith(b"event: message\r\ndata: ") and out.endswith(b"\r\n\r\n")
    assert json.loads(out[start:-4]) == fresh(policy, answer(later, id_last=id_last))
    assert set(listed.known) == {"list_things", "delete_thing"}


@pytest.mark.parametrize("hashed", [False, True])
def test_misses(hashed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if hashed:
        monkeypatch.setattr(listcache, "_KEEP_BYTES", 0)
    policy = Policy()
    listed = build(policy, answer(1))
    assert listed is not None and (listed.digest is not None) is hashed
    assert listed.match(Policy(read_only=True), encode(answer(2)), {2}) is None  # the policy changed
    assert listed.match(policy, encode(answer(2)), {3}) is None  # not an answer to a pending tools/list
    assert listed.match(policy, encode(answer(2, tools=TOOLS[:1])), {2}) is None  # another list
    assert listed.match(policy, encode(answer(True)), {True}) is None  # not a valid id
    assert listed.match(policy, encode(answer([2])), {2}) is None
    assert listed.match(policy, encode({**answer(2), "extra": 1}), {2}) is None
    changed = [TOOLS[0], {**TOOLS[1], "name": "delete_thinG"}]  # same length, one byte different
    assert listed.match(policy, encode(answer(2, tools=changed)), {2}) is None


def test_the_id_is_only_taken_where_it_is_provably_the_messages_own() -> None:
    def span(message: dict[str, Any]) -> tuple[int, int] | None:
        return top_level_id(encode(message), message["id"])

    data = encode(answer(5))
    found = span(answer(5))
    assert found is not None and data[found[0] : found[1]] == b"5"
    found = span(answer("x", id_last=True))
    assert found is not None and encode(answer("x", id_last=True))[found[0] : found[1]] == b'"x"'
    nested = [{**TOOLS[0], "inputSchema": {"type": "object", "default": {"id": 5}}}]
    assert span(answer(5, tools=nested)) is None  # the same "id":5 twice: not provably which
    assert span(answer(5, tools=nested * 3)) is None
    tricky = {"jsonrpc": "2.0", "result": {"tools": TOOLS, "x": {"id": 6}}, "id": 5}
    assert span(tricky) is not None
    assert top_level_id(encode({**tricky, "id": 6}), 6) is None  # the last "id":6 is not the nested one...
    big = {"jsonrpc": "2.0", "result": {"tools": TOOLS * 50}, "id": 5, "more": {"tools": TOOLS * 50}}
    assert span(big) is None  # ...and an id far from both ends is not looked for


async def test_through_the_bridge_sessions_share_the_rewritten_list(rig: Stack) -> None:
    rig.sandbox.state.config.schema_bug = True  # so the rewrite changes the list: the cached bytes are used
    async with session(rig) as s:
        first = (await s.list_tools()).model_dump(by_alias=True, mode="json")
    upstream = rig.bridge._upstreams["acme"]
    assert upstream.listed is not None and upstream.listed.out_head is not None
    upstream.known_tools.clear()
    async with session(rig) as s:
        second = (await s.list_tools()).model_dump(by_alias=True, mode="json")
        again = (await s.list_tools()).model_dump(by_alias=True, mode="json")
    assert first == second == again
    assert upstream.known_tools  # refilled by the hit
    schemas = json.dumps([t["inputSchema"] for t in first["tools"]])
    assert '"type": "array"' in schemas
    for tool in first["tools"]:
        assert all("items" in node for node in _arrays(tool["inputSchema"]))


def _arrays(node: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(node, dict):
        if node.get("type") == "array":
            out.append(node)
        for key, value in node.items():
            if key not in ("default", "enum", "const", "examples"):
                out += _arrays(value)
    elif isinstance(node, list):
        for value in node:
            out += _arrays(value)
    return out


def test_requests_go_through_the_pool_httpx2_chose_so_env_proxies_and_cas_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpcore2

    from bridge.proxy.forward import McpProxy
    from bridge.proxy.state import Sessions

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    proxy = McpProxy(lambda pinned: None, Sessions())
    port = proxy.sender.route("https://mcp.port.io/v1")
    assert isinstance(port.pool, httpcore2.AsyncHTTPProxy)
    assert port.direct is None  # through the proxy: httpcore2 does the work
    assert port.host == (b"host", b"mcp.port.io") and port.url.target == b"/v1"
    local = proxy.sender.route("http://127.0.0.1:5000/v1")
    assert type(local.pool) is httpcore2.AsyncConnectionPool
    assert local.direct is not None and local.key == ("http", "127.0.0.1", 5000)  # direct: the lean client
    assert local.host == (b"host", b"127.0.0.1:5000")
    assert (
        port.pool is proxy.sender.http._transport_for_url(proxy.sender.http._merge_url("https://mcp.port.io/v1"))._pool
    )


async def test_a_route_through_httpcore2_serves_a_whole_session(rig: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user behind HTTPS_PROXY gets: the same session, sent by httpcore2 instead of `http11.Pool`."""
    from bridge.proxy import sender

    monkeypatch.setattr(sender, "_plain_pool", lambda pool: False)
    rig.bridge.proxy.sender.routes.clear()  # decided at start (warm connections): as if configured then
    async with session(rig) as s:
        tools = await s.list_tools()
        result = await s.call_tool("describe_user_details", {})
    assert tools.tools and not result.is_error
    route = rig.bridge.proxy.sender.routes[rig.sandbox.mcp_url]
    assert route.direct is None


async def test_through_a_real_http_proxy(rig: Stack) -> None:
    """A corporate proxy, as HTTP(S)_PROXY would configure it: every upstream request goes through it, by httpcore2."""
    import httpcore2

    relayed: list[bytes] = []

    async def forward_proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Just enough of an HTTP forward proxy: one absolute-form request per connection, piped both ways."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, _, rest = head.partition(b"\r\n")
            method, url, version = line.split(b" ")
            relayed.append(method + b" " + url)
            target = httpx2.URL(url.decode())
            fields = [h for h in rest.split(b"\r\n") if h and not h.lower().startswith((b"proxy-", b"connection:"))]
            length = next((int(h.split(b":")[1]) for h in fields if h.lower().startswith(b"content-length:")), 0)
            body = await reader.readexactly(length) if length else b""
            up_reader, up_writer = await asyncio.open_connection(target.host, target.port)
            try:
                up_writer.write(b"%s %s %s\r\n" % (method, target.raw_path, version) + b"\r\n".join(fields)
                                + b"\r\nconnection: close\r\n\r\n" + body)  # fmt: skip
                while chunk := await up_reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()
            finally:  # also when the client went away mid-answer: no transport is left to the garbage collector
                up_writer.close()
        finally:
            writer.close()

    server = await asyncio.start_server(forward_proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        unused, rig.bridge.proxy.sender.http = (
            rig.bridge.proxy.sender.http,
            httpx2.AsyncClient(proxy=f"http://127.0.0.1:{port}"),
        )
        await unused.aclose()  # it never connected: nothing of it lives on another loop
        rig.bridge.proxy.sender.routes.clear()  # decided at start (warm connections): as if configured then
        async with session(rig) as s:
            tools = await s.list_tools()
            result = await s.call_tool("describe_user_details", {})
        route = rig.bridge.proxy.sender.routes[rig.sandbox.mcp_url]
        assert isinstance(route.pool, httpcore2.AsyncHTTPProxy) and route.direct is None
    assert tools.tools and not result.is_error
    assert json.loads(result.content[0].text)["organization"]["name"] == "Acme Corp (demo)"  # type: ignore[union-attr]
    posts = [r for r in relayed if r.startswith(b"POST ")]
    assert len(posts) >= 4 and all(r.endswith(rig.sandbox.mcp_url.encode()) for r in posts)  # init, ack, list, call


def test_an_undecodable_answer_passes_as_it_came() -> None:
    from bridge.proxy.state import Upstream
    from bridge.proxy.toolslist import rewrite_event

    class Profile:
        id = name = "p"

    upstream = Upstream(Profile(), None, Policy())  # type: ignore[arg-type]
    deep = b'{"jsonrpc":"2.0","id":1,"result":{"tools":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    for data in (deep, b'{"jsonrpc":"2.0","id":1,"result":{"tools":[nope'):
        event = b"event: message\r\ndata: " + data + b"\r\n\r\n"
        ids = {1}
        assert rewrite_event(upstream, event, ids) is event


async def test_a_client_that_hangs_up_cancels_the_relay_and_a_quick_one_never_starts_a_watcher() -> None:
    from bridge.proxy.streams import until_disconnect as _until_disconnect

    calls = 0

    async def receive() -> dict[str, Any]:  # the client has hung up
        nonlocal calls
        calls += 1
        return {"type": "http.disconnect"}

    relaying = asyncio.Event()
    outcome: list[str] = []

    async def endless() -> None:  # a relay that never ends on its own
        relaying.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    async with asyncio.timeout(10):  # a relay left running would be cut here, and fail below
        await _until_disconnect(receive, endless())
    assert outcome == ["cancelled"] and calls == 1  # cancelled once the client was seen gone
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]  # and not left half-cancelled

    calls = 0
    await _until_disconnect(receive, asyncio.sleep(0))  # one turn of the loop: done long before the watcher is due
    assert calls == 0  # no task, no receive()

    async def cancelled_from_outside() -> None:
        await _until_disconnect(receive, endless(), watch_after=10)

    relaying.clear()
    task = asyncio.ensure_future(cancelled_from_outside())
    await asyncio.wait_for(relaying.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task  # a cancellation that is not the client's passes on
