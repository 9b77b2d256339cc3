"""Doctor's network checks: the same path as the bridge (proxy, certificate authorities), with advice that helps."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx2
import pytest

from bridge.doctor import (
    _blocked_advice,
    check_connect,
    check_mcp,
    check_token,
    check_trust,
    mcp_checks,
    proxy_for,
    read_only_tokens,
)
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore
from bridge.settings.values import PORT_REGIONS, Region
from tests.sandbox.conftest import machine_token
from tests.support.net import free_port
from tests.support.upstream import read_request, serving


def test_proxy_settings_are_read_as_the_bridge_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://mcp.port.io/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    assert proxy_for("https://mcp.port.io/v1") == "http://proxy.corp.example:3128"
    monkeypatch.setenv("NO_PROXY", ".port.io")
    assert proxy_for("https://mcp.port.io/v1") is None


def test_a_proxy_that_refuses_is_named_with_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = free_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    check = check_connect("mcp.port.io", 443, True, region="eu")
    assert not check.ok and f"127.0.0.1:{dead}" in check.detail and "proxy" in check.detail
    assert "HTTPS_PROXY" in check.advice


def test_a_blocked_port_host_gets_the_allow_list_for_its_region() -> None:
    closed = free_port()
    check = check_connect("127.0.0.1", closed, False, region="us")
    assert not check.ok and check.name == "Connection"
    assert PORT_REGIONS[Region.US].egress_ips in check.advice and "VPN" in check.advice
    assert "mcp.us.port.io on purpose" in check.advice


def test_plain_http_on_loopback_connects() -> None:
    with Sandbox() as box:
        check = check_connect("127.0.0.1", box.port, False)
    assert check.ok, check


def test_custom_certificate_authorities_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert "certifi" in check_trust().detail
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/corp/ca.pem")
    assert "SSL_CERT_FILE=/etc/corp/ca.pem" in check_trust().detail


async def test_the_mcp_check_follows_a_same_server_redirect_as_the_bridge_does_and_says_how_to_skip_it(
    tmp_path: Path,
) -> None:
    box = Sandbox().start()
    try:
        store = SettingsStore(tmp_path / "settings.json")
        store.add_profile("Acme", box.mcp_url + "/", auth_mode="token")  # a trailing slash: the server answers 307
        check = await check_mcp(store.load().get_profile("acme"), machine_token(box))
    finally:
        box.stop()
    assert check.ok, check
    assert f"after a redirect to {box.mcp_url}" in check.detail
    assert f"port-mcp-bridge profiles set acme --region {box.mcp_url}" in check.cli
    assert "port-mcp-bridge" not in check.advice and box.mcp_url in check.advice


async def test_the_mcp_check_reports_a_redirect_to_another_server(tmp_path: Path) -> None:
    async def elsewhere(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 308 Permanent Redirect\r\nlocation: https://mcp.example/v1\r\ncontent-length: 0\r\n\r\n"
        )
        await writer.drain()

    async with serving(elsewhere) as upstream:
        store = SettingsStore(tmp_path / "settings.json")
        store.add_profile("Odd", f"http://127.0.0.1:{upstream.port}/v1", auth_mode="token")
        check = await check_mcp(store.load().get_profile("odd"), "t")
    assert not check.ok
    assert "redirects to https://mcp.example/v1 (HTTP 308)" in check.detail
    assert "profiles set odd --region <URL>" in check.cli and "Settings → Profiles" in check.advice


async def test_the_mcp_check_reads_a_blocked_request_as_the_network_and_a_404_as_the_address(tmp_path: Path) -> None:
    pages = iter([b"403 Forbidden", b"404 Not Found"])

    async def refusing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 %s\r\ncontent-type: text/html\r\ncontent-length: 6\r\n\r\n<html>" % next(pages))
            await writer.drain()

    async with serving(refusing) as upstream:
        store = SettingsStore(tmp_path / "settings.json")
        store.add_profile("Odd", f"http://127.0.0.1:{upstream.port}/v1", auth_mode="token")
        profile = store.load().get_profile("odd")
        blocked = await check_mcp(profile, "t")
        missing = await check_mcp(profile, "t")
    assert not blocked.ok and "refused the request on the way to Port" in blocked.detail
    assert "firewall, proxy or VPN" in blocked.advice
    assert not missing.ok and f"no MCP endpoint at {profile.mcp_url}" in missing.detail
    assert "profiles set odd --region eu|us|<URL>" in missing.cli and "Settings → Profiles" in missing.advice


def test_the_allow_list_advice_names_the_mcp_host_an_administrator_may_block_on_purpose() -> None:
    advice = _blocked_advice("eu")
    assert PORT_REGIONS[Region.EU].egress_ips in advice
    assert "mcp.port.io on purpose" in advice and "administrator" in advice
    assert "mcp.us.port.io on purpose" in _blocked_advice("us")


async def test_the_mcp_checks_list_the_tools_and_call_a_read_only_one(tmp_path: Path) -> None:
    with Sandbox() as box:
        store = SettingsStore(tmp_path / "settings.json")
        store.add_profile("Acme", box.mcp_url, auth_mode="token")
        checks = await mcp_checks(store.load().get_profile("acme"), machine_token(box))
    assert [c.name for c in checks] == ["MCP", "Tools", "Tool call"] and all(c.ok for c in checks), checks
    assert "tools/list answered" in checks[1].detail and "describe_user_details (read-only)" in checks[2].detail


async def test_tools_listed_but_calls_blocked_get_the_regions_allow_list_as_ports_guide_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Port's guide: "If your MCP client shows the Port tools but all tool calls fail when connected to a corporate
    VPN or behind a firewall…": a firewall in front of the sandbox lets everything through but tools/call."""
    with Sandbox() as box:
        token = machine_token(box)

        async def firewall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            async with httpx2.AsyncClient(timeout=10) as http:
                while True:
                    raw = await read_request(reader)
                    head, _, body = raw.partition(b"\r\n\r\n")
                    method, path = head.split(b" ")[:2]
                    if b'"tools/call"' in body:
                        page = b"<html>Blocked by your organization's firewall</html>"
                        writer.write(b"HTTP/1.1 403 Forbidden\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n"
                                     % len(page) + page)  # fmt: skip
                        await writer.drain()
                        continue
                    lines = [line.split(b":", 1) for line in head.split(b"\r\n")[1:]]
                    headers = {k.decode(): v.strip().decode() for k, v in lines if k.lower() != b"host"}
                    answer = await http.request(method.decode(), box.url + path.decode(), headers=headers,
                                                content=body)  # fmt: skip
                    keep = {k: v for k, v in answer.headers.items() if k in ("content-type", "mcp-session-id")}
                    out = b"".join(f"{k}: {v}\r\n".encode() for k, v in keep.items())
                    writer.write(b"HTTP/1.1 %d X\r\n%scontent-length: %d\r\n\r\n%s"
                                 % (answer.status_code, out, len(answer.content), answer.content))  # fmt: skip
                    await writer.drain()

        async with serving(firewall) as gate:
            eu = dataclasses.replace(PORT_REGIONS[Region.EU], mcp_url=f"http://127.0.0.1:{gate.port}/v1")
            monkeypatch.setitem(PORT_REGIONS, Region.EU, eu)
            store = SettingsStore(tmp_path / "settings.json")
            store.add_profile("Work", "eu", auth_mode="token")
            checks = await mcp_checks(store.load().get_profile("work"), token)
    assert [c.name for c in checks] == ["MCP", "Tools", "Tool call"], checks
    assert checks[0].ok and checks[1].ok and not checks[2].ok
    assert "HTTP 403" in checks[2].detail
    assert "tools are listed but calling one fails" in checks[2].advice
    assert PORT_REGIONS[Region.EU].egress_ips in checks[2].advice and "on purpose" in checks[2].advice


