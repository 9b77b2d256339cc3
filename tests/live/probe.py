"""The live tier's calls to one MCP server, and what it makes of the answers: the same calls go to Port and to the
sandbox, so the two sets of answers can be compared (`differences`) and Port's recorded (`fixture`).

Everything here talks MCP through the official client, directly to the server (not through the bridge), with the
headers Port documents (port-docs `docs/ai-interfaces/port-mcp-server/overview-and-installation.md`, "MCP server
headers"). Only read tools are called, except `run_action` of an action the one-action header leaves out: Port must
refuse it (see docs/live-tests.md for choosing that action).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2
from mcp import MCPError
from mcp.types import PaginatedRequestParams

from bridge.auth.tokens import ClientCredentialsProvider
from bridge.policy import is_read_only_tool
from tests.support.mcp import mcp_client

T = TypeVar("T")
READ_ONLY = "x-read-only-mode"
ALLOWED_ACTIONS = "x-allowed-actions-to-run"
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")  # MCP's behaviour annotations
HARMLESS = ("describe_user_details", "list_blueprints")  # read tools to call, the first one listed


def run(coro: Coroutine[Any, Any, T], timeout: float = 90) -> T:
    """Run `coro` on a fresh event loop in its own thread: the tier's tests and session fixtures are plain functions,
    and a loop of their own never disturbs pytest-asyncio's."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout)


async def machine_token(api_url: str, client_id: str, client_secret: str) -> str:
    """Token mode's exchange (`POST {api}/auth/access_token`), the one the bridge's token provider makes."""
    return await ClientCredentialsProvider(api_url, client_id, client_secret, profile_name="the live check").token()


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def list_tools(url: str, headers: dict[str, str], seen: Transport | None = None) -> list[dict[str, Any]]:
    """Every tool of a `tools/list` (all pages), as JSON: name, description, inputSchema, annotations. `seen`
    collects what the HTTP answers showed of the transport."""
    tools: list[dict[str, Any]] = []
    async with mcp_client(url, headers, read_timeout=60, on_response=seen.hook if seen else None) as session:
        cursor: str | None = None
        while True:
            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
            tools += [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in page.tools]
            cursor = page.next_cursor
            if not cursor:
                return tools


@dataclass
class Transport:
    """What the HTTP answers to a session's POSTs show of Streamable HTTP: whether the answer to `initialize`
    carried an `Mcp-Session-Id` (a 2025-era session), and the media types of the answers (JSON or SSE)."""

    session_id: bool | None = None
    media_types: set[str] = field(default_factory=set)

    async def hook(self, response: httpx2.Response) -> None:
        if response.request.method != "POST":
            return
        if self.session_id is None:  # the first POST is `initialize`
            self.session_id = "mcp-session-id" in response.headers
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media:
            self.media_types.add(media)

    def describe(self) -> str:
        session = "an Mcp-Session-Id" if self.session_id else "no Mcp-Session-Id"
        return f"initialize answered with {session}; answers as {_names(self.media_types)}"


@dataclass(frozen=True)
class Outcome:
    """How a `tools/call` ended: `refused` is a JSON-RPC error or a tool error (`isError`); `kind` says which."""

    refused: bool
    kind: str  # "JSON-RPC error <code>", "tool error (isError)" or "ran"
    text: str


async def call_tool(url: str, headers: dict[str, str], name: str, arguments: dict[str, Any]) -> Outcome:
    async with mcp_client(url, headers, read_timeout=60) as session:
        try:
            result = await session.call_tool(name, arguments)
        except MCPError as exc:
            return Outcome(True, f"JSON-RPC error {exc.error.code}", exc.error.message)
    text = " ".join(getattr(c, "text", "") for c in result.content)[:300]
    return Outcome(result.is_error, "tool error (isError)" if result.is_error else "ran", text)


async def call_json(url: str, headers: dict[str, str], name: str, arguments: dict[str, Any]) -> Any:
    """A read tool's answer as JSON (structured content, else its first JSON text); raises if the tool failed."""
    async with mcp_client(url, headers, read_timeout=60) as session:
        result = await session.call_tool(name, arguments)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, f"{name} failed: {text[:300]}"
    if result.structured_content:
        return result.structured_content
    for content in result.content:
        try:
            return json.loads(getattr(content, "text", "") or "null")
        except ValueError:
            continue
    return None


