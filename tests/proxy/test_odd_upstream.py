"""An upstream that answers a tools/list with something that is not JSON, under a JSON content type: the client gets
that answer as it is (the bridge does not turn it into a 500)."""

from __future__ import annotations

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
