"""Token mode (Port's REST token endpoint and client_credentials) and every fault knob, over loopback."""

from __future__ import annotations

import time

import httpx2
import pytest
from mcp import MCPError

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from tests.sandbox.conftest import BUILDER, machine_token, mcp_session, session_fails
from tests.support.mcp import cancel_once_under_way

SECRET = DEMO_CREDENTIALS[BUILDER][0]


def test_access_token_endpoint_answers_like_port(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/v1/auth/access_token"
    first = httpx2.post(url, json={"clientId": BUILDER, "clientSecret": SECRET}).json()
    assert first["ok"] is True and first["tokenType"] == "Bearer" and first["expiresIn"] == 10800
    sandbox.state.advance_clock(100)
    second = httpx2.post(url, json={"clientId": BUILDER, "clientSecret": SECRET}).json()
    assert second["accessToken"] == first["accessToken"]  # one active token per credential
    assert second["expiresIn"] <= 10800 - 100
    bad = httpx2.post(url, json={"clientId": BUILDER, "clientSecret": "wrong"})
    assert bad.status_code == 401
    assert bad.json() == {
        "ok": False,
        "error": "invalid_credentials",
        "message": "Invalid credentials supplied to the generate token API",
    }
    extra = httpx2.post(url, json={"clientId": BUILDER, "clientSecret": SECRET, "x": 1})
    assert extra.status_code == 422 and extra.json()["ok"] is False
    sandbox.state.advance_clock(10800)
    renewed = httpx2.post(url, json={"clientId": BUILDER, "clientSecret": SECRET}).json()
    assert renewed["accessToken"] != first["accessToken"] and renewed["expiresIn"] == 10800


def test_client_credentials_grant_and_its_rate_limit(sandbox: Sandbox) -> None:
    form = {"grant_type": "client_credentials", "client_id": BUILDER, "client_secret": SECRET}
    first = httpx2.post(f"{sandbox.mcp_url}/token", data=form)
    assert first.status_code == 200 and "refresh_token" not in first.json()
    assert first.json()["token_type"] == "Bearer" and first.json()["expires_in"] > 10000
    for _ in range(49):
        assert httpx2.post(f"{sandbox.mcp_url}/token", data=form).status_code == 200
    limited = httpx2.post(f"{sandbox.mcp_url}/token", data=form)
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    sandbox.state.advance_clock(901)
    assert httpx2.post(f"{sandbox.mcp_url}/token", data=form).status_code == 200


async def test_force_401_and_expire_tokens(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    sandbox.faults.force_401 = True
    with session_fails():
        async with mcp_session(sandbox, token):
            pass
    sandbox.faults.force_401 = False
    async with mcp_session(sandbox, token) as s:
        await s.list_tools()
    assert httpx2.post(f"{sandbox.url}/_sandbox/expire-tokens").json() == {"ok": True}
    with session_fails():
        async with mcp_session(sandbox, token):
            pass
    async with mcp_session(sandbox, machine_token(sandbox)) as s:  # a new token works again
        await s.list_tools()


async def test_error_rate_answers_503(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    r = httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"error_rate": 1.0})
    assert r.json()["error_rate"] == 1.0
    raw = httpx2.post(sandbox.mcp_url, json={}, headers={"Authorization": f"Bearer {token}"})
    assert raw.status_code == 503
    sandbox.faults.error_rate = 0.5
    codes = [httpx2.post(sandbox.mcp_url, json={}, headers={"Authorization": f"Bearer {token}"}).status_code
             for _ in range(40)]  # fmt: skip
    assert 503 in codes and any(c != 503 for c in codes)


async def test_latency_is_added(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    async with mcp_session(sandbox, token) as s:
        start = time.perf_counter()
        await s.list_tools()
        fast = time.perf_counter() - start
        sandbox.faults.latency = 0.3
        start = time.perf_counter()
        await s.list_tools()
        # The delay is the fault's whole point, so time is what this checks: at least the latency asked for, where
        # the same request took less before (a local list takes milliseconds).
        assert time.perf_counter() - start >= 0.3 > fast


async def test_slow_tool_reports_progress_and_can_be_cancelled(sandbox: Sandbox) -> None:
    sandbox.faults.slow_tool_seconds = 0.5
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        result = await s.call_tool("describe_user_details", {}, progress_callback=on_progress)
        assert not result.is_error and seen == list(range(10))
        sandbox.faults.slow_tool_seconds = 5
        await cancel_once_under_way(s, "describe_user_details")
        sandbox.faults.slow_tool_seconds = 0
        assert not (await s.call_tool("describe_user_details", {})).is_error  # the session survives


async def test_cut_stream_loses_the_response(sandbox: Sandbox) -> None:
    sandbox.faults.slow_tool_seconds = 0.2
    async with mcp_session(sandbox, machine_token(sandbox)) as s:
        sandbox.faults.cut_streams = 1

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            return None

        with pytest.raises(MCPError):  # the first event (progress) arrives, the result never does
            await s.call_tool("describe_user_details", {}, progress_callback=on_progress, read_timeout_seconds=2)
        assert sandbox.faults.cut_streams == 0
        sandbox.faults.slow_tool_seconds = 0
        assert not (await s.call_tool("describe_user_details", {})).is_error


async def test_expired_sessions_get_404_and_clients_start_over(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    async with mcp_session(sandbox, token) as s:
        await s.list_tools()
        expired = httpx2.post(f"{sandbox.url}/_sandbox/expire-sessions").json()
        assert expired["expired"] >= 1
        with pytest.raises(MCPError, match="Session not found"):
            await s.list_tools()
    async with mcp_session(sandbox, token) as s:  # re-initialising gives a fresh session
        assert (await s.list_tools()).tools


def test_admin_endpoint_refuses_browsers_and_bad_knobs(sandbox: Sandbox) -> None:
    r = httpx2.post(
        f"{sandbox.url}/_sandbox/faults", json={"force_401": True}, headers={"Origin": "http://evil.example"}
    )
    assert r.status_code == 403 and sandbox.faults.force_401 is False
    r = httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"no_such_knob": 1})
    assert r.status_code == 400 and "Unknown fault knob" in r.json()["error"]
    r = httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"force_401": "yes"})
    assert r.status_code == 400
    assert httpx2.post(f"{sandbox.url}/_sandbox/teleport").status_code == 404
    sandbox.faults.latency = 1
    assert httpx2.post(f"{sandbox.url}/_sandbox/reset").json() == {"ok": True}
    assert sandbox.faults.latency == 0


def test_mcp_endpoint_checks_host_against_dns_rebinding(sandbox: Sandbox) -> None:
    token = machine_token(sandbox)
    r = httpx2.post(
        sandbox.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"Authorization": f"Bearer {token}", "Host": "evil.example", "Accept": "application/json"},
    )
    assert r.status_code == 421


def test_faults_can_be_set_at_start() -> None:
    from bridge.sandbox import Faults

    with Sandbox(faults=Faults(force_401=True)) as box:
        token = machine_token(box)
        r = httpx2.post(box.mcp_url, json={}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and "forced 401" in r.json()["error_description"]
