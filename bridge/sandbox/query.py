"""Port's search-query language and scorecard evaluation, as pure functions over entity dicts.

A query is `{"combinator": "and"|"or", "rules": [...]}` (scorecard rules use the key `conditions`); a rule is either
a nested query or `{"property": ..., "operator": ..., "value": ...}`. `property` may be a blueprint property, a
meta property (`$identifier`, `$title`, `$team`, `$blueprint`, `$createdAt`, `$updatedAt`) or a relation name.
`{"operator": "relatedTo", "blueprint": ..., "value": ...}` matches entities related to the given entity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_META = {
    "$identifier": "identifier",
    "$title": "title",
    "$team": "team",
    "$blueprint": "blueprint",
    "$createdAt": "createdAt",
    "$updatedAt": "updatedAt",
}


class QueryError(ValueError):
    """The query is malformed; the message says how to write it."""


def value_of(entity: Mapping[str, Any], path: str) -> Any:
    if path in _META:
        return entity.get(_META[path])
    if path.startswith("relations."):
        return entity.get("relations", {}).get(path.removeprefix("relations."))
    if path.startswith("properties."):
        path = path.removeprefix("properties.")
    props = entity.get("properties", {})
    if path in props:
        return props[path]
    return entity.get("relations", {}).get(path)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "=":
        return expected in actual if isinstance(actual, list) and not isinstance(expected, list) else actual == expected
    if op == "!=":
        return not _compare("=", actual, expected)
    if op in {">", ">=", "<", "<="}:
        if actual is None or isinstance(actual, bool) or not isinstance(actual, int | float | str):
            return False
        try:
            return {
                ">": actual > expected,
                ">=": actual >= expected,
                "<": actual < expected,
                "<=": actual <= expected,
            }[op]
        except TypeError:
            return False
    if op == "isEmpty":
        return _empty(actual)
    if op == "isNotEmpty":
        return not _empty(actual)
    if op == "contains":
        if isinstance(actual, list):
            return expected in actual
        return isinstance(actual, str) and str(expected).lower() in actual.lower()
    if op == "doesNotContains":
        return not _compare("contains", actual, expected)
    if op == "beginsWith":
        return isinstance(actual, str) and actual.lower().startswith(str(expected).lower())
    if op == "endsWith":
        return isinstance(actual, str) and actual.lower().endswith(str(expected).lower())
    if op == "in":
        return any(a in _as_list(expected) for a in _as_list(actual))
    if op == "notIn":
        return not _compare("in", actual, expected)
    if op == "containsAny":
        return bool(set(map(str, _as_list(actual))) & set(map(str, _as_list(expected))))
    raise QueryError(
        f"Unknown operator {op!r}. Use one of =, !=, >, >=, <, <=, contains, doesNotContains, beginsWith, "
        "endsWith, in, notIn, containsAny, isEmpty, isNotEmpty, relatedTo."
    )


def matches(
    entity: Mapping[str, Any],
    query: Mapping[str, Any] | None,
    relations: Mapping[str, Mapping[str, Any]] | None = None,
) -> bool:
    """Whether `entity` satisfies `query`; `relations` is the blueprint's relation definitions (for relatedTo)."""
    if not query:
        return True
    if "combinator" in query or "rules" in query or "conditions" in query:
        rules = query.get("rules", query.get("conditions", []))
        combinator = query.get("combinator", "and")
        if combinator not in {"and", "or"}:
            raise QueryError(f"Unknown combinator {combinator!r}; use 'and' or 'or'.")
        results = (matches(entity, rule, relations) for rule in rules)
        return all(results) if combinator == "and" else any(results)
    op = query.get("operator")
    if op == "relatedTo":
        wanted = set(map(str, _as_list(query.get("value"))))
        target_bp = query.get("blueprint")
        for name, value in entity.get("relations", {}).items():
            rel_target = (relations or {}).get(name, {}).get("target")
            if target_bp and rel_target is not None and rel_target != target_bp:
                continue
            if wanted & set(map(str, _as_list(value))):
                return True
        return False
    if "property" not in query or op is None:
        raise QueryError(
            "Each rule needs 'property' and 'operator' (and usually 'value'), e.g. "
            '{"property": "language", "operator": "=", "value": "Python"}.'
        )
    return _compare(op, value_of(entity, query["property"]), query.get("value"))


def evaluate_scorecard(entity: Mapping[str, Any], card: Mapping[str, Any]) -> dict[str, Any]:
    """Port's level logic: an entity holds the highest level whose rules, and all lower levels' rules, pass."""
    levels = [lv["title"] for lv in card["levels"]]
    results = []
    for rule in card["rules"]:
        ok = matches(entity, rule["query"])
        results.append(
            {
                "identifier": rule["identifier"],
                "title": rule.get("title", rule["identifier"]),
                "level": rule["level"],
                "status": "SUCCESS" if ok else "FAILURE",
            }
        )
    achieved = levels[0]
    for level in levels[1:]:
        if all(r["status"] == "SUCCESS" for r in results if r["level"] == level):
            achieved = level
        else:
            break
    return {"level": achieved, "rules": results}


def entity_scorecards(entity: Mapping[str, Any], cards: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out = {}
    for card in cards:
        if card.get("filter") and not matches(entity, card["filter"]):
            continue
        out[card["identifier"]] = evaluate_scorecard(entity, card)
    return out
