"""`port-mcp-bridge demo`: the sandbox and the bridge together, a short scripted session, then keep serving.

A first look that needs no Port account, no display and no keychain: settings live in a temporary folder and the
sandbox's demo credentials sign in in token mode.
"""

from __future__ import annotations

import json
import secrets
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp.types import CallToolResult, TextContent

from bridge.auth.tokens import ClientCredentialsProvider, TokenProvider
from bridge.errors import PortInUse
from bridge.mcp_client import mcp_session
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import Profile, SettingsStore

DEMO_CLIENT = "acme-builder-demo"  # the sandbox's builder in Acme: every tool, as a Port admin sees them


def demo_tokens(profile: Profile) -> TokenProvider:
    """A demo profile's tokens: the sandbox's public demo credentials, never the keychain."""
    secret = DEMO_CREDENTIALS[DEMO_CLIENT][0]
    return ClientCredentialsProvider(profile.api_url, DEMO_CLIENT, secret, profile_name=profile.name)


def start(port: int, sandbox_port: int = 0, *, folder: Path | None = None) -> tuple[Sandbox, BridgeService]:
    box = Sandbox(sandbox_port).start()
    store = SettingsStore((folder or Path(tempfile.mkdtemp(prefix="port-mcp-bridge-demo-"))) / "settings.json")
    store.add_profile(
        "Acme (sandbox)", box.mcp_url, organization="Acme Corp (demo)", auth_mode="token", make_active=True
    )
    key = secrets.token_urlsafe(24)  # demo only: a fresh key, so the demo never needs the keychain
    try:
        bridge = BridgeService(store, port=port, tokens=demo_tokens, key=key).start()
    except PortInUse:
        bridge = BridgeService(store, port=0, tokens=demo_tokens, key=key).start()
    return box, bridge


async def scripted_session(url: str, key: str, say: Callable[[str], None]) -> dict[str, Any]:
    """What an assistant would do: list tools, answer a question, run an action and follow it."""
    async with mcp_session(url, {"Authorization": f"Bearer {key}"}) as session:
        tools = (await session.list_tools()).tools
        say(f"1. The assistant sees {len(tools)} Port tools, e.g. {', '.join(t.name for t in tools[:4])}, …")
        found = await session.call_tool(
            "list_entities", {"blueprintIdentifier": "service", "identifiers": ["order-processing"]}
        )
        service = _answer(found)["entities"][0]
        say(f'2. "Who owns OrderProcessing?" → team {", ".join(service["team"])} (from list_entities)')
        started = await session.call_tool(
            "run_action",
            {"actionIdentifier": "scaffold_microservice", "properties": {"service_name": "reporting-service"}},
        )
        run = _answer(started)["run"]
        say(f"3. run_action scaffold_microservice → run {run['id']} {run['status']}")
        done = await session.call_tool("track_action_run", {"runId": run["id"], "waitForCompletion": True})
        final = _answer(done)["run"]
        say(f"4. track_action_run → {final['status']}: {final['summary']}")
        return {"tools": len(tools), "owner": service["team"], "run": final["status"]}


def _answer(result: CallToolResult) -> Any:
    """A sandbox tool's answer: the JSON in its first content block."""
    block = result.content[0]
    assert isinstance(block, TextContent), block  # the sandbox's tools answer in one text block
    return json.loads(block.text)


def cursor_config(url: str, key: str) -> str:
    return json.dumps({"mcpServers": {"port": {"url": url, "headers": {"Authorization": f"Bearer {key}"}}}}, indent=2)


def _stop_on_signals() -> None:
    """Ctrl+C and SIGTERM stop the demo cleanly, even when the parent started us with SIGINT ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def run(port: int, say: Callable[[str], None] = print) -> None:
    _stop_on_signals()
    box, bridge = start(port)
    try:
        url = f"{bridge.url}/mcp"
        say(f"Port sandbox (demo data) at {box.mcp_url}; Port MCP Bridge at {url}.\n")
        anyio.run(scripted_session, url, bridge.key or "", say)
        say("\nPoint your IDE at the bridge. For Cursor, put this in ~/.cursor/mcp.json:\n")
        say(cursor_config(url, bridge.key or ""))
        say("\nServing until Ctrl+C.")
        anyio.run(anyio.sleep_forever)
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
        box.stop()
