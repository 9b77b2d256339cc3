"""The proxy's side of approvals: which way a call is approved (`decide`), what the assistant is told when it is not,
and asking inside the IDE (`ask_in_ide`): an `elicitation/create` on the call's own SSE answer, whose response the
client POSTs on its session and `forward` hands to the broker instead of Port."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from starlette.types import Receive, Send

from bridge.approvals.broker import GONE, REMEMBERED, TIMED_OUT, UNASKED, Broker, Verdict, verdict_of
from bridge.approvals.model import ApprovalRequest
from bridge.policy import DEFAULT_PROFILE
from bridge.proxy import jsonrpc, sse
from bridge.proxy.calls import Call
from bridge.proxy.state import ClientInfo, Upstream
from bridge.proxy.streams import until_disconnect

ELICIT_PREFIX = "port-mcp-bridge-approval-"  # the bridge's own request ids: Port's never look like this
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_WHAT = {"actions": "running actions and workflows", "writes": "every tool that changes data"}
_ARGUMENTS_SHOWN = 2000  # characters of the arguments the IDE's question shows


def request_for(upstream: Upstream, client: ClientInfo | None, call: Call, timeout: float) -> ApprovalRequest:
    profile = upstream.profile
    return ApprovalRequest(
        id=uuid.uuid4().hex, profile_id=profile.id, profile=profile.name, organization=profile.organization,
        client=client.name if client else "", tool=call.name, action=call.record.action,
        arguments=dict(call.arguments or {}), timeout=timeout,
    )  # fmt: skip


async def decide(
    broker: Broker, receive: Receive, request: ApprovalRequest, session_id: str | None, can_elicit: bool
) -> Verdict | None:
    """How a call that needs approval goes: allowed earlier for this session, else the front end's dialog, else (None)
    ask inside the IDE when `can_elicit`, else refused (`UNASKED`). The client going away while a dialog is open
    closes it (`GONE`)."""
    if broker.remembered(session_id, request.tool, request.action):
        return REMEMBERED
    asked: list[Verdict | None] = []

    async def ask() -> None:
        asked.append(await broker.ask(request))

    if broker.asker is not None:
        if await until_disconnect(receive, ask(), watch_after=0):
            return GONE
        if asked[0] is not None:
            if asked[0].approval == "session":
                broker.remember(session_id, request.tool, request.action)
            return asked[0]
    return None if can_elicit else UNASKED


def refusal(msg_id: Any, verdict: Verdict, upstream: Upstream, tool: str, timeout: float) -> dict[str, Any]:
    """The JSON-RPC error a call gets that was not approved: it never went to Port."""
    profile = upstream.profile
    if verdict is UNASKED:
        name = profile.name or DEFAULT_PROFILE
        text = (
            f"'{tool}' needs the user's approval (profile '{name}' asks before "
            f"{_WHAT.get(profile.ask_before, 'such calls')}), and Port MCP Bridge has no way to ask here, so it was "
            "not sent to Port. To approve calls, open Port MCP Bridge (the desktop app) so it can ask, or change the "
            "profile's \"Ask before\" in Port MCP Bridge's Settings → Profiles (in a terminal: "
            f"`port-mcp-bridge profiles set {profile.id} --ask-before never`)."
        )
        return jsonrpc.error(msg_id, jsonrpc.APPROVAL_UNAVAILABLE, text, {"approval": "unavailable"})
    if verdict is TIMED_OUT:
        text = (
            f"No one answered Port MCP Bridge's approval request for '{tool}' within {timeout:g} s, so it counts as "
            "declined: the call was not sent to Port."
        )
    else:
        text = f"The user declined this call in Port MCP Bridge: '{tool}' was not sent to Port."
    return jsonrpc.error(msg_id, jsonrpc.APPROVAL_DECLINED, text, {"approval": verdict.approval or "declined"})


def elicitation(request_id: str, request: ApprovalRequest) -> dict[str, Any]:
    """The `elicitation/create` request that asks in the IDE: a readable message, and one choice to pick (the
    client's own Decline / Cancel say no)."""
    arguments = json.dumps(request.arguments, indent=2, ensure_ascii=False)
    if len(arguments) > _ARGUMENTS_SHOWN:
        arguments = arguments[:_ARGUMENTS_SHOWN] + "\n…"
    lines = [
        f"{request.client or 'An assistant'} wants to call '{request.tool}' in Port"
        + (f", which runs '{request.action}'." if request.action else "."),
        f"Profile: {request.profile}" + (f" (organization {request.organization})" if request.organization else ""),
        f"Arguments: {arguments}",
        f"Port MCP Bridge asks before it sends this to Port. No answer in {request.timeout:g} s counts as Decline.",
    ]
    schema = {
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": "Allow",
                "enum": ["once", "session"],
                "enumNames": ["Allow once", "Allow for this session"],
                "default": "once",
            }
        },
        "required": ["decision"],
    }
    params = {"message": "\n".join(lines), "requestedSchema": schema}
    return {"jsonrpc": "2.0", "id": request_id, "method": "elicitation/create", "params": params}


def verdict_of_answer(message: dict[str, Any]) -> Verdict:
    """The client's response to the elicitation: accept with a choice allows (accept alone: once); anything else no."""
    result = message.get("result")
    if not isinstance(result, dict) or result.get("action") != "accept":
        return verdict_of("deny")
    content = result.get("content")
    choice = content.get("decision") if isinstance(content, dict) else None
    return verdict_of("session" if choice == "session" else "once")


async def ask_in_ide(
    broker: Broker, receive: Receive, send: Send, request: ApprovalRequest, session_id: str | None
) -> Verdict:
    """Open the call's answer as an SSE stream and ask on it; the stream stays open for what follows."""
    request_id = ELICIT_PREFIX + uuid.uuid4().hex
    future = broker.expect(request_id, session_id)
    answer: list[dict[str, Any]] = []

    async def wait() -> None:
        answer.append(await asyncio.wait_for(future, request.timeout))

    try:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        event = sse.message_event(elicitation(request_id, request))
        await send({"type": "http.response.body", "body": event, "more_body": True})
        if await until_disconnect(receive, wait(), watch_after=0):
            return GONE
    except TimeoutError:
        return TIMED_OUT
    finally:
        broker.done_expecting(request_id)
    verdict = verdict_of_answer(answer[0])
    if verdict.approval == "session":
        broker.remember(session_id, request.tool, request.action)
    return verdict
