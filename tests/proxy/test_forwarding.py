"""The bridge between the official MCP client and the sandbox: transparent where it should be, firm where it must be."""

from __future__ import annotations

import asyncio
import json
import time

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ToolListChangedNotification

from bridge.proxy.jsonrpc import POLICY_REFUSED, SIGN_IN_REQUIRED, UPSTREAM_UNAVAILABLE
from tests.proxy.conftest import session
from tests.sandbox.conftest import machine_token, mcp_session
from tests.support.mcp import stream_opened
from tests.support.net import wait_until_async
from tests.support.stack import Stack


def text(result: object) -> dict:
    return json.loads(result.content[0].text)  # type: ignore[attr-defined]


async def test_tools_and_calls_pass_through(rig: Stack) -> None:
    async with mcp_session(rig.sandbox, machine_token(rig.sandbox)) as direct:
        expected = [t.model_dump() for t in (await direct.list_tools()).tools]
    async with session(rig) as s:
        assert [t.model_dump() for t in (await s.list_tools()).tools] == expected
        found = text(
            await s.call_tool("list_entities", {"blueprintIdentifier": "service", "identifiers": ["order-processing"]})
        )
        assert found["entities"][0]["title"] == "OrderProcessing"
        prompt = await s.get_prompt("troubleshoot_integration", {"integration": "github-ocean"})
        assert "github-ocean" in prompt.messages[0].content.text  # type: ignore[union-attr]


async def test_read_only_profile(rig: Stack) -> None:
    rig.store.set_profile("acme", read_only=True)
    await wait_until_async(lambda: rig.bridge.settings.find_profile("acme").read_only, "the bridge read read-only")  # type: ignore[union-attr]
    async with session(rig) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert "list_entities" in names and not {n for n in names if n.startswith(("upsert_", "delete_", "run_"))}
        with pytest.raises(MCPError) as refused:
            await s.call_tool("upsert_entity", {"blueprintIdentifier": "service", "entity": {"identifier": "x"}})
        assert refused.value.code == POLICY_REFUSED and "read-only" in refused.value.message


async def test_allowed_actions_and_tool_exposure(rig: Stack) -> None:
    rig.store.set_profile(
        "acme", allowed_actions=["create_incident"], tools={"mode": "deny", "names": ["delete_entity"]}
    )
    await wait_until_async(
        lambda: rig.bridge.settings.find_profile("acme").allowed_actions == ["create_incident"],  # type: ignore[union-attr]
        "the bridge read the allowed actions",
    )
    async with session(rig) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert "delete_entity" not in names and "run_action" in names
        with pytest.raises(MCPError) as refused:
            await s.call_tool(
                "run_action", {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "x"}}
            )
        assert refused.value.code == POLICY_REFUSED and "scaffold_microservice" in refused.value.message
        ok = await s.call_tool(
            "run_action",
            {"actionIdentifier": "create_incident", "entityIdentifier": "order-processing",
             "properties": {"title": "Down", "severity": "SEV2"}},
        )  # fmt: skip
        assert not ok.is_error
        with pytest.raises(MCPError) as hidden:
            await s.call_tool("delete_entity", {"blueprintIdentifier": "service", "entityIdentifier": "cart"})
        assert hidden.value.code == POLICY_REFUSED


async def test_progress_and_action_runs_stream_through(rig: Stack) -> None:
    rig.sandbox.faults.slow_tool_seconds = 0.3
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with session(rig) as s:
        result = await s.call_tool("describe_user_details", {}, progress_callback=on_progress)
        assert text(result)["organization"]["name"] == "Acme Corp (demo)"
    assert seen == list(range(10))


async def test_upstream_session_expiry_passes_404_and_the_client_starts_over(rig: Stack) -> None:
    async with session(rig) as s:
        await s.list_tools()
        rig.sandbox.state.expire_sessions()
        with pytest.raises(MCPError):
            await s.list_tools()
    async with session(rig) as s:
        assert (await s.list_tools()).tools


