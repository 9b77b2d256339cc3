"""Schema repair for listed tools: every array schema gets `items`, which strict clients require (VS Code refused a
Port tool that shipped an array without it). Pure and standard-library only; it runs on every first `tools/list`
the proxy rewrites, so the walk is written for speed (copy on write, a keyword table, a depth limit).
"""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 64  # deeper than any real tool schema; stops a hostile one from exhausting the stack
# JSON Schema keywords whose value is a schema ("one"), a list of schemas ("list"), or a map of name -> schema
# ("map"). Data keywords (`default`, `enum`, `const`, `examples`) are never entered: an `{"type": "array"}` there is
# a value, not a schema. Looked up per key of a node, since nodes have far fewer keys than this table.
_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "items",
            "additionalProperties",
            "additionalItems",
            "contains",
            "not",
            "if",
            "then",
            "else",
            "propertyNames",
            "unevaluatedItems",
            "unevaluatedProperties",
        ),
        "one",
    ),
    **dict.fromkeys(("anyOf", "oneOf", "allOf", "prefixItems"), "list"),
    **dict.fromkeys(("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"), "map"),
}
# The same names as a set: `keys().isdisjoint(<a set>)` walks the node's few keys, with a dict it walks all of these.
_KEYWORD_SET = frozenset(_KEYWORDS)


def _repair_node(node: dict[str, Any], depth: int) -> dict[str, Any]:
    """`node` with every array schema given `items`; the same object when nothing changed (copy on write)."""
    changed: dict[str, Any] | None = None
    kind = node.get("type")
    if (kind == "array" or (type(kind) is list and "array" in kind)) and "items" not in node:
        changed = {"items": {}}
    if depth > _MAX_DEPTH:
        return node if changed is None else {**node, **changed}
    for key, child in node.items():
        keyword = _KEYWORDS.get(key)
        if keyword is None:
            continue
        if type(child) is dict:
            fixed: Any = _repair_map(child, depth + 1) if keyword == "map" else _repair_node(child, depth + 1)
        elif type(child) is list and (keyword == "list" or key == "items"):  # `items` may be a draft-4 tuple
            fixed = _repair_list(child, depth + 1)
        else:
            continue
        if fixed is not child:
            changed = changed or {}
            changed[key] = fixed
    return node if changed is None else {**node, **changed}


# The two loops below settle leaves like {"type": "string", "description": ...} (most nodes) inline: a function call
# per leaf would double the time a 2,000-tool list takes.


def _repair_list(nodes: list[Any], depth: int) -> list[Any]:
    out: list[Any] | None = None
    for i, child in enumerate(nodes):
        if type(child) is not dict:
            continue
        kind = child.get("type")
        if (kind != "array" or "items" in child) and type(kind) is not list and child.keys().isdisjoint(_KEYWORD_SET):
            continue
        fixed = _repair_node(child, depth)
        if fixed is not child:
            out = out or list(nodes)
            out[i] = fixed
    return nodes if out is None else out


def _repair_map(nodes: dict[str, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] | None = None
    for key, child in nodes.items():
        if type(child) is not dict:
            continue
        kind = child.get("type")
        if (kind != "array" or "items" in child) and type(kind) is not list and child.keys().isdisjoint(_KEYWORD_SET):
            continue
        fixed = _repair_node(child, depth)
        if fixed is not child:
            out = out or dict(nodes)
            out[key] = fixed
    return nodes if out is None else out


def repair_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """`tool` with an `inputSchema` strict clients accept (VS Code refused Port's tools over "tool parameters array
    type must have items"): every array schema gets `"items": {}`, a missing or non-object root becomes an empty
    object schema, and a root without `type` gets `"type": "object"`.

    Returns `tool` itself when nothing needed repair; otherwise a copy that shares every unchanged part.
    """
    schema = tool.get("inputSchema")
    if not isinstance(schema, dict):
        return {**tool, "inputSchema": {"type": "object", "properties": {}}}
    fixed = _repair_node(schema, 0)
    if "type" not in fixed:
        fixed = {"type": "object", **fixed}
    return tool if fixed is schema else {**tool, "inputSchema": fixed}
