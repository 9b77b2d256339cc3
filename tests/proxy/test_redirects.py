"""Redirects from upstream: followed within the same server (a profile URL with a trailing slash, which Starlette
and many servers answer with 307), never to another one, where the profile's token must not go."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx2
import pytest

from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.proxy.sender import same_server
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from tests.support.mcp import mcp_client
from tests.support.stack import bridge_before, demo_tokens
from tests.support.upstream import read_request, serving


@pytest.mark.parametrize(
    ("url", "location", "expected"),
    [
        ("https://mcp.port.io/v1/", "https://mcp.port.io/v1", "https://mcp.port.io/v1"),
        ("https://mcp.port.io/v1/", "/v1", "https://mcp.port.io/v1"),  # relative
        ("https://mcp.port.io/v1", "https://mcp.port.io:443/v2", "https://mcp.port.io:443/v2"),  # default port
        ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1#x", "http://127.0.0.1:8080/v1"),
        ("https://mcp.port.io/v1", "https://evil.example/v1", None),  # another host
        ("https://mcp.port.io/v1", "http://mcp.port.io/v1", None),  # another scheme
        ("https://mcp.port.io/v1", "https://mcp.port.io:8443/v1", None),  # another port
        ("https://mcp.port.io/v1", "//evil.example/v1", None),  # scheme-relative, another host
        ("https://mcp.port.io/v1", "https://mcp.port.io:bad/v1", None),
        ("https://mcp.port.io/v1", None, None),
        ("https://mcp.port.io/v1", "", None),
    ],
)
def test_which_redirects_stay_on_the_same_server(url: str, location: str | None, expected: str | None) -> None:
    assert same_server(url, location) == expected


async def test_a_profile_url_with_a_trailing_slash_works_through_the_redirect(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    store = SettingsStore()
    store.add_profile("Acme", sandbox.mcp_url + "/", organization="Acme Corp", auth_mode="token", make_active=True)
    bridge = BridgeService(store, port=0, tokens=demo_tokens, key="k").start()
    try:
        with caplog.at_level(logging.WARNING, logger="bridge.proxy.sender"):
            async with mcp_client(f"{bridge.url}/mcp", {"Authorization": "Bearer k"}) as session:
                assert (await session.list_tools()).tools
                result = await session.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
                assert json.loads(result.content[0].text)["count"] == 36  # type: ignore[union-attr]
    finally:
        bridge.stop()
    told = [r.getMessage() for r in caplog.records if "redirects to" in r.getMessage()]
    assert len(told) == 1 and "saves a round trip" in told[0]  # said once, not per request


async def test_a_redirect_to_another_server_is_not_followed_and_says_what_to_do(tmp_path: object) -> None:
    elsewhere: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        elsewhere.append(await read_request(reader))

    async with serving(record) as other:

        async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await read_request(reader)
                writer.write(b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://localhost:%d/v1\r\n"
                             b"content-length: 0\r\n\r\n" % other.port)  # fmt: skip
                await writer.drain()

        async with serving(redirect) as upstream:
            bridge = bridge_before(upstream.port, bearer="secret-t")
            try:
                async with httpx2.AsyncClient(headers={"Authorization": "Bearer k"}, timeout=10) as http:
                    answer = await http.post(
                        f"{bridge.url}/mcp",
                        json={"jsonrpc": "2.0", "id": 5, "method": "tools/list"},
                        headers={"Accept": "application/json, text/event-stream"},
                    )
            finally:
                bridge.stop()
    error = answer.json()
    assert error["id"] == 5 and error["error"]["code"] == UPSTREAM_UNAVAILABLE
    assert "redirect (HTTP 307)" in error["error"]["message"]
    assert "profiles set odd --region" in error["error"]["message"]
    assert elsewhere == []  # the token never went to the other server
