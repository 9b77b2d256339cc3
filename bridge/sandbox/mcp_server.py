"""The sandbox's MCP server (the `mcp` 2.x low-level `Server`), and the gate in front of it.

The gate is plain ASGI: it authenticates the bearer token, reads Port's headers, applies the fault knobs and hands the
`Caller` to the handlers through the request scope. The SDK's session manager does the Streamable HTTP transport
(2025 sessions with `Mcp-Session-Id` and 2026-07-28 stateless requests alike).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import mcp_types as types
from mcp import MCPError
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge import __version__
from bridge.sandbox.state import SandboxState
from bridge.sandbox.tokens import GrantError, TokenStore
from bridge.sandbox.tools import REGISTRY, Caller, ToolNotFound, call_tool, result_text, visible_tools

INSTRUCTIONS = (
    "Port's MCP server gives access to the organization's software catalog (blueprints, entities, scorecards), "
    "self-service actions and workflows. This is the Port sandbox: demo data, safe to change."
)


def parse_allowed_actions(raw: str | None) -> frozenset[str] | None:
    """`x-allowed-actions-to-run`: absent = all, empty = none; quotes and spaces tolerated as Port's docs show them."""
    if raw is None:
        return None
    cleaned = raw.strip().strip('"').strip("'")
    return frozenset(a.strip() for a in cleaned.split(",") if a.strip())


def _caller(ctx: ServerRequestContext[Any]) -> Caller:
    request = ctx.request
    caller = request.scope.get("state", {}).get("sandbox.caller") if request is not None else None
    if caller is None:  # only reachable if the gate is bypassed, which the app never does
        raise MCPError(-32001, "Not authenticated")
    caller.progress = ctx.session.report_progress
    return caller