async def test_a_browser_profile_that_never_signed_in_gets_the_sso_explanation(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    store.add_profile("Work", "us")
    never = store.load().get_profile("work")
    check, token = await check_token(never, read_only_tokens(never))
    assert token is None and not check.ok
    assert "never completed a sign-in" in check.advice and '"Oops!, something went wrong"' in check.advice
    assert "domain level" in check.advice and "Region: US." in check.advice and "API credentials" in check.advice
    store.set_profile("work", organization_id="org_1", organization="Acme")  # signed in once, then signed out
    before = store.load().get_profile("work")
    check, _ = await check_token(before, read_only_tokens(before))
    assert not check.ok and "Oops!" not in check.advice and "Sign in again" in check.advice


def test_failed_checks_get_buttons_and_a_blocked_eu_network_gets_ports_addresses_to_copy() -> None:
    from bridge.doctor import BLOCKED, Check, _blocked_advice, check_actions
    from bridge.errors import Do

    blocked = Check("Connection", False, "Cannot connect to mcp.port.io:443 (timed out).", _blocked_advice("eu"))
    (copy,) = check_actions(blocked, "eu")
    assert copy.do is Do.COPY_LINK and "mcp.port.io" in copy.target and "api.port.io" in copy.target
    assert "3.251.12.205" in copy.target and BLOCKED in blocked.advice
    assert check_actions(blocked, "custom") == ()  # no published addresses for a custom URL
    assert check_actions(Check("Connection", True, "ok"), "eu") == ()
    (sign_in,) = check_actions(Check("Sign-in", False, "no saved sign-in"), "us")
    assert sign_in.do is Do.SIGN_IN
    assert check_actions(Check("Sign-in", False, "x"), "us", demo=True) == ()  # the demo signs in by itself
    taken = Check("Local port", False, "Another program answers on 127.0.0.1:47773.")
    assert [a.do for a in check_actions(taken, "eu")] == [Do.CHOOSE_PORT]
