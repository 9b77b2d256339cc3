"""Synthetic tool lists shaped like Port's (names, descriptions, nested schemas, one tool per action in the legacy
shape), for the benchmarks: `port_like_tools(count, shape)`, the same list for the same arguments."""

from __future__ import annotations

import json
import random
from typing import Any

_READ_VERBS = ("list", "get", "search", "describe", "count", "track", "load")
_WRITE_VERBS = ("upsert", "create", "update", "delete", "trigger", "add", "remove")
_NOUNS = (
    "blueprint", "entity", "scorecard", "action", "action_run", "page", "widget", "integration", "team", "user",
    "webhook", "automation", "dashboard", "rule", "secret", "workflow",
)  # fmt: skip
_ACTIONS = (
    "deployService", "scaffoldMicroservice", "createJiraIssue", "rollbackRelease", "requestTemporaryAccess",
    "provisionDatabase", "rotateSecret", "toggleFeatureFlag", "openPullRequest", "addServiceOwner",
)  # fmt: skip
_QUERY = (
    'Port search query, e.g. {"combinator": "and", "rules": [{"property": "language", "operator": "=", '
    '"value": "Java"}]}. Meta properties: $identifier, $title, $team.'
)
_RICH_ARGUMENTS: dict[str, dict[str, Any]] = {
    # The argument shapes of Port's consolidated tools: scalars, string arrays, nested queries, free-form objects.
    "blueprintIdentifier": {"type": "string", "description": "Blueprint identifier, e.g. 'service'"},
    "identifier": {"type": "string", "description": "Identifier of the item", "pattern": "^[A-Za-z0-9@_.:\\-]+$"},
    "identifiers": {"type": "array", "items": {"type": "string"}, "description": "Return only these items"},
    "query": {
        "type": "object",
        "description": _QUERY,
        "properties": {
            "combinator": {"type": "string", "enum": ["and", "or"]},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "property": {"type": "string"},
                        "operator": {"type": "string", "enum": ["=", "!=", "contains", "in", "relatedTo"]},
                        "value": {
                            "anyOf": [
                                {"type": "string"},
                                {"type": "number"},
                                {"type": "boolean"},
                                {"type": "array", "items": {"type": "string"}},
                            ]
                        },
                    },
                    "required": ["operator"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["rules"],
    },
    "properties": {"type": "object", "description": "Property values by identifier", "additionalProperties": True},
    "relations": {
        "type": "object",
        "description": "Related entity identifiers by relation name",
        "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
    "include": {"type": "array", "items": {"type": "string"}, "description": "Fields to include"},
    "sort": {
        "type": "object",
        "properties": {"property": {"type": "string"}, "order": {"type": "string", "enum": ["asc", "desc"]}},
    },
    "limit": {"type": "integer", "description": "Maximum number of results", "default": 50, "minimum": 1},
    "offset": {"type": "integer", "description": "Results to skip", "default": 0, "minimum": 0},
    "dryRun": {"type": "boolean", "description": "Validate without saving", "default": False},
    "steps": {
        "type": "array",
        "description": "Ordered steps",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "inputs": {"type": "array", "items": {"type": "object"}}},
        },
    },
}
_USER_INPUTS: tuple[dict[str, Any], ...] = (
    # The user inputs of self-service actions, as Port's per-action tools carried them.
    {"type": "string", "description": "Free text"},
    {"type": "string", "enum": ["production", "staging", "development"], "description": "Environment"},
    {"type": "number", "description": "Amount", "minimum": 0},
    {"type": "boolean", "description": "Confirm", "default": False},
    {"type": "string", "format": "entity", "blueprint": "service", "description": "Service"},
    {"type": "array", "items": {"type": "string", "format": "entity", "blueprint": "team"}, "description": "Teams"},
    {"type": "object", "description": "Extra settings", "additionalProperties": {"type": "string"}},
    {
        "type": "array",
        "description": "Ports to open",
        "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}},
    },
)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_NOUNS) for _ in range(rng.randint(low, high)))


def _tool(name: str, title: str, description: str, schema: dict[str, Any], write: bool) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "description": description,
        "inputSchema": {**schema, "$schema": "http://json-schema.org/draft-07/schema#"},
        "annotations": {
            "title": title,
            "readOnlyHint": not write,
            "destructiveHint": name.startswith(("delete", "remove")),
            "idempotentHint": not write,
            "openWorldHint": False,
        },
    }


def _rich_tool(rng: random.Random, i: int) -> dict[str, Any]:
    """A consolidated tool (list_entities, upsert_blueprint, ...): 3-8 arguments from the rich shapes above."""
    write = i % 2 == 1
    name = f"{rng.choice(_WRITE_VERBS if write else _READ_VERBS)}_{_NOUNS[i % len(_NOUNS)]}_{i}"
    picked = rng.sample(sorted(_RICH_ARGUMENTS), rng.randint(3, 8))
    properties = {key: _RICH_ARGUMENTS[key] for key in picked}
    title = name.replace("_", " ").capitalize()
    description = f"{title} in your Port organization. {_words(rng, 25, 60)}"
    schema = {"type": "object", "properties": properties, "required": picked[:1], "additionalProperties": False}
    return _tool(name, title, description, schema, write)


def _action_tool(rng: random.Random, i: int, flat: bool = False) -> dict[str, Any]:
    """A per-action tool (`run_<action>`, Port before Dec 2025): the action's 2-6 user inputs, nested; or, `flat`,
    a free-form `properties` object as the sandbox's legacy tools have."""
    action = f"{_ACTIONS[i % len(_ACTIONS)]}{i}"
    name = ("run_" + "".join("_" + c.lower() if c.isupper() else c for c in action))[:40]
    inputs = {f"input{k}": rng.choice(_USER_INPUTS) for k in range(rng.randint(2, 6))}
    properties: dict[str, Any] = {"type": "object", "description": "The action's user inputs"}
    if flat:
        properties["additionalProperties"] = True
    else:
        properties.update(properties=inputs, required=sorted(inputs)[:1])
    schema = {
        "type": "object",
        "properties": {
            "entity_identifier": {"type": "string", "description": "Entity to run the action on (DAY-2 actions)"},
            "properties": properties,
        },
        "required": ["properties"],
    }
    title = f"Run {action}"
    description = f"Execute the '{action}' action: {_words(rng, 8, 30)}"
    return _tool(name, title, description, schema, write=True)


def port_like_tools(count: int, shape: str = "mix", seed: int = 7) -> list[dict[str, Any]]:
    """`count` tools as Port lists them, decoded from JSON as the proxy sees them (no shared objects).

    "mix": what a 2,000-tool list is made of: Port's ~40 consolidated tools (rich, nested schemas), the rest
    per-action tools with their user inputs. "flat": the same, but per-action tools with a free-form `properties`
    object (as the sandbox's legacy tools), a lower bound. "heavy": every tool a rich consolidated one, an upper
    bound. In all, 1 in 50 tools has an array schema without `items` (the bug Port shipped in Sept 2025), so the
    repair path runs too.
    """
    rng = random.Random(seed)
    tools = []
    for i in range(count):
        tool = _rich_tool(rng, i) if shape == "heavy" or i < 40 else _action_tool(rng, i, flat=shape == "flat")
        if i % 50 == 0:
            tool["inputSchema"]["properties"]["tags"] = {"type": "array", "description": "Tags"}
        tools.append(tool)
    return json.loads(json.dumps(tools))
