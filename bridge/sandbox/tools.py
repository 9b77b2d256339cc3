"""The tool registry of the sandbox: what each tool looks like to a client and who may see it.

Port's tool set depends on the user's role (developer or builder) and on two request headers:
`x-read-only-mode: 1` hides every write tool, and `x-allowed-actions-to-run` limits `run_action`. The registry
knows each tool's role, annotations and handler; `visible_tools()` applies the role and headers, and
`call_tool()` refuses anything not visible, so listing and calling can never disagree.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bridge.sandbox.catalog import CatalogError, Organization
from bridge.sandbox.query import QueryError

Era = Literal["current", "legacy"]
ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(progress: float, total: float | None, message: str | None) -> None:
    return None


@dataclass
class Caller:
    """Who is calling and under which headers; built per HTTP request from the bearer token and headers."""

    org: Organization
    email: str
    role: str  # "developer" | "builder"
    read_only: bool = False
    allowed_actions: frozenset[str] | None = None  # None: every permitted action
    clock: Callable[[], float] = field(default=lambda: 0.0)
    progress: ProgressFn = _no_progress
    run_seconds: float = 2.0  # how long an action run takes to finish
    schema_bug: bool = False  # reproduce Port's Sept-2025 "array without items" schema

    def may_run(self, action: str) -> bool:
        return self.allowed_actions is None or action in self.allowed_actions


Handler = Callable[[Caller, dict[str, Any]], Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]
    handler: Handler
    builder_only: bool = False
    read_only: bool = True
    destructive: bool = False
    era: Era = "current"
    title: str | None = None

    def to_tool(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.read_only,
                "destructiveHint": self.destructive,
                "idempotentHint": self.read_only,
                "openWorldHint": False,
            },
        }


REGISTRY: dict[Era, dict[str, ToolSpec]] = {"current": {}, "legacy": {}}


def tool(
    name: str,
    description: str,
    properties: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    *,
    builder: bool = False,
    write: bool = False,
    destructive: bool = False,
    era: Era = "current",
) -> Callable[[Handler], Handler]:
    """Register a handler as a tool. Write tools are hidden in read-only mode; builder tools from developers."""

    def register(fn: Handler) -> Handler:
        schema = {"type": "object", "properties": properties or {}, "required": list(required)}
        title = name.replace("_", " ").capitalize()
        REGISTRY[era][name] = ToolSpec(name, description, schema, fn, builder, not write, destructive, era, title)
        return fn

    return register


# --- schema shorthands (Port's tools use camelCase argument names) ------------------------------------------


def string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def boolean(description: str, default: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "boolean", "description": description}
    if default is not None:
        out["default"] = default
    return out


def integer(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "description": description, **extra}


def strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def obj(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "additionalProperties": True, **extra}


# --- visibility and dispatch ----------------------------------------------------------------------------------


class ToolNotFound(Exception):
    """The tool does not exist for this caller (unknown, builder-only, or hidden by read-only mode)."""


def _load_all() -> None:
    # The tool modules register themselves on import; imported here to avoid an import cycle.
    from bridge.sandbox import (  # noqa: F401
        tools_actions,
        tools_catalog,
        tools_integrations,
        tools_legacy,
        tools_pages,
        tools_portal,
    )


def visible_specs(caller: Caller, era: Era = "current") -> list[ToolSpec]:
    _load_all()
    specs = [s for s in REGISTRY[era].values() if caller.role == "builder" or not s.builder_only]
    if caller.read_only:
        specs = [s for s in specs if s.read_only]
    if caller.allowed_actions is not None and not caller.allowed_actions:
        specs = [s for s in specs if s.name != "run_action"]
    if era == "legacy":
        from bridge.sandbox.tools_legacy import action_tools

        specs += [s for s in action_tools(caller) if not caller.read_only]
    return specs


def visible_tools(caller: Caller, era: Era = "current") -> list[dict[str, Any]]:
    tools = [s.to_tool() for s in visible_specs(caller, era)]
    if caller.schema_bug:
        for t in tools:
            if t["name"] in {"upsert_action", "create_action"}:
                # Port shipped an array without `items` here in Sept 2025; VS Code rejected the whole tool.
                properties = {**t["inputSchema"]["properties"], "tags": {"type": "array", "description": "Tags"}}
                t["inputSchema"] = {**t["inputSchema"], "properties": properties}  # a copy: the registry stays intact
    return tools


def result_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def call_tool(caller: Caller, name: str, arguments: dict[str, Any], era: Era = "current") -> tuple[Any, bool]:
    """Run a visible tool. Returns (result, is_error); raises ToolNotFound for a tool the caller cannot see."""
    spec = next((s for s in visible_specs(caller, era) if s.name == name), None)
    if spec is None:
        raise ToolNotFound(name)
    try:
        result = spec.handler(caller, arguments)
        if inspect.isawaitable(result):
            result = await result
    except (CatalogError, QueryError) as exc:
        return {"ok": False, "error": str(exc)}, True
    except (KeyError, TypeError) as exc:
        return {"ok": False, "error": f"Invalid arguments for {name}: {exc}"}, True
    return result, False


def arg(arguments: dict[str, Any], key: str) -> Any:
    """A required argument, with an error message the model can act on."""
    if arguments.get(key) in (None, ""):
        raise CatalogError(f"Missing required argument '{key}'.")
    return arguments[key]
