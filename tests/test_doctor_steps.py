"""Doctor lists every step: one that cannot run after a failure says why, and the others still run; the demo
organization is checked as what it is (signed in automatically, on this computer), with its own tokens."""

from __future__ import annotations

import pytest

from bridge import doctor
from bridge.api import BridgeApi
from bridge.sandbox import Sandbox
from bridge.settings import SettingsStore

STEPS = ("Settings", "Keychain", "Local port", "Profile", "DNS", "Connection", "Sign-in", "MCP", "Tools", "Tool call",
         "Tool count")  # fmt: skip


def test_a_failed_sign_in_still_checks_ports_mcp_server_and_lists_the_steps_it_blocks(
    api: BridgeApi, sandbox: Sandbox
) -> None:
    api.add_profile("Nobody", sandbox.mcp_url, "token")  # no API credentials saved
    report = api.doctor("nobody")
    checks = {c.name: c for c in report.checks}
    assert list(checks) == list(STEPS), report.text
    assert (
        not checks["Sign-in"].ok
        and not checks["Sign-in"].skipped
        and "Sign in again from the app's menu" in report.text
    )
    assert checks["MCP"].ok and "asks for a sign-in" in checks["MCP"].detail  # Port's server is there
    for name in ("Tools", "Tool call", "Tool count"):
        assert checks[name].skipped and checks[name].detail.startswith("Not checked:"), report.text
    assert "[skip] Tools: Not checked: it needs the sign-in above." in report.text
    assert "Sign in in" not in report.text and not report.ok


def test_an_unreachable_host_still_tries_the_sign_in(api: BridgeApi) -> None:
    api.add_profile("Closed", "http://127.0.0.1:9/v1", "token")
    report = api.doctor("closed")
    checks = {c.name: c for c in report.checks}
    assert list(checks) == list(STEPS), report.text
    assert not checks["Connection"].ok and not checks["Connection"].skipped
    assert not checks["Sign-in"].skipped  # it ran (and found no credentials)
    assert all(checks[n].skipped for n in ("MCP", "Tools", "Tool call", "Tool count"))
    assert "[FAIL] Connection" in report.text and "[skip] MCP: Not checked: no connection to 127.0.0.1." in report.text


def test_the_demo_checked_without_the_app_says_to_open_the_app() -> None:
    api = BridgeApi(SettingsStore(), port=0)
    try:
        demo = api.start_demo()  # the sandbox starts in this process …
    finally:
        api.stop()  # … and stops with it: as `port-mcp-bridge doctor` sees the demo while the app is closed
    report = api.doctor(demo.id)
    checks = {c.name: c for c in report.checks}
    assert list(checks) == list(STEPS), report.text
    assert "inside the Port MCP Bridge app" in checks["Connection"].detail
    assert checks["Connection"].advice == "Open Port MCP Bridge, then run the checks again."
    assert all(checks[n].skipped for n in ("Sign-in", "MCP", "Tools", "Tool call", "Tool count"))
    assert "the demo organization on this computer" in report.text and "API credentials" not in report.text


def test_the_demo_needs_no_keychain_and_doctor_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "keychain_available", lambda: False)
    assert not doctor.check_keychain().ok
    demo = doctor.check_keychain(demo=True)
    assert demo.ok and "the demo organization does not need one" in demo.detail