def action_ids(answer: Any) -> list[str]:
    """The action identifiers in a `list_actions` answer (`{"actions": [...]}` or a bare list)."""
    items = answer.get("actions", []) if isinstance(answer, Mapping) else answer or []
    return [a["identifier"] for a in items if isinstance(a, Mapping) and isinstance(a.get("identifier"), str)]


def choose_actions(
    actions: list[str], refused: str | None = None, needs_inputs: Iterable[str] = ()
) -> tuple[str, str] | None:
    """(the one allowed action, another one to try): `refused` when given, else the first that needs inputs (a run
    with none is refused even where the header is not enforced: nothing runs), else the second listed."""
    if len(actions) < 2:
        return None
    candidates = [a for a in actions if a in set(needs_inputs)]
    other = refused or (candidates[0] if candidates else actions[1])
    allowed = next((a for a in actions if a != other), None)
    return (allowed, other) if allowed else None


async def needing_inputs(url: str, headers: dict[str, str], actions: list[str]) -> set[str]:
    """The actions whose user inputs include required ones (`list_actions` with `identifiers`: full details); none
    when the server does not answer that."""
    try:
        answer = await call_json(url, headers, "list_actions", {"identifiers": actions})
    except (AssertionError, MCPError, ExceptionGroup):
        return set()
    items = answer.get("actions", []) if isinstance(answer, Mapping) else answer or []
    return {
        a["identifier"]
        for a in items
        if isinstance(a, Mapping) and ((a.get("trigger") or {}).get("userInputs") or {}).get("required")
    }


@dataclass
class Answers:
    """One server's answers to the tier's calls."""

    url: str
    tools: list[dict[str, Any]] = field(repr=False)  # tools/list with x-read-only-mode: 0 (the bridge's default)
    read_only: list[str] = field(repr=False)  # names listed with x-read-only-mode: 1
    actions: list[str]  # list_actions
    harmless: str | None = None  # the first read tool of HARMLESS that answered
    failures: list[str] = field(default_factory=list)  # the read tools of HARMLESS that failed first
    pair: tuple[str, str] | None = None  # (allowed, refused) for the allowed-actions check
    one_action: list[str] = field(
        default_factory=list, repr=False
    )  # names listed with x-allowed-actions-to-run: <allowed>
    no_action: list[str] = field(default_factory=list, repr=False)  # names listed with x-allowed-actions-to-run: ""
    refusal: Outcome | None = None  # run_action of `refused` under the one-action header
    control: Outcome | None = None  # the same call under a header allowing `refused` (only when it needs inputs)
    transport: Transport = field(default_factory=Transport)

    @property
    def names(self) -> list[str]:
        return [t["name"] for t in self.tools]

    def header_unproven(self) -> bool:
        """The refusal under the one-action header is the same answer as with the action allowed (its missing inputs):
        it may not be the header's doing."""
        if self.control is None or self.refusal is None:
            return False
        return (self.control.kind, self.control.text) == (self.refusal.kind, self.refusal.text)


async def probe(url: str, token: str, *, refused: str | None = None) -> Answers:
    """The tier's calls, in order: the tool list with each header, a harmless read tool, the actions, and the one
    call Port must refuse."""
    plain = bearer(token, **{READ_ONLY: "0"})
    seen = Transport()
    tools = await list_tools(url, plain, seen)
    read_only = [t["name"] for t in await list_tools(url, bearer(token, **{READ_ONLY: "1"}))]
    names = {t["name"] for t in tools}
    harmless, failures = None, []
    for name in (n for n in HARMLESS if n in names):
        outcome = await call_tool(url, plain, name, {})
        if not outcome.refused:
            harmless = name
            break
        failures.append(f"{name}: {outcome.kind}: {outcome.text!r}")
    actions = action_ids(await call_json(url, plain, "list_actions", {})) if "list_actions" in names else []
    answers = Answers(url, tools, read_only, actions, harmless=harmless, failures=failures, transport=seen)
    needs = await needing_inputs(url, plain, actions) if len(actions) >= 2 else set()
    answers.pair = choose_actions(actions, refused, needs)
    answers.no_action = [
        t["name"] for t in await list_tools(url, bearer(token, **{READ_ONLY: "0", ALLOWED_ACTIONS: ""}))
    ]
    if answers.pair:
        allowed, other = answers.pair
        one = bearer(token, **{READ_ONLY: "0", ALLOWED_ACTIONS: allowed})
        answers.one_action = [t["name"] for t in await list_tools(url, one)]
        run_other = {"actionIdentifier": other, "properties": {}}
        answers.refusal = await call_tool(url, one, "run_action", run_other)
        if other in needs:  # the same call with `other` allowed: refused for its missing inputs, so nothing runs
            answers.control = await call_tool(
                url, bearer(token, **{READ_ONLY: "0", ALLOWED_ACTIONS: other}), "run_action", run_other
            )
    return answers


