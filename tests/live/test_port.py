"""Checks against the real Port (opt-in: docs/live-tests.md). Each assertion message says what Port answered, so a
failure can be read without re-running it. Port's headers are documented in port-docs
`docs/ai-interfaces/port-mcp-server/overview-and-installation.md` ("MCP server headers"); docs/port-compatibility.md
lists the facts these tests check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.live import probe
from tests.live.conftest import Bridge, SandboxAnswers
from tests.live.target import LiveTarget


def test_token_sign_in_and_the_tool_list_through_the_bridge(bridge: Bridge, port: probe.Answers) -> None:
    """The bridge lists what Port lists (no policy set), a read tool answers through it, and the facade reads the
    organization's actions as the tier does (where Port has `list_actions`)."""
    through = probe.run(probe.list_tools(bridge.url, bridge.headers))
    assert [t["name"] for t in through] == port.names, "the bridge lists other tools than Port does"
    assert port.harmless, f"none of the read tools {probe.HARMLESS} answered: {port.failures or port.names}"
    probe.run(probe.call_json(bridge.url, bridge.headers, port.harmless, {}))
    if "list_actions" in port.names:  # the tray's Actions page reads them through the facade
        actions = [a.identifier for a in bridge.api.fetch_actions(bridge.profile).result(60) if a.kind == "action"]
        assert actions == port.actions, "the facade reads other actions from list_actions than the tier does"


def test_read_only_mode_hides_every_write_tool(bridge: Bridge, port: probe.Answers) -> None:
    """`x-read-only-mode: 1`: Port's list has no tool the bridge counts as a write, and a read-only profile lists the
    same tools through the bridge (the bridge relies on Port's filtering and adds its own)."""
    assert set(port.read_only) <= set(port.names), "read-only mode lists tools the plain list does not have"
    kept = probe.writes_in(t for t in port.tools if t["name"] in set(port.read_only))
    assert not kept, f"Port keeps these tools under x-read-only-mode: 1, the bridge counts them as writes: {kept}"
    bridge.api.set_read_only(bridge.profile, True)
    through = [t["name"] for t in probe.run(probe.list_tools(bridge.url, bridge.headers))]
    assert through == port.read_only, "a read-only profile lists other tools through the bridge than Port does"


def test_allowed_actions_refuse_any_other_action(bridge: Bridge, port: probe.Answers) -> None:
    """With `x-allowed-actions-to-run` naming one action, `run_action` of another is refused by Port, and by the
    bridge for a profile allowed only that action."""
    if port.pair is None:
        pytest.skip(f"needs two self-service actions in the organization; Port listed {port.actions}")
    allowed, other = port.pair
    assert port.refusal is not None
    assert port.refusal.refused, (
        f"Port answered run_action of '{other}' ({port.refusal.kind}: {port.refusal.text!r}) although "
        f"x-allowed-actions-to-run named only '{allowed}'"
    )
    bridge.api.set_allowed_actions(bridge.profile, [allowed])
    refused = probe.run(
        probe.call_tool(bridge.url, bridge.headers, "run_action", {"actionIdentifier": other, "properties": {}})
    )
    assert refused.refused, f"the bridge let run_action of '{other}' through: {refused.text!r}"
    if port.header_unproven():
        assert port.control is not None
        pytest.skip(
            f"inconclusive: Port refused run_action of '{other}' the same way with the action allowed "
            f"({port.control.text!r}); set PORT_LIVE_REFUSED_ACTION to an action without required inputs (it would "
            "run if the header were ignored: docs/live-tests.md)"
        )


def test_records_the_tool_list(target: LiveTarget, port: probe.Answers, sandbox_answers: SandboxAnswers) -> None:
    """PORT_LIVE_RECORD=1: Port's tool list to tests/fixtures/port_tools/live-<region>-<date>.json."""
    if not target.record:
        pytest.skip("recording the tool list: set PORT_LIVE_RECORD=1")
    today = datetime.now(UTC)
    data = probe.fixture(
        port, source=f"live: {target.mcp_url} (tests/live)", date=today.date().isoformat(), role=sandbox_answers.role
    )
    path = target.fixture_path(today)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    assert json.loads(path.read_text())["tools"], "Port listed no tools"


def test_differences_from_the_sandbox(
    target: LiveTarget, port: probe.Answers, sandbox_answers: SandboxAnswers, report: list[str]
) -> None:
    """Reported at the end of the run, never failed: the sandbox is to be brought in line with Port."""
    lines = probe.differences(port, sandbox_answers.answers)
    report.append(f"Port: {target.mcp_url} ({target.region}); sandbox: current era, {sandbox_answers.role} credential")
    report.append(f"  Port's transport: {port.transport.describe()}")
    report.extend(f"  {line}" for line in lines or ["no differences"])
