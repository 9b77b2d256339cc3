"""Doctor's network checks: the same path as the bridge (proxy, certificate authorities), with advice that helps."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bridge.doctor import check_connect, check_mcp, check_trust, proxy_for
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
    assert f"port-mcp-bridge profiles set acme --region {box.mcp_url}" in check.advice


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
    assert "profiles set odd --region <URL>" in check.advice


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
    assert "profiles set odd --region eu|us|<URL>" in missing.advice
