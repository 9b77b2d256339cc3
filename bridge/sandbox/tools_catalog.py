"""Data-model tools: blueprints, entities, scorecards (Port's consolidated list_/upsert_/delete_ tools)."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from bridge.sandbox.catalog import CatalogError
from bridge.sandbox.query import value_of
from bridge.sandbox.tools import Caller, arg, boolean, integer, obj, string, strings, tool

QUERY_HELP = (
    'Port search query, e.g. {"combinator": "and", "rules": [{"property": "language", "operator": "=", '
    '"value": "Java"}, {"operator": "relatedTo", "blueprint": "environment", "value": "production"}]}. '
    "Meta properties: $identifier, $title, $team."
)


def _compact_blueprint(bp: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": bp["identifier"],
        "title": bp["title"],
        "description": bp.get("description", ""),
        "properties": sorted(bp["schema"].get("properties", {})),
        "relations": {name: rel["target"] for name, rel in bp["relations"].items()},
    }


@tool(
    "list_blueprints",
    "Retrieve all blueprints in your organization. The response is compacted; pass `identifiers` to get the "
    "complete configuration (schema, relations, calculation properties) of specific blueprints.",
    {"identifiers": strings("Blueprint identifiers to return in full")},
)
def list_blueprints(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    if args.get("identifiers"):
        return {"blueprints": [copy.deepcopy(org.blueprint(i)) for i in args["identifiers"]]}
    return {"blueprints": [_compact_blueprint(bp) for bp in org.blueprints.values()]}


@tool(
    "upsert_blueprint",
    "Create a blueprint, or update an existing one with the same identifier. Blueprints are the basic "
    "building blocks of the software catalog: they define an entity type's properties and relations.",
    {
        "blueprint": obj(
            "Blueprint definition: identifier, title, icon, description, schema {properties, required}, relations "
            "{name: {target, many, required, title}}",
            required=["identifier"],
        )
    },
    ("blueprint",),
    builder=True,
    write=True,
)
def upsert_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    return {"ok": True, "blueprint": caller.org.upsert_blueprint(arg(args, "blueprint"))}


@tool(
    "delete_blueprint",
    "Delete a blueprint. A blueprint that still has entities is only deleted with deleteEntities=true, which "
    "deletes all its entities too.",
    {
        "blueprintIdentifier": string("Identifier of the blueprint to delete"),
        "deleteEntities": boolean("Also delete all of the blueprint's entities", False),
    },
    ("blueprintIdentifier",),
    builder=True,
    write=True,
    destructive=True,
)
def delete_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_blueprint(
        arg(args, "blueprintIdentifier"), delete_entities=bool(args.get("deleteEntities"))
    )


def _project(entity: dict[str, Any], include: list[str] | None) -> dict[str, Any]:
    if not include:
        return entity
    out: dict[str, Any] = {"identifier": entity["identifier"], "title": entity["title"]}
    for key in include:
        if key in entity:
            out[key] = entity[key]
        else:
            out.setdefault("properties", {})[key] = value_of(entity, key)
    return out


@tool(
    "list_entities",
    "Search and retrieve entities of a blueprint with filtering, sorting and pagination. Supports "
    "`identifiers` for specific entities, `groupBy` for the distribution of a property's values, and "
    "`countOnly` for counting without retrieving entity data.",
    {
        "blueprintIdentifier": string("Blueprint whose entities to search, e.g. 'service'"),
        "identifiers": strings("Return only these entities"),
        "query": obj(QUERY_HELP),
        "include": strings("Properties/fields to include in each entity (default: all)"),
        "sort": obj("Sort order: {property, order: 'asc'|'desc'}"),
        "groupBy": string("Property or relation to group counts by (e.g. 'language', '$team')"),
        "countOnly": boolean("Return only the number of matching entities", False),
        "limit": integer("Maximum number of entities to return", default=50, minimum=1, maximum=500),
        "offset": integer("Number of entities to skip (pagination)", default=0, minimum=0),
    },
    ("blueprintIdentifier",),
)
def list_entities(caller: Caller, args: dict[str, Any]) -> Any:
    blueprint = arg(args, "blueprintIdentifier")
    found = caller.org.search_entities(blueprint, args.get("query"))
    if args.get("identifiers"):
        wanted = set(args["identifiers"])
        found = [e for e in found if e["identifier"] in wanted]
        missing = sorted(wanted - {e["identifier"] for e in found})
        if missing and not found:
            raise CatalogError(f"No entities {missing} in blueprint '{blueprint}'.")
    if args.get("countOnly"):
        return {"count": len(found)}
    if args.get("groupBy"):
        counts: Counter[str] = Counter()
        for e in found:
            value = value_of(e, args["groupBy"])
            for v in value if isinstance(value, list) else [value]:
                counts[str(v)] += 1
        return {"groupBy": args["groupBy"], "total": len(found), "groups": dict(counts.most_common())}
    sort = args.get("sort") or {}
    if sort.get("property"):
        key = sort["property"]
        found.sort(
            key=lambda e: (value_of(e, key) is None, value_of(e, key) if value_of(e, key) is not None else 0),
            reverse=sort.get("order") == "desc",
        )
    offset, limit = int(args.get("offset") or 0), int(args.get("limit") or 50)
    page = [_project(e, args.get("include")) for e in found[offset : offset + limit]]
    return {"entities": page, "total": len(found), "offset": offset, "limit": limit}


@tool(
    "upsert_entity",
    "Create an entity, or update the entity with the same identifier. With merge=true (default) only the "
    "properties and relations provided are changed.",
    {
        "blueprintIdentifier": string("Blueprint of the entity"),
        "entity": obj(
            "Entity: identifier, title, team (list of team identifiers), properties {...}, relations {...}",
            required=["identifier"],
        ),
        "merge": boolean("Merge into an existing entity instead of replacing it", True),
    },
    ("blueprintIdentifier", "entity"),
    builder=True,
    write=True,
)
def upsert_entity(caller: Caller, args: dict[str, Any]) -> Any:
    entity = caller.org.upsert_entity(
        arg(args, "blueprintIdentifier"), arg(args, "entity"), merge=args.get("merge", True) is not False
    )
    return {"ok": True, "entity": entity}


@tool(
    "delete_entity",
    "Delete an entity, optionally with the entities that depend on it.",
    {
        "blueprintIdentifier": string("Blueprint of the entity"),
        "entityIdentifier": string("Identifier of the entity to delete"),
        "deleteDependents": boolean("Also delete entities whose required relation points here", False),
    },
    ("blueprintIdentifier", "entityIdentifier"),
    builder=True,
    write=True,
    destructive=True,
)
def delete_entity(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_entity(
        arg(args, "blueprintIdentifier"),
        arg(args, "entityIdentifier"),
        delete_dependents=bool(args.get("deleteDependents")),
    )


@tool(
    "list_scorecards",
    "Retrieve scorecards. The response is compacted; pass `identifiers` for full rules and levels. Pass "
    "`includeResults` to get each entity's level and failing rules.",
    {
        "blueprintIdentifier": string("Only scorecards of this blueprint"),
        "identifiers": strings("Scorecard identifiers to return in full"),
        "includeResults": boolean("Include per-entity levels and rule results", False),
    },
)
def list_scorecards(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    cards = [c for c in org.scorecards.values() if args.get("blueprintIdentifier") in (None, c["blueprint"])]
    if args.get("identifiers"):
        wanted = set(args["identifiers"])
        cards = [c for c in cards if c["identifier"] in wanted]
        if not cards:
            raise CatalogError(f"No scorecards {sorted(wanted)} were found.")
        out = [copy.deepcopy(c) for c in cards]
    else:
        out = [
            {
                "identifier": c["identifier"],
                "title": c["title"],
                "blueprint": c["blueprint"],
                "levels": [lv["title"] for lv in c["levels"]],
                "rules": len(c["rules"]),
            }
            for c in cards
        ]
    if args.get("includeResults"):
        for card in out:
            results = {}
            for entity in org.search_entities(card["blueprint"]):
                res = entity.get("scorecards", {}).get(card["identifier"])
                if res:
                    failing = [r["identifier"] for r in res["rules"] if r["status"] == "FAILURE"]
                    results[entity["identifier"]] = {"level": res["level"], "failingRules": failing}
            card["results"] = results
    return {"scorecards": out}


@tool(
    "upsert_scorecard",
    "Create a scorecard on a blueprint, or update the scorecard with the same identifier (levels and rules are "
    "replaced). Rules: {identifier, title, level, query: {combinator, conditions: [{property, operator, value}]}}.",
    {
        "blueprintIdentifier": string("Blueprint the scorecard evaluates"),
        "scorecard": obj("Scorecard: identifier, title, levels [{title, color}], rules [...]", required=["identifier"]),
    },
    ("blueprintIdentifier", "scorecard"),
    builder=True,
    write=True,
)
def upsert_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    return {
        "ok": True,
        "scorecard": caller.org.upsert_scorecard(arg(args, "blueprintIdentifier"), arg(args, "scorecard")),
    }


@tool(
    "delete_scorecard",
    "Delete a scorecard by its identifier.",
    {"blueprintIdentifier": string("Blueprint of the scorecard"), "scorecardIdentifier": string("Scorecard")},
    ("scorecardIdentifier",),
    builder=True,
    write=True,
    destructive=True,
)
def delete_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_scorecard(arg(args, "scorecardIdentifier"), args.get("blueprintIdentifier"))


@tool(
    "simulate_blueprint_permissions",
    "Show what a user may do with a blueprint's entities (read, create, update, delete) under the current "
    "permission settings, without changing anything.",
    {"blueprintIdentifier": string("Blueprint"), "userEmail": string("User to simulate (default: you)")},
    ("blueprintIdentifier",),
)
def simulate_blueprint_permissions(caller: Caller, args: dict[str, Any]) -> Any:
    caller.org.blueprint(arg(args, "blueprintIdentifier"))
    email = args.get("userEmail") or caller.email
    user = caller.org.users.get(email)
    if user is None:
        raise CatalogError(f"User '{email}' is not a member of {caller.org.name}.")
    admin = user.role == "builder"
    return {
        "user": email,
        "role": "Admin" if admin else "Member",
        "blueprint": args["blueprintIdentifier"],
        "permissions": {
            "read": True,
            "create": admin,
            "update": "all" if admin else "entities owned by your teams",
            "delete": admin,
        },
    }


@tool(
    "trigger_auto_discovery",
    "Discover owning teams for a blueprint's entities that have none, from the code owners of their "
    "repositories, and apply the suggestions.",
    {"blueprintIdentifier": string("Blueprint to run discovery on"), "dryRun": boolean("Only report", False)},
    ("blueprintIdentifier",),
    builder=True,
    write=True,
)
def trigger_auto_discovery(caller: Caller, args: dict[str, Any]) -> Any:
    blueprint = arg(args, "blueprintIdentifier")
    org = caller.org
    teams = set(org.entities.get("_team", {}))
    suggestions = {}
    for entity in org.search_entities(blueprint):
        if entity.get("team"):
            continue
        repo = str(entity.get("properties", {}).get("repository") or "")
        guess = next((t for t in sorted(teams) if f"/{t}" in repo or f"{t}-" in entity["identifier"]), None)
        if guess:
            suggestions[entity["identifier"]] = guess
    if not args.get("dryRun"):
        for identifier, team in suggestions.items():
            org.upsert_entity(blueprint, {"identifier": identifier, "team": [team]})
    return {"blueprint": blueprint, "discovered": suggestions, "applied": not args.get("dryRun")}
