"""Activity end to end: the official MCP client calls tools through the real bridge (its recorder the `ActivityLog`
`activity_log` builds) in front of the sandbox; the facade and `port-mcp-bridge activity` read back what it wrote.

Needs `BridgeService(recorder=)`, which the proxy's recording (branch act-proxy) adds; skipped until it is there.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcp import MCPError
from mcp.types import Implementation

from bridge.activity.log import ActivityLog, activity_log
from bridge.api import BridgeApi
from bridge.cli import cli
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.settings import Settings, SettingsStore
from tests.support.mcp import mcp_client
from tests.support.stack import demo_tokens

pytestmark = [
    pytest.mark.skipif(
        "recorder" not in inspect.signature(BridgeService).parameters,
        reason="BridgeService takes no recorder yet (the proxy's recording, branch act-proxy)",
    ),
    pytest.mark.timeout(60),
]
PASSWORD = "hunter2-test-only-0123456789"


@pytest.fixture
def bridged(settings_home: Path) -> Iterator[tuple[BridgeService, ActivityLog, SettingsStore]]:
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=11)).start()
    store = SettingsStore()
    store.add_profile("Acme", box.mcp_url, organization="Acme Corp", auth_mode="token", make_active=True)
    store.set_profile("acme", record_arguments=True)
    live: list[Settings] = [store.load()]
    log = activity_log(lambda: live[0])
    service = BridgeService(store, port=0, tokens=demo_tokens, key="local-key-test-only-activity-0123", recorder=log)
    live[0] = service.settings
    service.start()
    try:
        yield service, log, store
    finally:
        service.stop()
        log.close()
        box.stop()


async def test_calls_through_the_bridge_are_in_activity(
    bridged: tuple[BridgeService, ActivityLog, SettingsStore],
) -> None:
    service, log, store = bridged
    headers = {"Authorization": "Bearer local-key-test-only-activity-0123"}
    ide = Implementation(name="test-ide", version="9.9")
    async with mcp_client(f"{service.url}/mcp", headers, client_info=ide) as s:
        assert not (await s.call_tool("describe_user_details", {})).is_error
        ran = await s.call_tool(
            "run_action",
            {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "act-svc"},
             "password": PASSWORD},
        )  # fmt: skip
        assert not ran.is_error, ran.content
    store.set_profile("acme", read_only=True)
    settings = store.load()

    async def apply() -> None:
        service.apply_settings(settings)

    await asyncio.wrap_future(service.submit(apply()))
    async with mcp_client(f"{service.url}/mcp", headers, client_info=ide) as s:
        with pytest.raises(MCPError):
            await s.call_tool("run_action", {"actionIdentifier": "scaffold_microservice", "properties": {}})
    assert log.flush()

    records = BridgeApi(store).activity.recent()
    assert [(r.tool, r.outcome) for r in records] == [
        ("run_action", "refused"),
        ("run_action", "ok"),
        ("describe_user_details", "ok"),
    ]
    assert {(r.client, r.client_version, r.profile_id, r.organization) for r in records} == {
        ("test-ide", "9.9", "acme", "Acme Corp")
    }
    refused, ran_record, _ = records
    assert refused.detail  # which rule
    assert ran_record.action == "scaffold_microservice" and (ran_record.run_id or "").startswith("r_")
    assert ran_record.arguments is not None and ran_record.arguments["password"] == "[redacted]"
    text = log.path.read_text("utf-8") if log.path else ""
    assert PASSWORD not in text and "local-key-test-only-activity-0123" not in text

    result = CliRunner().invoke(cli, ["activity", "--json", "--outcome", "ok"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["tool"] for line in result.output.splitlines()] == ["describe_user_details", "run_action"]