def build_server(state: SandboxState) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        caller = _caller(ctx)
        tools = visible_tools(caller, state.config.era)
        if state.faults.no_annotations:
            tools = [{k: v for k, v in t.items() if k != "annotations"} for t in tools]
        renamed = state.faults.renamed_tools
        if renamed:
            tools = [{**t, "name": renamed.get(t["name"], t["name"])} for t in tools]
        return types.ListToolsResult(tools=[types.Tool.model_validate(t) for t in tools])

    async def call(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        caller = _caller(ctx)
        state.count_call(params.name)
        slow = state.faults.slow_tool_seconds
        if slow > 0:
            steps = 10
            for step in range(steps):
                await ctx.session.report_progress(step, steps, f"Working on {params.name} ({step + 1}/{steps})")
                await asyncio.sleep(slow / steps)
        renamed = state.faults.renamed_tools
        if params.name in renamed:  # known by its new name only
            raise MCPError(-32602, f"Unknown tool: {params.name}")
        name = next((old for old, new in renamed.items() if new == params.name), params.name)
        try:
            result, is_error = await call_tool(caller, name, params.arguments or {}, state.config.era)
        except ToolNotFound:
            raise MCPError(-32602, _why_hidden(caller, name, state)) from None
        return types.CallToolResult(content=[types.TextContent(text=result_text(result))], is_error=is_error)

    async def list_prompts(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[_prompt(p) for p in _prompts(_caller(ctx))])

    async def get_prompt(ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams) -> types.GetPromptResult:
        prompt = next((p for p in _prompts(_caller(ctx)) if p["name"] == params.name), None)
        if prompt is None:
            raise MCPError(-32602, f"Unknown prompt '{params.name}'.")
        args = params.arguments or {}
        missing = [a["name"] for a in prompt["arguments"] if a.get("required") and not args.get(a["name"])]
        if missing:
            raise MCPError(-32602, f"Prompt '{params.name}' needs the arguments {missing}.")
        text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(args.get(m.group(1), "")), prompt["template"])
        return types.GetPromptResult(
            description=prompt["description"],
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=text))],
        )

    server: Server[Any] = Server(
        "Port MCP Server (sandbox)",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
    server.middleware = []  # no OpenTelemetry in the sandbox
    return server


def _why_hidden(caller: Caller, name: str, state: SandboxState) -> str:
    spec = REGISTRY[state.config.era].get(name)
    if spec is None:
        return f"Unknown tool: {name}"
    if spec.builder_only and caller.role != "builder":
        return f"Tool '{name}' is only available to builders (admins) of the organization."
    if caller.read_only and not spec.read_only:
        return f"Tool '{name}' is not available in read-only mode (x-read-only-mode: 1)."
    return f"Tool '{name}' is not available: no actions are allowed to run (x-allowed-actions-to-run is empty)."


TROUBLESHOOT_PROMPT = {
    "name": "troubleshoot_integration",
    "description": "Diagnose why an integration is not syncing data into Port.",
    "arguments": [{"name": "integration", "description": "Integration identifier", "required": True}],
    "template": (
        "Help me troubleshoot the Port integration '{{integration}}'. Load the troubleshoot-integration skill, "
        "check its sync metrics and ERROR event logs, and test its mapping against the kinds' examples."
    ),
}


def _prompts(caller: Caller) -> list[dict[str, Any]]:
    """Port's static prompt plus one prompt per entity of the organization's `prompt` blueprint."""
    prompts = [TROUBLESHOOT_PROMPT]
    for entity in caller.org.entities.get("prompt", {}).values():
        props = entity.get("properties", {})
        prompts.append(
            {
                "name": entity["identifier"],
                "description": props.get("description") or entity["title"],
                "arguments": props.get("arguments") or [],
                "template": props.get("template") or "",
            }
        )
    return prompts


def _prompt(p: dict[str, Any]) -> types.Prompt:
    return types.Prompt(
        name=p["name"],
        description=p["description"],
        arguments=[
            types.PromptArgument(name=a["name"], description=a.get("description"), required=a.get("required"))
            for a in p["arguments"]
        ],
    )


def session_manager(server: Server[Any], json_response: bool = False) -> StreamableHTTPSessionManager:
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    return StreamableHTTPSessionManager(app=server, security_settings=security, json_response=json_response)


class McpGate:
    """ASGI gate in front of the MCP transport: faults, bearer auth, Port's headers, session expiry."""

    def __init__(self, app: StreamableHTTPASGIApp, state: SandboxState, tokens: TokenStore, prm_url: str) -> None:
        self.app: ASGIApp = app
        self.state = state
        self.tokens = tokens
        self.prm_url = prm_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.state.faults
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if faults.error_rate > 0 and self.state.rng.random() < faults.error_rate:
            await _json(send, 503, {"error": "service_unavailable", "message": "Sandbox fault: injected 503."})
            return
        auth = headers.get("authorization", "")
        if faults.force_401 or not auth.lower().startswith("bearer "):
            await self._unauthorized(
                send,
                "invalid_token" if auth else None,
                "Sandbox fault: forced 401." if faults.force_401 else "Authentication required.",
            )
            return
        try:
            principal = self.tokens.verify(auth[7:].strip())
        except GrantError as exc:
            await self._unauthorized(send, exc.error, exc.description)
            return
        session_id = headers.get("mcp-session-id")
        if session_id and session_id in self.state.expired_sessions:
            await _json(
                send,
                404,
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}},
            )
            return
        scope.setdefault("state", {})["sandbox.caller"] = Caller(
            org=self.state.orgs[principal.org_id],
            email=principal.email,
            role=principal.role,
            read_only=headers.get("x-read-only-mode", "0").strip().strip('"') == "1",
            allowed_actions=parse_allowed_actions(headers.get("x-allowed-actions-to-run")),
            clock=self.state.now,
            run_seconds=self.state.config.run_seconds,
            schema_bug=self.state.config.schema_bug,
        )
        ending = session_id if scope["method"] == "DELETE" else None
        await self.app(scope, receive, self._watch(send, cuttable=scope["method"] == "POST", ending=ending))

    def _watch(self, send: Send, *, cuttable: bool, ending: str | None = None) -> Send:
        """Records session ids as they are handed out and as a DELETE ends them, and cuts a POST's SSE response when
        the knob says so."""
        state = self.state
        cut = {"armed": False, "events": 0, "done": False}

        async def wrapped(message: Message) -> None:
            if cut["done"]:
                return
            if message["type"] == "http.response.start":
                hdrs = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
                if "mcp-session-id" in hdrs:
                    state.live_sessions.add(hdrs["mcp-session-id"])
                if ending is not None and message["status"] < 300:
                    state.live_sessions.discard(ending)
                    state.ended_sessions.add(ending)
                sse = hdrs.get("content-type", "").startswith("text/event-stream")
                if cuttable and sse and state.faults.cut_streams > 0:
                    state.faults.cut_streams -= 1
                    cut["armed"] = True
            elif message["type"] == "http.response.body" and cut["armed"] and message.get("body"):
                cut["events"] += message["body"].count(b"\n\n") + message["body"].count(b"\r\n\r\n")
                if cut["events"] >= 1:
                    await send({**message, "more_body": False})
                    cut["done"] = True
                    return
            await send(message)

        return wrapped

    async def _unauthorized(self, send: Send, error: str | None, description: str) -> None:
        challenge = f'Bearer resource_metadata="{self.prm_url}"'
        if error:
            challenge = f'Bearer error="{error}", error_description="{description}", resource_metadata="{self.prm_url}"'
        await _json(
            send,
            401,
            {"error": error or "unauthorized", "error_description": description},
            extra=[(b"www-authenticate", challenge.encode())],
        )


async def _json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
