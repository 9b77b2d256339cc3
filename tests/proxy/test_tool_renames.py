"""A tool renamed by Port, seen through the bridge (issue 16, section 3): a profile's allow list names the old name,
the sandbox renames the tool (its `renamed_tools` knob), and the next `tools/list` through the bridge makes the facade
report the rename, where before it silently hid the tool's new name."""

from __future__ import annotations

import anyio
import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from bridge.api import BridgeApi, ToolExposure
from bridge.sandbox import Sandbox
from tests.support.mcp import mcp_client


async def _listed(url: str, key: str) -> list[str]:
    async with mcp_client(url, {"Authorization": f"Bearer {key}"}) as session:
        return sorted(t.name for t in (await session.list_tools()).tools)


def listed(api: BridgeApi) -> list[str]:
    return anyio.run(_listed, api.snapshot().mcp_url, api.local_key() or "")


async def _call(url: str, key: str, name: str) -> tuple[bool, str]:
    async with mcp_client(url, {"Authorization": f"Bearer {key}"}) as session:
        try:
            result = await session.call_tool(name, {})
        except MCPError as exc:  # Port answers an unknown tool with a JSON-RPC error
            return True, exc.message
        return bool(result.is_error), " ".join(getattr(c, "text", "") for c in result.content)


def call(api: BridgeApi, name: str) -> tuple[bool, str]:
    return anyio.run(_call, api.snapshot().mcp_url, api.local_key() or "", name)


def test_a_rename_by_port_is_reported_by_the_facade(api: BridgeApi, sandbox: Sandbox) -> None:
    sandbox.faults.renamed_tools = {"list_blueprints": "get_blueprints"}  # Port's earlier name for it
    api.start()
    api.set_tools("acme", ToolExposure(mode="allow", names=["get_blueprints", "list_entities"]))
    assert listed(api) == ["get_blueprints", "list_entities"]
    active = api.snapshot().active
    assert active is not None and not active.tool_drift  # every name the list holds is listed

    sandbox.faults.update({"renamed_tools": {}})  # Port renames get_blueprints to list_blueprints
    assert listed(api) == ["list_entities"]  # the allow list now hides the tool under its new name...
    drift = api.snapshot().active.tool_drift  # type: ignore[union-attr]
    assert drift  # ... and the facade says so
    assert drift.missing == ("get_blueprints",) and drift.renames == (("get_blueprints", "list_blueprints"),)
    assert drift.new == ("list_blueprints",)  # appeared since the earlier list
    assert drift.summary() == "get_blueprints → list_blueprints?"
    assert api.snapshot().active.tool_drift == drift  # type: ignore[union-attr]  # the same, until something changes
    status = httpx2.get(api.snapshot().mcp_url.removesuffix("/mcp") + "/status",
                        headers={"Authorization": f"Bearer {api.local_key()}"}).json()  # fmt: skip
    assert status["profiles"][0]["tool_drift"]["missing"] == ["get_blueprints"]

    # Using the new name, as the Tools page's button does, ends it; the next list shows the tool again.
    api.set_tools("acme", ToolExposure(mode="allow", names=drift.updated_names(["get_blueprints", "list_entities"])))
    assert not api.snapshot().active.tool_drift  # type: ignore[union-attr]
    assert listed(api) == ["list_blueprints", "list_entities"]


def test_read_only_hiding_write_tools_is_not_a_rename(api: BridgeApi) -> None:
    api.start()
    api.set_tools("acme", ToolExposure(mode="deny", names=["delete_entity"]))
    api.edit_profile("acme", read_only=True)
    assert "delete_entity" not in listed(api) and "list_entities" in listed(api)
    active = api.snapshot().active
    assert active is not None and active.tool_drift is not None and not active.tool_drift


def test_the_sandbox_knob_lists_and_calls_by_the_new_name_only(api: BridgeApi, sandbox: Sandbox) -> None:
    api.start()
    sandbox.faults.renamed_tools = {"list_blueprints": "get_blueprints"}
    names = listed(api)
    assert "get_blueprints" in names and "list_blueprints" not in names
    error, text = call(api, "get_blueprints")
    assert not error and "service" in text  # the tool itself, under its new name
    error, text = call(api, "list_blueprints")
    assert error and "Unknown tool: list_blueprints" in text


def test_the_sandbox_knob_is_checked_and_set_over_http_too(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="must map old tool names"):
        sandbox.faults.update({"renamed_tools": ["x"]})
    answer = httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"renamed_tools": {"list_blueprints": "b"}})
    assert answer.json()["renamed_tools"] == {"list_blueprints": "b"}
