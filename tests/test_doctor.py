"""Doctor's network checks: the same path as the bridge (proxy, certificate authorities), with advice that helps."""

from __future__ import annotations

import socket

import pytest

from bridge.doctor import PORT_IPS, check_connect, check_trust, proxy_for
from bridge.sandbox import Sandbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    assert PORT_IPS["us"] in check.advice and "VPN" in check.advice


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