async def test_profile_switch_ends_sessions_and_never_crosses_orgs(rig: Stack) -> None:
    async with session(rig) as s:
        assert text(await s.call_tool("describe_user_details", {}))["organization"]["name"] == "Acme Corp (demo)"
        acme_sessions = set(rig.sandbox.state.live_sessions)
        assert acme_sessions
        rig.store.use_profile("globex")
        await wait_until_async(lambda: rig.bridge.settings.active_profile == "globex", "the bridge switched to Globex")
        with pytest.raises(MCPError, match="Session not found"):
            await s.call_tool("describe_user_details", {})
        # ...and the bridge told Port (here the sandbox) the old session is over, rather than leaving it to expire
        await wait_until_async(lambda: acme_sessions <= rig.sandbox.state.ended_sessions, "Acme's sessions DELETEd")
    async with session(rig) as s:
        assert text(await s.call_tool("describe_user_details", {}))["organization"]["name"] == "Globex (demo)"
    async with session(rig, "/p/acme/mcp") as pinned:  # a pinned profile keeps working whatever is active
        assert text(await pinned.call_tool("describe_user_details", {}))["organization"]["name"] == "Acme Corp (demo)"


async def test_a_call_under_way_during_a_switch_is_answered_before_its_session_is_deleted(rig: Stack) -> None:
    """The switch ends the session for new requests at once (404), but the old session is DELETEd upstream only after
    what was already under way on it has been answered: a DELETE first would cut that answer off."""
    under_way = asyncio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        under_way.set()  # the sandbox's slow tool reports progress from its start

    async with session(rig) as s:
        await s.list_tools()
        acme_sessions = set(rig.sandbox.state.live_sessions)
        rig.sandbox.faults.slow_tool_seconds = 3.0  # the upstream answers slowly: the switch lands in between
        call = asyncio.ensure_future(s.call_tool("describe_user_details", {}, progress_callback=on_progress))
        await asyncio.wait_for(under_way.wait(), 10)
        rig.store.use_profile("globex")
        await wait_until_async(lambda: rig.bridge.settings.active_profile == "globex", "the bridge switched to Globex")
        assert not call.done(), "the call was answered before the switch: nothing was under way"
        result = await asyncio.wait_for(call, 10)
        assert text(result)["organization"]["name"] == "Acme Corp (demo)"  # asked before the switch: Acme's answer
        await wait_until_async(lambda: acme_sessions <= rig.sandbox.state.ended_sessions, "Acme's sessions DELETEd")


async def test_list_changed_reaches_open_streams_when_the_selection_changes(rig: Stack) -> None:
    got = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, ToolListChangedNotification):
            got.set()

    stream = asyncio.Event()
    async with session(rig, on_response=stream_opened(stream), message_handler=on_message) as s:
        before = {t.name for t in (await s.list_tools()).tools}
        await asyncio.wait_for(stream.wait(), 10)  # the client opens its GET stream after initializing
        rig.store.set_profile("acme", tools={"mode": "deny", "names": ["list_blueprints"]})
        with anyio.fail_after(5):
            await got.wait()
        after = {t.name for t in (await s.list_tools()).tools}
        assert before - after == {"list_blueprints"}


async def test_expired_token_is_refreshed_and_replayed(rig: Stack) -> None:
    async with session(rig) as s:
        await s.list_tools()
        rig.sandbox.tokens.expire_all()
        assert (await s.list_tools()).tools  # 401 upstream, new token, same request again