def writes_in(tools: Iterable[Mapping[str, Any]]) -> list[str]:
    """The tools the bridge's policy counts as writes (`bridge.policy.is_read_only_tool`)."""
    return [t["name"] for t in tools if not is_read_only_tool(t)]


def credential_role(port_names: Iterable[str], builder: Iterable[str], developer: Iterable[str]) -> str:
    """The role Port's list shows the credential has: "builder" when it lists a tool only the sandbox's builders get."""
    return "builder" if set(port_names) & (set(builder) - set(developer)) else "developer"


def _hints(tool: Mapping[str, Any]) -> dict[str, Any]:
    annotations = tool.get("annotations") or {}
    return {h: annotations.get(h) for h in HINTS if annotations.get(h) is not None}


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def differences(port: Answers, sandbox: Answers) -> list[str]:
    """What the sandbox would have to change to answer like Port, a line each (empty when nothing differs)."""
    lines = []
    port_tools = {t["name"]: t for t in port.tools}
    box_tools = {t["name"]: t for t in sandbox.tools}
    if only := set(port_tools) - set(box_tools):
        lines.append(f"tools only in Port: {_names(only)}")
    if only := set(box_tools) - set(port_tools):
        lines.append(f"tools only in the sandbox: {_names(only)}")
    for name in sorted(set(port_tools) & set(box_tools)):
        ours, theirs = _hints(box_tools[name]), _hints(port_tools[name])
        if ours != theirs:
            lines.append(f"annotations of {name}: Port {theirs or 'none'}, sandbox {ours or 'none'}")
    common = set(port_tools) & set(box_tools)
    hidden_port = common - set(port.read_only)
    hidden_box = common - set(sandbox.read_only)
    if hidden_port != hidden_box:
        lines.append(
            f"{READ_ONLY}: 1 hides only in Port: {_names(hidden_port - hidden_box)}; "
            f"only in the sandbox: {_names(hidden_box - hidden_port)}"
        )
    if ("run_action" in port.no_action) != ("run_action" in sandbox.no_action):
        lines.append(
            f'{ALLOWED_ACTIONS}: "" lists run_action: Port {_yes("run_action" in port.no_action)}, '
            f"sandbox {_yes('run_action' in sandbox.no_action)}"
        )
    if port.pair and sandbox.pair:
        if ("run_action" in port.one_action) != ("run_action" in sandbox.one_action):
            lines.append(
                f"{ALLOWED_ACTIONS}: <one action> lists run_action: Port {_yes('run_action' in port.one_action)}, "
                f"sandbox {_yes('run_action' in sandbox.one_action)}"
            )
        if port.refusal and sandbox.refusal and port.refusal.kind != sandbox.refusal.kind:
            lines.append(
                f"run_action of an action not allowed: Port answers {port.refusal.kind} ({port.refusal.text!r}), "
                f"sandbox {sandbox.refusal.kind}"
            )
    if port.header_unproven() and not sandbox.header_unproven():
        lines.append(
            f"{ALLOWED_ACTIONS}: Port refused run_action of an action not allowed exactly as when it is allowed "
            "(missing inputs): its refusal does not show the header at work; the sandbox's does"
        )
    if port.transport.describe() != sandbox.transport.describe():
        lines.append(f"transport: Port's {port.transport.describe()}; the sandbox's {sandbox.transport.describe()}")
    if not port.pair:
        lines.append(
            f"the allowed-actions comparison needs two actions in the organization; Port listed {port.actions}"
        )
    return lines


def fixture(port: Answers, *, source: str, date: str, role: str) -> dict[str, Any]:
    """Port's tool list in the format of tests/fixtures/port_tools/<era>.json. `roles` is null: one credential has
    one role (`credential_role`, inferred); `read_only` is Port's own answer: listed under x-read-only-mode: 1."""
    read_only = set(port.read_only)
    return {
        "source": source,
        "commit": None,
        "date": date,
        "credential_role": role,
        "transport": {"session_id": port.transport.session_id, "media_types": sorted(port.transport.media_types)},
        "tools": [
            {
                "name": t["name"],
                "roles": None,
                "read_only": t["name"] in read_only,
                "annotations": t.get("annotations") or {},
            }
            for t in sorted(port.tools, key=lambda t: t["name"])
        ],
    }
