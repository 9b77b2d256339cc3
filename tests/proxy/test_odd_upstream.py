"""Upstreams that misbehave: one that answers a tools/list with something that is not JSON, under a JSON content type
(the client gets that answer as it is, not a 500), and one that drops a reused connection without answering."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.server import LoopbackServer, bind_loopback
from bridge.service import BridgeService
from bridge.settings import SettingsStore
from bridge.tokens import StaticTokenProvider


async def broken(request: Request) -> Response:
    return Response(b'{"jsonrpc": "2.0", "id": 1, "result": {"tools": [', media_type="application/json")


def test_a_truncated_json_answer_is_passed_on_not_a_500(tmp_path: object) -> None:
    sock = bind_loopback("127.0.0.1", 0)
    upstream = LoopbackServer(Starlette(routes=[Route("/v1", broken, methods=["POST"])]), sock, name="odd")
    upstream.start()
    store = SettingsStore()
    store.add_profile("Odd", f"http://127.0.0.1:{sock.getsockname()[1]}/v1", auth_mode="token", make_active=True)
    bridge = BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider("t"), key="k").start()
    try:
        answer = httpx2.post(
            f"{bridge.url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": "Bearer k", "Accept": "application/json, text/event-stream"},
        )
        assert answer.status_code == 200 and answer.content.startswith(b'{"jsonrpc": "2.0", "id": 1, "result"')
        assert httpx2.get(f"{bridge.url}/healthz").json()["ok"]
    finally:
        bridge.stop()
        upstream.stop()


async def test_a_tool_call_the_upstream_dropped_is_not_sent_twice_a_list_is(tmp_path: object) -> None:
    """Each upstream connection answers its first request, then reads the next one and hangs up without a byte of
    answer (what a server's idle timeout or crash looks like). A `tools/call` caught that way gets a clear error and
    reached Port once: it may have run an action, which must not run twice. A `tools/list` is sent again."""
    from tests.proxy.test_http11 import read_request, serving

    seen: list[bytes] = []

    async def first_answer_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answered in (True, False):
            request = await read_request(reader)
            body = request.split(b"\r\n\r\n", 1)[1]
            seen.append(body)
            if answered:
                payload = b'{"jsonrpc":"2.0","id":%d,"result":{"tools":[]}}' % json.loads(body)["id"]
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                             % len(payload) + payload)  # fmt: skip
                await writer.drain()

    async with serving(first_answer_only) as upstream:
        store = SettingsStore()
        store.add_profile("Odd", f"http://127.0.0.1:{upstream.port}/v1", auth_mode="token", make_active=True)
        bridge = BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider("t"), key="k").start()
        headers = {"Authorization": "Bearer k", "Accept": "application/json, text/event-stream"}
        try:
            async with httpx2.AsyncClient(headers=headers, timeout=10) as http:

                async def post(msg_id: int, method: str) -> dict[str, Any]:
                    message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": {}}
                    return (await http.post(f"{bridge.url}/mcp", json=message)).json()

                assert "result" in await post(1, "tools/list")  # a new connection: answered
                dropped = await post(2, "tools/call")  # the same connection, reused: dropped
                assert dropped["error"]["code"] == UPSTREAM_UNAVAILABLE
                assert "doctor" in dropped["error"]["message"]
                assert "result" in await post(3, "tools/list")  # a new connection: answered
                assert "result" in await post(4, "tools/list")  # reused, dropped, sent again on a new one
        finally:
            bridge.stop()
    ids = [json.loads(body)["id"] for body in seen]
    assert ids == [1, 2, 3, 4, 4]  # the tools/call reached the upstream once, the list twice
    assert upstream.connections == 3
