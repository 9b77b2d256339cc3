"""Port's older tool set (Aug to Dec 2025): get_* tools, snake_case arguments and one `run_<action>` tool per action.

Served when the sandbox runs with `era="legacy"`; it reads and writes the same catalog as the current tools.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.sandbox import tools_catalog, tools_portal
from bridge.sandbox.tools import Caller, Era, ToolSpec, arg, boolean, obj, string, tool
from bridge.sandbox.tools_actions import start_run

L: Era = "legacy"


@tool(
    "get_blueprints",
    "Retrieve all blueprints in your organization.",
    {"detailed": boolean("Full details", True)},
    era=L,
)
def get_blueprints(caller: Caller, args: dict[str, Any]) -> Any:
    if args.get("detailed", True):
        return {"blueprints": list(caller.org.blueprints.values())}
    return tools_catalog.list_blueprints(caller, {})


@tool(
    "get_blueprint",
    "Get a blueprint by its identifier.",
    {"blueprint_identifier": string("Blueprint")},
    ("blueprint_identifier",),
    era=L,
)
def get_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    return {"blueprint": caller.org.blueprint(arg(args, "blueprint_identifier"))}


@tool(
    "get_entities",
    "Retrieve the entities of a blueprint (only identifier and title unless detailed=true).",
    {"blueprint_identifier": string("Blueprint"), "detailed": boolean("Full entities", False)},
    ("blueprint_identifier",),
    era=L,
)
def get_entities(caller: Caller, args: dict[str, Any]) -> Any:
    found = caller.org.search_entities(arg(args, "blueprint_identifier"))
    if not args.get("detailed"):
        found = [{"identifier": e["identifier"], "title": e["title"]} for e in found]
    return {"entities": found}


@tool(
    "get_entity",
    "Get an entity by blueprint and identifier.",
    {"blueprint_identifier": string("Blueprint"), "entity_identifier": string("Entity")},
    ("blueprint_identifier", "entity_identifier"),
    era=L,
)
def get_entity(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    return {"entity": org.render_entity(org.entity(arg(args, "blueprint_identifier"), arg(args, "entity_identifier")))}


@tool("get_scorecards", "Retrieve all scorecards.", {"detailed": boolean("Full details", False)}, era=L)
def get_scorecards(caller: Caller, args: dict[str, Any]) -> Any:
    if args.get("detailed"):
        return {"scorecards": list(caller.org.scorecards.values())}
    return tools_catalog.list_scorecards(caller, {})


@tool(
    "get_scorecard",
    "Get a scorecard by identifier.",
    {"blueprint_identifier": string("Blueprint"), "scorecard_identifier": string("Scorecard")},
    ("scorecard_identifier",),
    era=L,
)
def get_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    return {"scorecard": caller.org.scorecard(arg(args, "scorecard_identifier"), args.get("blueprint_identifier"))}


tool("describe_user_details", "Describe the user, their organization and teams.", era=L)(
    tools_portal.describe_user_details
)


@tool("search_port_docs_sources", "Search Port's documentation.", {"query": string("Query")}, ("query",), era=L)
def search_port_docs_sources(caller: Caller, args: dict[str, Any]) -> Any:
    return tools_portal.search_port_knowledge_sources(caller, args)


@tool(
    "ask_port_docs",
    "Ask a question about Port; answers from the documentation.",
    {"query": string("Question")},
    ("query",),
    era=L,
)
def ask_port_docs(caller: Caller, args: dict[str, Any]) -> Any:
    found = tools_portal.search_port_knowledge_sources(caller, {"query": arg(args, "query"), "limit": 3})["results"]
    if not found:
        return {"answer": "The documentation has nothing on that.", "sources": []}
    return {"answer": found[0]["content"], "sources": [r["url"] for r in found]}


@tool(
    "invoke_ai_agent",
    "Send a prompt to Port's AI agents, which answer from your catalog.",
    {"prompt": string("Prompt")},
    ("prompt",),
    write=True,
    era=L,
)
def invoke_ai_agent(caller: Caller, args: dict[str, Any]) -> Any:
    prompt = arg(args, "prompt")
    services = caller.org.search_entities("service") if "service" in caller.org.blueprints else []
    return {
        "agent": "sandbox-agent",
        "prompt": prompt,
        "answer": f"{caller.org.name} has {len(services)} services.",
    }


def _entity_payload(args: dict[str, Any]) -> dict[str, Any]:
    return dict(arg(args, "entity"))


@tool(
    "create_blueprint",
    "Create a blueprint.",
    {"identifier": string("Id"), "title": string("Title"), "schema": obj("Schema")},
    ("identifier", "title", "schema"),
    builder=True,
    write=True,
    era=L,
)
def create_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    return {"blueprint": caller.org.upsert_blueprint(args)}


@tool(
    "update_blueprint",
    "Update a blueprint.",
    {"identifier": string("Id"), "title": string("Title"), "schema": obj("Schema")},
    ("identifier",),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def update_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    caller.org.blueprint(arg(args, "identifier"))
    return {"blueprint": caller.org.upsert_blueprint(args)}


@tool(
    "delete_blueprint",
    "Delete a blueprint.",
    {"blueprint_identifier": string("Blueprint")},
    ("blueprint_identifier",),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def delete_blueprint(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_blueprint(arg(args, "blueprint_identifier"), delete_entities=True)


@tool(
    "create_entity",
    "Create an entity.",
    {"blueprint_identifier": string("Blueprint"), "entity": obj("Entity")},
    ("blueprint_identifier", "entity"),
    builder=True,
    write=True,
    era=L,
)
def create_entity(caller: Caller, args: dict[str, Any]) -> Any:
    return {"entity": caller.org.upsert_entity(arg(args, "blueprint_identifier"), _entity_payload(args))}


@tool(
    "update_entity",
    "Update an entity.",
    {
        "blueprint_identifier": string("Blueprint"),
        "entity_identifier": string("Entity"),
        "entity": obj("Entity"),
    },
    ("blueprint_identifier", "entity_identifier", "entity"),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def update_entity(caller: Caller, args: dict[str, Any]) -> Any:
    payload = {**_entity_payload(args), "identifier": arg(args, "entity_identifier")}
    caller.org.entity(arg(args, "blueprint_identifier"), payload["identifier"])
    return {"entity": caller.org.upsert_entity(args["blueprint_identifier"], payload)}


@tool(
    "delete_entity",
    "Delete an entity.",
    {
        "blueprint_identifier": string("Blueprint"),
        "entity_identifier": string("Entity"),
        "delete_dependents": boolean("Dependents too", False),
    },
    ("blueprint_identifier", "entity_identifier"),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def delete_entity(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_entity(
        arg(args, "blueprint_identifier"),
        arg(args, "entity_identifier"),
        delete_dependents=bool(args.get("delete_dependents")),
    )


@tool(
    "create_scorecard",
    "Create a scorecard.",
    {
        "blueprint_identifier": string("Blueprint"),
        "identifier": string("Id"),
        "title": string("Title"),
        "rules": {"type": "array", "items": {"type": "object"}},
    },
    ("blueprint_identifier", "identifier", "title", "rules"),
    builder=True,
    write=True,
    era=L,
)
def create_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    return {"scorecard": caller.org.upsert_scorecard(arg(args, "blueprint_identifier"), args)}


@tool(
    "update_scorecard",
    "Update a scorecard.",
    {
        "blueprint_identifier": string("Blueprint"),
        "scorecard_identifier": string("Scorecard"),
        "rules": {"type": "array", "items": {"type": "object"}},
    },
    ("blueprint_identifier", "scorecard_identifier"),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def update_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    card = dict(caller.org.scorecard(arg(args, "scorecard_identifier"), arg(args, "blueprint_identifier")))
    card.update({k: v for k, v in args.items() if k in {"title", "levels", "rules"}})
    return {"scorecard": caller.org.upsert_scorecard(args["blueprint_identifier"], card)}


@tool(
    "delete_scorecard",
    "Delete a scorecard.",
    {"blueprint_identifier": string("Blueprint"), "scorecard_identifier": string("Scorecard")},
    ("scorecard_identifier",),
    builder=True,
    write=True,
    destructive=True,
    era=L,
)
def delete_scorecard(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_scorecard(arg(args, "scorecard_identifier"), args.get("blueprint_identifier"))


def legacy_tool_name(action_identifier: str) -> str:
    """`run_<camel_to_snake(identifier)>`, at most 40 characters, as Port's per-action tools were named: its archived
    server's `_camel_to_snake` (port-mcp-server `src/tools/action/dynamic_actions.py`), hyphens and all kept."""
    s1 = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", action_identifier)
    snake = re.sub("([a-z0-9])([A-Z])", r"\1_\2", s1).lower()
    return f"run_{snake}"[:40]


def action_tools(caller: Caller) -> list[ToolSpec]:
    """One tool per self-service action the caller may run (Port before 28 Dec 2025)."""
    specs = []
    for action in caller.org.actions.values():
        identifier = action["identifier"]
        if action.get("trigger", {}).get("type", "self-service") != "self-service" or not caller.may_run(identifier):
            continue

        def run(c: Caller, args: dict[str, Any], _id: str = identifier) -> Any:
            return {"action_run": start_run(c, _id, args.get("entity_identifier"), args.get("properties") or {})}

        title = action.get("title", identifier)
        specs.append(
            ToolSpec(
                name=legacy_tool_name(identifier),
                description=(
                    f"Execute the '{title}' action: {action.get('description', '')}\n\nTo see required properties, "
                    f"first call get_action with action_identifier='{identifier}' to view the userInputs schema."
                ),
                input_schema={
                    "type": "object",
                    "properties": {
                        "entity_identifier": string("Entity to run the action on (DAY-2 and DELETE actions)"),
                        "properties": obj("The action's user inputs"),
                    },
                    "required": [],
                },
                handler=run,
                read_only=False,
                era="legacy",
                title=f"Run {title}",
            )
        )
    return specs
