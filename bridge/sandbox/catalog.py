"""The sandbox's in-memory Port organization: blueprints, entities, scorecards, actions, runs and the rest.

Shapes follow Port's REST API (camelCase keys such as `userInputs`, `$identifier` in queries) because that is what
Port's MCP tools return. Everything is plain dicts and dataclasses so tools can return them as JSON directly.
All mutation goes through `Organization` methods, which raise `CatalogError` with a message meant for the model.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bridge.sandbox.query import entity_scorecards, matches


class CatalogError(Exception):
    """A tool-level failure (unknown blueprint, bad input); reported to the model as an `isError` result."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class User:
    email: str
    first_name: str
    last_name: str
    role: str  # "developer" or "builder" (Port: member vs admin/moderator)
    teams: list[str] = field(default_factory=list)


@dataclass
class Organization:
    """One Port organization's data. Thread-safe: the sandbox serves several clients and runs actions in tasks."""

    id: str
    name: str
    users: dict[str, User] = field(default_factory=dict)
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # blueprint -> id -> entity
    scorecards: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<blueprint>/<identifier>" -> scorecard
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    action_permissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflow_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    sidebar_folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    widgets: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<page>/<widget id>" -> widget
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    integrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- blueprints -------------------------------------------------------------------------------------------

    def blueprint(self, identifier: str) -> dict[str, Any]:
        try:
            return self.blueprints[identifier]
        except KeyError:
            known = ", ".join(sorted(self.blueprints)) or "none"
            raise CatalogError(f"Blueprint '{identifier}' was not found. Known blueprints: {known}.") from None

    def upsert_blueprint(self, data: dict[str, Any]) -> dict[str, Any]:
        identifier = _require_identifier(data, "blueprint")
        with self.lock:
            existing = self.blueprints.get(identifier, {})
            stamp = now_iso()
            merged = {
                "identifier": identifier,
                "title": data.get("title") or existing.get("title") or identifier,
                "icon": data.get("icon", existing.get("icon")),
                "description": data.get("description", existing.get("description", "")),
                "schema": data.get("schema") or existing.get("schema") or {"properties": {}, "required": []},
                "relations": data.get("relations", existing.get("relations", {})),
                "mirrorProperties": data.get("mirrorProperties", existing.get("mirrorProperties", {})),
                "calculationProperties": data.get("calculationProperties", existing.get("calculationProperties", {})),
                "aggregationProperties": data.get("aggregationProperties", existing.get("aggregationProperties", {})),
                "createdAt": existing.get("createdAt", stamp),
                "updatedAt": stamp,
            }
            for name, relation in merged["relations"].items():
                target = relation.get("target")
                if target not in self.blueprints and target != identifier:
                    raise CatalogError(f"Relation '{name}' targets blueprint '{target}', which does not exist.")
            self.blueprints[identifier] = merged
            self.entities.setdefault(identifier, {})
            return copy.deepcopy(merged)

    def delete_blueprint(self, identifier: str, *, delete_entities: bool = False) -> dict[str, Any]:
        with self.lock:
            self.blueprint(identifier)
            if self.entities.get(identifier) and not delete_entities:
                raise CatalogError(
                    f"Blueprint '{identifier}' still has {len(self.entities[identifier])} entities. "
                    "Pass deleteEntities=true to delete them with it."
                )
            del self.blueprints[identifier]
            self.entities.pop(identifier, None)
            for key in [k for k, s in self.scorecards.items() if s["blueprint"] == identifier]:
                del self.scorecards[key]
            return {"ok": True, "deleted": identifier}

    # --- entities ---------------------------------------------------------------------------------------------

    def entity(self, blueprint: str, identifier: str) -> dict[str, Any]:
        self.blueprint(blueprint)
        try:
            return self.entities[blueprint][identifier]
        except KeyError:
            raise CatalogError(f"Entity '{identifier}' was not found in blueprint '{blueprint}'.") from None

    def search_entities(self, blueprint: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.blueprint(blueprint)
        with self.lock:
            relations = self.blueprints[blueprint]["relations"]
            found = [e for e in self.entities[blueprint].values() if matches(e, query, relations)]
        return [self.render_entity(e) for e in found]

    def render_entity(self, entity: dict[str, Any]) -> dict[str, Any]:
        """An entity as Port returns it: a copy, with its scorecard results computed from the current rules."""
        out = copy.deepcopy(entity)
        cards = [s for s in self.scorecards.values() if s["blueprint"] == entity["blueprint"]]
        if cards:
            out["scorecards"] = entity_scorecards(entity, cards)
        return out

    def upsert_entity(self, blueprint: str, data: dict[str, Any], *, merge: bool = True) -> dict[str, Any]:
        bp = self.blueprint(blueprint)
        identifier = _require_identifier(data, "entity")
        properties = data.get("properties") or {}
        relations = data.get("relations") or {}
        declared = bp["schema"].get("properties", {})
        unknown = sorted(set(properties) - set(declared))
        if unknown:
            raise CatalogError(
                f"Properties {unknown} are not defined on blueprint '{blueprint}'. "
                f"Defined properties: {sorted(declared)}."
            )
        for name, value in properties.items():
            _check_type(name, declared[name], value)
        for name, target in relations.items():
            relation = bp["relations"].get(name)
            if relation is None:
                raise CatalogError(f"Relation '{name}' is not defined on blueprint '{blueprint}'.")
            targets = target if isinstance(target, list) else [target]
            for t in targets:
                if t is not None and t not in self.entities.get(relation["target"], {}):
                    raise CatalogError(
                        f"Relation '{name}' points to '{t}', which is not an entity of '{relation['target']}'."
                    )
        with self.lock:
            existing = self.entities[blueprint].get(identifier)
            stamp = now_iso()
            if existing and merge:
                entity = copy.deepcopy(existing)
                entity["properties"].update(properties)
                entity["relations"].update(relations)
                for key in ("title", "team", "icon"):
                    if key in data:
                        entity[key] = data[key]
            else:
                entity = {
                    "identifier": identifier,
                    "title": data.get("title", identifier),
                    "icon": data.get("icon"),
                    "blueprint": blueprint,
                    "team": data.get("team", []),
                    "properties": properties,
                    "relations": relations,
                    "createdAt": existing["createdAt"] if existing else stamp,
                    "createdBy": data.get("createdBy", "sandbox"),
                }
            missing = [r for r in bp["schema"].get("required", []) if entity["properties"].get(r) is None]
            if missing:
                raise CatalogError(f"Required properties missing for blueprint '{blueprint}': {missing}.")
            entity["updatedAt"] = stamp
            self.entities[blueprint][identifier] = entity
            return self.render_entity(entity)

    def delete_entity(self, blueprint: str, identifier: str, *, delete_dependents: bool = False) -> dict[str, Any]:
        with self.lock:
            self.entity(blueprint, identifier)
            dependents = self._dependents(blueprint, identifier)
            if dependents and not delete_dependents:
                names = ", ".join(f"{b}/{i}" for b, i in dependents[:5])
                raise CatalogError(
                    f"Entity '{identifier}' has dependents ({names}). Pass deleteDependents=true to delete them too."
                )
            for dep_bp, dep_id in dependents:
                self.entities[dep_bp].pop(dep_id, None)
            del self.entities[blueprint][identifier]
            return {
                "ok": True,
                "deleted": [f"{blueprint}/{identifier}", *(f"{b}/{i}" for b, i in dependents)],
            }

    def _dependents(self, blueprint: str, identifier: str) -> list[tuple[str, str]]:
        """Entities whose *required* relation points at this entity (Port deletes those only on request)."""
        out = []
        for bp_id, bp in self.blueprints.items():
            for name, rel in bp["relations"].items():
                if rel.get("target") != blueprint or not rel.get("required"):
                    continue
                for ent in self.entities.get(bp_id, {}).values():
                    value = ent["relations"].get(name)
                    if value == identifier or (isinstance(value, list) and identifier in value):
                        out.append((bp_id, ent["identifier"]))
        return out

    # --- scorecards -------------------------------------------------------------------------------------------

    def upsert_scorecard(self, blueprint: str, data: dict[str, Any]) -> dict[str, Any]:
        self.blueprint(blueprint)
        identifier = _require_identifier(data, "scorecard")
        levels = data.get("levels") or [
            {"title": "Basic", "color": "paleBlue"},
            {"title": "Bronze", "color": "bronze"},
            {"title": "Silver", "color": "silver"},
            {"title": "Gold", "color": "gold"},
        ]
        level_names = [lv["title"] for lv in levels]
        rules = data.get("rules") or []
        for rule in rules:
            if rule.get("level") not in level_names[1:]:
                raise CatalogError(
                    f"Rule '{rule.get('identifier')}' has level {rule.get('level')!r}; "
                    f"use one of {level_names[1:]} (the first level is the starting level)."
                )
            if not isinstance(rule.get("query"), dict) or "conditions" not in rule["query"]:
                raise CatalogError(
                    f"Rule '{rule.get('identifier')}' needs a query: "
                    '{"combinator": "and", "conditions": [{"property": ..., "operator": ..., "value": ...}]}.'
                )
        with self.lock:
            key = f"{blueprint}/{identifier}"
            existing = self.scorecards.get(key, {})
            card = {
                "identifier": identifier,
                "title": data.get("title") or existing.get("title") or identifier,
                "blueprint": blueprint,
                "levels": levels,
                "rules": rules,
                "filter": data.get("filter", existing.get("filter")),
                "createdAt": existing.get("createdAt", now_iso()),
                "updatedAt": now_iso(),
            }
            self.scorecards[key] = card
            return copy.deepcopy(card)

    def scorecard(self, identifier: str, blueprint: str | None = None) -> dict[str, Any]:
        for card in self.scorecards.values():
            if card["identifier"] == identifier and blueprint in (None, card["blueprint"]):
                return card
        raise CatalogError(f"Scorecard '{identifier}' was not found.")

    def delete_scorecard(self, identifier: str, blueprint: str | None = None) -> dict[str, Any]:
        with self.lock:
            card = self.scorecard(identifier, blueprint)
            del self.scorecards[f"{card['blueprint']}/{identifier}"]
            return {"ok": True, "deleted": identifier}

    # --- actions ----------------------------------------------------------------------------------------------

    def action(self, identifier: str) -> dict[str, Any]:
        try:
            return self.actions[identifier]
        except KeyError:
            known = ", ".join(sorted(self.actions)) or "none"
            raise CatalogError(f"Action '{identifier}' was not found. Known actions: {known}.") from None

    def upsert_action(self, data: dict[str, Any]) -> dict[str, Any]:
        identifier = _require_identifier(data, "action")
        if not _port_action_identifier(identifier):
            raise CatalogError(
                f"'{identifier}' is not a valid action identifier: use letters, digits and @ _ . + : = - only."
            )
        trigger = data.get("trigger") or {}
        if trigger.get("type", "self-service") not in {"self-service", "automation"}:
            raise CatalogError("trigger.type must be 'self-service' or 'automation'.")
        with self.lock:
            existing = self.actions.get(identifier, {})
            action = {**existing, **data, "identifier": identifier}
            action.setdefault("title", identifier)
            action.setdefault("trigger", {"type": "self-service", "operation": "CREATE", "userInputs": {}})
            action.setdefault("invocationMethod", {"type": "WEBHOOK", "url": "https://example.invalid/hook"})
            action.setdefault("createdAt", now_iso())
            action["updatedAt"] = now_iso()
            self.actions[identifier] = action
            self.action_permissions.setdefault(
                identifier,
                {"execute": {"roles": ["Member", "Admin"], "users": [], "teams": []}, "approve": {}},
            )
            return copy.deepcopy(action)

    def delete_action(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            self.action(identifier)
            del self.actions[identifier]
            self.action_permissions.pop(identifier, None)
            return {"ok": True, "deleted": identifier}


def _port_action_identifier(identifier: str) -> bool:
    # Port's API: `^(?!\.{1,2}$)[\p{L}0-9@_.+:=-]+$` (port-docs static/apispec.yaml, POST /v1/actions).
    return identifier not in {".", ".."} and all(c.isalpha() or c in "0123456789@_.+:=-" for c in identifier)


def _require_identifier(data: dict[str, Any], kind: str) -> str:
    identifier = data.get("identifier")
    if not isinstance(identifier, str) or not identifier:
        raise CatalogError(f"A {kind} needs a non-empty string 'identifier'.")
    return identifier


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _check_type(name: str, schema: dict[str, Any], value: Any) -> None:
    if value is None:
        return
    expected = _JSON_TYPES.get(schema.get("type", "string"))
    if expected and (not isinstance(value, expected) or (schema.get("type") == "number" and value is True)):
        raise CatalogError(f"Property '{name}' must be of type {schema.get('type')}, got {value!r}.")
    if "enum" in schema and value not in schema["enum"]:
        raise CatalogError(f"Property '{name}' must be one of {schema['enum']}, got {value!r}.")