async def test_refused_sign_in_is_a_clear_error(rig: Stack) -> None:
    rig.sandbox.faults.force_401 = True
    async with httpx2.AsyncClient(headers=rig.headers(Accept="application/json, text/event-stream")) as http:
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        r = await http.post(rig.url, json={"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": params})
    body = r.json()
    assert r.status_code == 200 and body["id"] == 7 and body["error"]["code"] == SIGN_IN_REQUIRED
    assert body["error"]["message"].startswith("Sign in to Acme:")
    assert "www-authenticate" not in r.headers  # the IDE must not start its own OAuth against Port
    # The tray must show "sign-in needed" (not "unreachable"), and once Port accepts again, "signed in".
    assert {s.id: (s.state, s.last_error) for s in rig.bridge.status()}["acme"] == ("needs_sign_in", None)
    rig.sandbox.faults.force_401 = False
    async with httpx2.AsyncClient(headers=rig.headers(Accept="application/json, text/event-stream")) as http:
        await http.post(rig.url, json={"jsonrpc": "2.0", "id": 8, "method": "initialize", "params": params})
    assert {s.id: s.state for s in rig.bridge.status()}["acme"] == "signed_in"


async def test_unreachable_upstream_fails_fast_with_a_pointer_to_doctor(rig: Stack) -> None:
    rig.store.add_profile("Gone", "http://127.0.0.1:9/v1", auth_mode="token", make_active=False)
    rig.store.set_profile("gone", auth_mode="token")
    await wait_until_async(lambda: rig.bridge.settings.find_profile("gone") is not None, "the bridge read Gone")
    from tests.support.stack import CREDENTIALS

    CREDENTIALS["gone"] = "acme-builder-demo"
    try:
        start = time.monotonic()
        async with httpx2.AsyncClient(headers=rig.headers(Accept="application/json, text/event-stream")) as http:
            r = await http.post(f"{rig.bridge.url}/p/gone/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        error = r.json()["error"]
        assert error["code"] == UPSTREAM_UNAVAILABLE and "127.0.0.1:9" in error["message"]
        # Fast is the contract here (a refused connection is not waited out); 10 s is far above what it takes.
        assert "port-mcp-bridge doctor" in error["message"] and time.monotonic() - start < 10
    finally:
        del CREDENTIALS["gone"]


async def test_modern_stateless_era_through_the_bridge(rig: Stack) -> None:
    async with (
        httpx2.AsyncClient(headers=rig.headers()) as http,
        Client(streamable_http_client(rig.url, http_client=http), cache=None) as client,
    ):
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
        assert json.loads(result.content[0].text)["count"] == 36  # type: ignore[union-attr]


async def test_an_answer_has_one_date_and_keeps_its_length(rig: Stack) -> None:
    """Port's Date is replaced by the bridge's own (uvicorn dates every answer; two Date headers are malformed)."""
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    async with httpx2.AsyncClient(headers=rig.headers(Accept="application/json, text/event-stream")) as http:
        answer = await http.post(rig.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello})
    assert answer.status_code == 200
    assert len(answer.headers.get_list("date")) == 1
    assert answer.headers["mcp-session-id"]
    assert "set-cookie" not in answer.headers
    # An answer passed on as it came keeps its length (a notification's 202 has no body: not a chunked empty one).
    async with httpx2.AsyncClient(headers=rig.headers(Accept="application/json, text/event-stream")) as http:
        accepted = await http.post(
            rig.url,
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            headers={"Mcp-Session-Id": answer.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"},
        )
    assert accepted.status_code == 202
    assert accepted.headers["content-length"] == "0"
    assert "transfer-encoding" not in accepted.headers


async def test_a_session_the_bridge_did_not_create_is_not_forwarded(rig: Stack) -> None:
    """A real upstream session id the bridge never saw created (another client, or before a restart) gets 404."""
    accept = {"Accept": "application/json, text/event-stream"}
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    async with httpx2.AsyncClient() as http:
        direct = await http.post(
            rig.sandbox.mcp_url,
            json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
            headers={**accept, "Authorization": f"Bearer {machine_token(rig.sandbox)}"},
        )
        foreign = direct.headers["mcp-session-id"]  # valid upstream, unknown to the bridge
        r = await http.post(rig.url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                            headers={**rig.headers(**accept), "Mcp-Session-Id": foreign})  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["message"] == "Session not found"
