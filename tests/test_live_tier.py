"""The live tier (tests/live, docs/live-tests.md) run whole, as a person with a Port account runs it, but against the
sandbox on loopback with its demo credentials: the tier's code path is the one a real organization gets, only the
hidden PORT_LIVE_MCP_URL / PORT_LIVE_API_URL point it elsewhere. And without the variables it is skipped cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from bridge.endpoint import bind
from bridge.sandbox import Sandbox, SandboxConfig, SandboxState, build_app
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.system.loopback import LoopbackServer
from tests.live.target import NEEDED, SKIP_REASON
from tests.support.processes import ROOT, child_env

pytestmark = pytest.mark.slow
LIVE_VARIABLES = (*NEEDED, "PORT_LIVE_MCP_URL", "PORT_LIVE_API_URL", "PORT_LIVE_RECORD", "PORT_LIVE_FIXTURES")


def run_tier(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in child_env(tmp_path).items() if k not in LIVE_VARIABLES and not k.startswith("PYTEST_")}
    command = [sys.executable, "-m", "pytest", "tests/live", "-p", "no:cacheprovider", "-rs", "-q"]
    return subprocess.run(
        command, cwd=ROOT, env={**env, **variables}, capture_output=True, text=True, timeout=110, check=False
    )


def test_the_live_tier_passes_against_the_sandbox_and_records_its_tools(sandbox: Sandbox, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    done = run_tier(
        tmp_path,
        PORT_CLIENT_ID="acme-builder-demo",
        PORT_CLIENT_SECRET=DEMO_CREDENTIALS["acme-builder-demo"][0],
        PORT_REGION="eu",
        PORT_LIVE_MCP_URL=sandbox.mcp_url,
        PORT_LIVE_RECORD="1",
        PORT_LIVE_FIXTURES=str(fixtures),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout
    assert "Port compared with the sandbox" in done.stdout
    assert f"Port: {sandbox.mcp_url} (eu); sandbox: current era, builder credential" in done.stdout
    assert "  no differences" in done.stdout, done.stdout  # the same sandbox on both sides
    recorded = json.loads((fixtures / f"live-eu-{datetime.now(UTC).date().isoformat()}.json").read_text())
    assert recorded["credential_role"] == "builder" and recorded["commit"] is None
    assert recorded["transport"] == {"session_id": True, "media_types": ["application/json", "text/event-stream"]}
    tools = {t["name"]: t for t in recorded["tools"]}
    assert tools["list_entities"]["read_only"] and not tools["upsert_entity"]["read_only"]
    assert tools["run_action"]["roles"] is None and tools["run_action"]["annotations"]["readOnlyHint"] is False
    assert DEMO_CREDENTIALS["acme-builder-demo"][0] not in done.stdout + done.stderr


def test_a_developer_credential_is_compared_with_the_developer_tools(sandbox: Sandbox, tmp_path: Path) -> None:
    done = run_tier(
        tmp_path,
        PORT_CLIENT_ID="acme-developer-demo",
        PORT_CLIENT_SECRET=DEMO_CREDENTIALS["acme-developer-demo"][0],
        PORT_REGION="us",
        PORT_LIVE_MCP_URL=sandbox.mcp_url,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed, 1 skipped" in done.stdout, done.stdout  # not recording
    assert "recording the tool list: set PORT_LIVE_RECORD=1" in done.stdout
    assert "(us); sandbox: current era, developer credential" in done.stdout
    assert "  no differences" in done.stdout, done.stdout


@contextmanager
def port_ignoring(*ignored: bytes) -> Iterator[str]:
    """A sandbox that never sees the `ignored` headers, as a Port that stopped enforcing them would be: its MCP URL."""
    sock = bind(0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app, _ = build_app(SandboxState(SandboxConfig(seed=7)), base)

    async def deaf(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in ignored]}
        await app(scope, receive, send)

    server = LoopbackServer(deaf, sock, name="port-ignoring-headers")
    server.start()
    try:
        yield f"{base}/v1"
    finally:
        server.stop()


def test_a_port_that_ignores_the_headers_fails_the_tier(tmp_path: Path) -> None:
    """Read-only mode not enforced: a failure naming the write tools. Allowed actions not enforced: the refusal of
    an action without its inputs proves nothing, so the check says it is inconclusive instead of passing."""
    with port_ignoring(b"x-read-only-mode", b"x-allowed-actions-to-run") as url:
        done = run_tier(
            tmp_path,
            PORT_CLIENT_ID="acme-builder-demo",
            PORT_CLIENT_SECRET=DEMO_CREDENTIALS["acme-builder-demo"][0],
            PORT_REGION="eu",
            PORT_LIVE_MCP_URL=url,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 2 passed, 2 skipped" in done.stdout, done.stdout
    assert "Port keeps these tools under x-read-only-mode: 1, the bridge counts them as writes" in done.stdout
    assert "upsert_entity" in done.stdout
    assert "inconclusive: Port refused run_action of 'scaffold_microservice' the same way" in done.stdout
    assert "x-read-only-mode: 1 hides only in Port: none; only in the sandbox: " in done.stdout
    assert "its refusal does not show the header at work; the sandbox's does" in done.stdout
    assert "Bearer" not in done.stdout + done.stderr  # a failure's report shows no token and no local key


def test_without_the_variables_every_live_test_is_skipped_in_one_line(tmp_path: Path) -> None:
    done = run_tier(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 skipped" in done.stdout and "warning" not in done.stdout.lower(), done.stdout
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips == [f"SKIPPED [5] tests/live/test_port.py: {SKIP_REASON}"], done.stdout


def test_a_mistyped_region_is_an_error_not_a_skip(tmp_path: Path) -> None:
    done = run_tier(tmp_path, PORT_CLIENT_ID="x", PORT_CLIENT_SECRET="y", PORT_REGION="europe")
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "PORT_REGION must be 'eu' or 'us'" in done.stdout + done.stderr


def test_the_target_comes_from_the_region_table() -> None:
    from bridge.settings.values import PORT_REGIONS, Region
    from tests.live.target import live_target

    target = live_target({"PORT_CLIENT_ID": "a", "PORT_CLIENT_SECRET": "s3cret-value", "PORT_REGION": " US "})
    assert target is not None
    assert (target.mcp_url, target.api_url) == (PORT_REGIONS[Region.US].mcp_url, PORT_REGIONS[Region.US].api_url)
    assert target.region_text == "us" and not target.record and "s3cret-value" not in repr(target)
    assert (
        target.fixture_path(datetime(2026, 12, 6, tzinfo=UTC))
        == ROOT / "tests/fixtures/port_tools/live-us-2026-12-06.json"
    )
    assert live_target({"PORT_CLIENT_ID": "a", "PORT_CLIENT_SECRET": "", "PORT_REGION": "eu"}) is None
