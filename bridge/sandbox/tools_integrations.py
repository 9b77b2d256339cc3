"""Integration tools: Ocean integrations' sync metrics, event logs, kinds and mapping tests."""

from __future__ import annotations

import copy
import re
from typing import Any

from bridge.sandbox.catalog import CatalogError, Organization
from bridge.sandbox.tools import Caller, arg, integer, obj, string, strings, tool

# --- integrations ----------------------------------------------------------------------------------------


def _integration(org: Organization, identifier: str) -> dict[str, Any]:
    if identifier not in org.integrations:
        raise CatalogError(
            f"Integration '{identifier}' was not found. Integrations: {', '.join(sorted(org.integrations))}."
        )
    return org.integrations[identifier]


@tool(
    "list_integrations",
    "List the organization's integrations (Ocean and others) with their type, version and sync state.",
    {"identifiers": strings("Integrations to return in full, including their mapping")},
    builder=True,
)
def list_integrations(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    if args.get("identifiers"):
        return {"integrations": [copy.deepcopy(_integration(org, i)) for i in args["identifiers"]]}
    return {
        "integrations": [
            {k: v for k, v in i.items() if k not in {"eventLogs", "config", "syncMetrics"}}
            for i in org.integrations.values()
        ]
    }


@tool(
    "get_integration_sync_metrics",
    "Get the latest resync metrics of an integration: per-kind object counts, failures and duration.",
    {"integrationIdentifier": string("Integration")},
    ("integrationIdentifier",),
    builder=True,
)
def get_integration_sync_metrics(caller: Caller, args: dict[str, Any]) -> Any:
    integration = _integration(caller.org, arg(args, "integrationIdentifier"))
    return {
        "integration": integration["identifier"],
        "syncMetrics": copy.deepcopy(integration.get("syncMetrics")),
    }


_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


@tool(
    "get_integration_event_logs",
    "Get an integration's event logs, newest first. Defaults to ERROR-level entries.",
    {
        "integrationIdentifier": string("Integration"),
        "level": string("Minimum level", enum=_LEVELS),
        "limit": integer("Entries to return", default=50, minimum=1, maximum=500),
    },
    ("integrationIdentifier",),
    builder=True,
)
def get_integration_event_logs(caller: Caller, args: dict[str, Any]) -> Any:
    integration = _integration(caller.org, arg(args, "integrationIdentifier"))
    level = args.get("level") or "ERROR"
    if level not in _LEVELS:
        raise CatalogError(f"level must be one of {_LEVELS}.")
    floor = _LEVELS.index(level)
    logs = [e for e in integration.get("eventLogs", []) if _LEVELS.index(e.get("level", "INFO")) >= floor]
    logs.sort(key=lambda e: e.get("timestamp", ""), reverse=True)
    return {"integration": integration["identifier"], "logs": logs[: int(args.get("limit") or 50)]}


def _kind_examples(identifier: str) -> dict[str, Any]:
    from bridge.sandbox.seed import INTEGRATION_KIND_EXAMPLES

    return INTEGRATION_KIND_EXAMPLES.get(identifier, {})


@tool(
    "get_integration_kinds_with_examples",
    "Get the kinds an integration syncs with raw example objects of each, to write or fix a mapping.",
    {"integrationIdentifier": string("Integration")},
    ("integrationIdentifier",),
    builder=True,
)
def get_integration_kinds_with_examples(caller: Caller, args: dict[str, Any]) -> Any:
    integration = _integration(caller.org, arg(args, "integrationIdentifier"))
    return {
        "integration": integration["identifier"],
        "kinds": copy.deepcopy(_kind_examples(integration["identifier"])),
    }


_PATH = re.compile(r"^\.[A-Za-z0-9_\.\[\]]*$")


def jq_lite(expression: Any, data: Any) -> Any:
    """The part of JQ that Port mappings mostly use: `.a.b`, `.a[0]`, literals, and `x // default`."""
    if not isinstance(expression, str):
        return expression
    expr = expression.strip()
    if "//" in expr:
        left, right = expr.split("//", 1)
        value = jq_lite(left, data)
        return value if value not in (None, False) else jq_lite(right, data)
    if expr in {"true", "false", "null"}:
        return {"true": True, "false": False, "null": None}[expr]
    if expr.startswith('"') and expr.endswith('"'):
        return expr[1:-1]
    if re.fullmatch(r"-?\d+(\.\d+)?", expr):
        return float(expr) if "." in expr else int(expr)
    if expr == ".":
        return data
    if not _PATH.match(expr):
        raise CatalogError(f"The sandbox's JQ supports paths like .a.b, literals and '//', not {expression!r}.")
    value = data
    for part in re.findall(r"[A-Za-z0-9_]+|\[\d+\]", expr):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and len(value) > index else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


@tool(
    "test_integration_mapping",
    "Test an integration mapping against raw data examples and show the entities it would produce, without "
    "changing anything.",
    {
        "integrationIdentifier": string("Integration"),
        "kind": string("Kind to test, e.g. 'repository'"),
        "mapping": obj(
            "Port mapping: {selector: {query}, port: {entity: {mappings: {identifier, title, blueprint, properties}}}}"
        ),
        "examples": {
            "type": "array",
            "items": {"type": "object"},
            "description": "Raw objects (default: stored examples)",
        },
    },
    ("integrationIdentifier", "kind", "mapping"),
    builder=True,
)
def test_integration_mapping(caller: Caller, args: dict[str, Any]) -> Any:
    integration = _integration(caller.org, arg(args, "integrationIdentifier"))
    kind = arg(args, "kind")
    examples = args.get("examples") or _kind_examples(integration["identifier"]).get(kind)
    if not examples:
        raise CatalogError(f"No examples for kind '{kind}'; pass some in `examples`.")
    mapping = arg(args, "mapping")
    mappings = mapping.get("port", {}).get("entity", {}).get("mappings")
    if not isinstance(mappings, dict):
        raise CatalogError("mapping.port.entity.mappings is missing.")
    selector = mapping.get("selector", {}).get("query", "true")
    results: list[dict[str, Any]] = []
    for raw in examples:
        if not jq_lite(selector, raw):
            results.append({"selected": False})
            continue
        entity = {k: jq_lite(v, raw) for k, v in mappings.items() if k not in {"properties", "relations"}}
        entity["properties"] = {k: jq_lite(v, raw) for k, v in (mappings.get("properties") or {}).items()}
        entity["relations"] = {k: jq_lite(v, raw) for k, v in (mappings.get("relations") or {}).items()}
        problems = []
        if not entity.get("identifier"):
            problems.append("identifier evaluated to an empty value")
        if entity.get("blueprint") and entity["blueprint"] not in caller.org.blueprints:
            problems.append(f"blueprint '{entity['blueprint']}' does not exist")
        results.append({"selected": True, "entity": entity, "problems": problems})
    return {"kind": kind, "results": results}
