"""Self-service actions, action runs and workflows: the sandbox's write path that tests follow to completion.

A run starts IN_PROGRESS and finishes `Caller.run_seconds` later (by the sandbox clock, evaluated lazily when the run
is read), applying its effect on the catalog: `scaffold_microservice` really creates the service entity,
`create_incident` the incident, `deploy_service` stamps `last_deployed`. Runs of actions that need approval wait.
"""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import string as _string
from datetime import UTC, datetime
from typing import Any

from bridge.sandbox.catalog import CatalogError, Organization, now_iso
from bridge.sandbox.tools import Caller, arg, boolean, obj, string, strings, tool

_ALNUM = _string.ascii_letters + _string.digits
FINAL = {"SUCCESS", "FAILURE", "CANCELLED"}


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(16))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate_inputs(action: dict[str, Any], properties: dict[str, Any]) -> None:
    """Check run inputs against the action's userInputs, the way Port answers 422 to a bad run request."""
    inputs = action.get("trigger", {}).get("userInputs", {})
    declared = inputs.get("properties", {})
    missing = [name for name in inputs.get("required", []) if properties.get(name) in (None, "")]
    if missing:
        raise CatalogError(
            f"Action '{action['identifier']}' needs the inputs {missing}. "
            f"Call list_actions with identifiers=['{action['identifier']}'] to see its input schema."
        )
    for name, value in properties.items():
        spec = declared.get(name)
        if spec is None:
            raise CatalogError(f"Action '{action['identifier']}' has no input '{name}'. Inputs: {sorted(declared)}.")
        if "enum" in spec and value not in spec["enum"]:
            raise CatalogError(f"Input '{name}' must be one of {spec['enum']}, got {value!r}.")
        if "pattern" in spec and not re.fullmatch(spec["pattern"], str(value)):
            raise CatalogError(f"Input '{name}' must match the pattern {spec['pattern']}, got {value!r}.")


def _public(run: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in run.items() if not k.startswith("_")}


def start_run(caller: Caller, action_id: str, entity_id: str | None, properties: dict[str, Any]) -> dict[str, Any]:
    org = caller.org
    action = org.action(action_id)
    if not caller.may_run(action_id):
        allowed = ", ".join(sorted(caller.allowed_actions or ())) or "none"
        raise CatalogError(
            f"Action '{action_id}' is not in the actions allowed to run for this connection "
            f"(x-allowed-actions-to-run: {allowed})."
        )
    if caller.role != "builder" and "Member" not in org.action_permissions.get(action_id, {}).get("execute", {}).get(
        "roles", ["Member"]
    ):
        raise CatalogError(f"You do not have permission to run '{action_id}'.")
    validate_inputs(action, properties)
    trigger = action.get("trigger", {})
    entity = None
    blueprint = trigger.get("blueprintIdentifier")
    if trigger.get("operation") in {"DAY-2", "DELETE"}:
        if not entity_id:
            raise CatalogError(f"Action '{action_id}' runs on an existing {blueprint} entity: pass entityIdentifier.")
        found = org.entity(blueprint, entity_id)
        entity = {"identifier": found["identifier"], "title": found["title"]}
    now = caller.clock()
    run_id = new_id("r_")
    approval = bool(action.get("requiredApproval"))
    run = {
        "id": run_id,
        "action": {"identifier": action_id, "title": action.get("title", action_id), "deleted": False},
        "blueprint": {"identifier": blueprint} if blueprint else None,
        "entity": entity,
        "properties": properties,
        "rawProperties": properties,
        "status": "IN_PROGRESS",
        "statusLabel": "Waiting for approval" if approval else "Running",
        "requiredApproval": approval,
        "approval": {"status": "PENDING"} if approval else None,
        "source": "MCP",
        "createdBy": caller.email,
        "createdAt": _iso(now),
        "updatedAt": _iso(now),
        "endedAt": None,
        "link": [f"https://app.port.io/organization/run?runId={run_id}"],
        "summary": None,
        "logs": [{"message": f"Run of '{action.get('title', action_id)}' started", "createdAt": _iso(now)}],
        "_completeAt": None if approval else now + caller.run_seconds,
    }
    with org.lock:
        org.runs[run_id] = run
    return _public(run)


def _apply_effect(org: Organization, run: dict[str, Any]) -> str:
    action = run["action"]["identifier"]
    props = run["properties"]
    if action == "scaffold_microservice":
        name = props["service_name"]
        if name in org.entities.get("service", {}):
            raise CatalogError(f"A service named '{name}' already exists.")
        team = props.get("team")
        org.upsert_entity(
            "service",
            {
                "identifier": name,
                "title": name.replace("-", " ").title().replace(" ", ""),
                "team": [team] if team else [],
                "properties": {
                    k: v
                    for k, v in {
                        "language": props.get("language"),
                        "type": "microservice",
                        "lifecycle": "Experimental",
                        "repository": f"https://github.com/acme/{name}",
                    }.items()
                    if v is not None and k in org.blueprint("service")["schema"]["properties"]
                },
            },
        )
        return f"Repository https://github.com/acme/{name} created and service '{name}' registered in the catalog"
    if action == "create_incident" and "incident" in org.blueprints:
        identifier = new_id("inc_").lower()
        org.upsert_entity(
            "incident",
            {
                "identifier": identifier,
                "title": props["title"],
                "properties": {
                    k: v
                    for k, v in {"severity": props.get("severity"), "status": "Triggered"}.items()
                    if k in org.blueprint("incident")["schema"]["properties"]
                },
                "relations": {
                    k: v
                    for k, v in {"service": (run["entity"] or {}).get("identifier")}.items()
                    if k in org.blueprint("incident")["relations"]
                },
            },
        )
        return f"Incident '{identifier}' opened"
    if action == "deploy_service" and run["entity"]:
        service = run["entity"]["identifier"]
        if "last_deployed" in org.blueprint("service")["schema"]["properties"]:
            org.upsert_entity("service", {"identifier": service, "properties": {"last_deployed": now_iso()}})
        return f"Deployed {service} {props.get('version', '')} to {props.get('environment', 'production')}"
    return "Completed"


def advance(caller: Caller, run: dict[str, Any]) -> dict[str, Any]:
    """Finish a run whose time has come; idempotent, so any reader may call it."""
    org = caller.org
    with org.lock:
        due = run.get("_completeAt")
        if run["status"] == "IN_PROGRESS" and due is not None and caller.clock() >= due:
            stamp = _iso(caller.clock())
            try:
                summary = _apply_effect(org, run)
                run.update(status="SUCCESS", statusLabel="Completed", summary=summary)
            except CatalogError as exc:
                summary = str(exc)
                run.update(status="FAILURE", statusLabel="Failed", summary=summary)
            run["logs"].append({"message": summary, "createdAt": stamp})
            run.update(endedAt=stamp, updatedAt=stamp, _completeAt=None)
    return _public(run)


def get_run(caller: Caller, run_id: str) -> dict[str, Any]:
    run = caller.org.runs.get(run_id)
    if run is None:
        raise CatalogError(f"Action run '{run_id}' was not found.")
    return run


def _compact_action(action: dict[str, Any]) -> dict[str, Any]:
    trigger = action.get("trigger", {})
    return {
        "identifier": action["identifier"],
        "title": action.get("title"),
        "description": action.get("description", ""),
        "operation": trigger.get("operation"),
        "blueprint": trigger.get("blueprintIdentifier"),
        "inputs": sorted(trigger.get("userInputs", {}).get("properties", {})),
        "requiredApproval": bool(action.get("requiredApproval")),
    }


@tool(
    "list_actions",
    "Get all self-service actions. The response is compacted; pass `identifiers` for full details including "
    "the user-input schema that run_action expects.",
    {"identifiers": strings("Action identifiers to return in full"), "blueprintIdentifier": string("Filter")},
)
def list_actions(caller: Caller, args: dict[str, Any]) -> Any:
    actions = list(caller.org.actions.values())
    if args.get("blueprintIdentifier"):
        actions = [a for a in actions if a.get("trigger", {}).get("blueprintIdentifier") == args["blueprintIdentifier"]]
    if args.get("identifiers"):
        return {"actions": [copy.deepcopy(caller.org.action(i)) for i in args["identifiers"]]}
    return {"actions": [_compact_action(a) for a in actions]}


@tool(
    "run_action",
    "Execute any action you have permission to run in Port. Provide the action identifier and inputs to run "
    "the action. This unified tool handles all actions in your organization, reducing the total number of "
    "tools available. Use track_action_run with the returned run id to follow it.",
    {
        "actionIdentifier": string("Identifier of the action to run, e.g. 'scaffold_microservice'"),
        "entityIdentifier": string("Entity to run a DAY-2 or DELETE action on"),
        "properties": obj("The action's user inputs"),
        "executionMode": string(
            "'automatic' runs now; 'manual' returns a link for a person to review and run",
            enum=["automatic", "manual"],
        ),
    },
    ("actionIdentifier",),
    write=True,
)
def run_action(caller: Caller, args: dict[str, Any]) -> Any:
    action_id = arg(args, "actionIdentifier")
    properties = args.get("properties") or {}
    if args.get("executionMode") == "manual":
        caller.org.action(action_id)
        validate_inputs(caller.org.action(action_id), properties)
        return {"ok": True, "link": f"https://app.port.io/self-serve?action={action_id}", "executed": False}
    return {"ok": True, "run": start_run(caller, action_id, args.get("entityIdentifier"), properties)}


@tool(
    "track_action_run",
    "Track action execution status. With waitForCompletion=true the call returns when the run ends, "
    "reporting progress meanwhile.",
    {"runId": string("Run id (r_...)"), "waitForCompletion": boolean("Wait until the run ends", False)},
    ("runId",),
)
async def track_action_run(caller: Caller, args: dict[str, Any]) -> Any:
    run = get_run(caller, arg(args, "runId"))
    current = advance(caller, run)
    if args.get("waitForCompletion") and run.get("_completeAt") is not None:
        start, due = caller.clock(), run["_completeAt"]
        while current["status"] not in FINAL:
            done = min(caller.clock() - start, due - start)
            await caller.progress(max(done, 0.0), max(due - start, 0.0), current["statusLabel"])
            await asyncio.sleep(min(0.1, max(due - caller.clock(), 0.01)))
            current = advance(caller, run)
    return {"run": current}


@tool(
    "get_action_permissions",
    "Get who may execute and who must approve an action.",
    {"actionIdentifier": string("Action identifier")},
    ("actionIdentifier",),
)
def get_action_permissions(caller: Caller, args: dict[str, Any]) -> Any:
    action_id = arg(args, "actionIdentifier")
    caller.org.action(action_id)
    return {
        "actionIdentifier": action_id,
        "permissions": copy.deepcopy(caller.org.action_permissions[action_id]),
    }


@tool(
    "update_action_permissions",
    "Update an action's execute and approve permissions.",
    {"actionIdentifier": string("Action identifier"), "permissions": obj("{execute: {...}, approve: {...}}")},
    ("actionIdentifier", "permissions"),
    builder=True,
    write=True,
)
def update_action_permissions(caller: Caller, args: dict[str, Any]) -> Any:
    action_id = arg(args, "actionIdentifier")
    caller.org.action(action_id)
    with caller.org.lock:
        caller.org.action_permissions[action_id].update(arg(args, "permissions"))
        return {"ok": True, "permissions": copy.deepcopy(caller.org.action_permissions[action_id])}


@tool(
    "upsert_action",
    "Create a self-service action, or update the action with the same identifier.",
    {
        "action": obj(
            "Action: identifier, title, description, icon, trigger {type, operation, blueprintIdentifier, "
            "userInputs}, invocationMethod, requiredApproval",
            required=["identifier"],
        )
    },
    ("action",),
    builder=True,
    write=True,
)
def upsert_action(caller: Caller, args: dict[str, Any]) -> Any:
    return {"ok": True, "action": caller.org.upsert_action(arg(args, "action"))}


@tool(
    "delete_action",
    "Delete an action by its identifier.",
    {"actionIdentifier": string("Action identifier")},
    ("actionIdentifier",),
    builder=True,
    write=True,
    destructive=True,
)
def delete_action(caller: Caller, args: dict[str, Any]) -> Any:
    return caller.org.delete_action(arg(args, "actionIdentifier"))


# --- workflows ----------------------------------------------------------------------------------------------


def _workflow(org: Organization, identifier: str) -> dict[str, Any]:
    try:
        return org.workflows[identifier]
    except KeyError:
        known = ", ".join(sorted(org.workflows)) or "none"
        raise CatalogError(f"Workflow '{identifier}' was not found. Known workflows: {known}.") from None


@tool(
    "list_workflows",
    "List workflows. Every self-service trigger node of a workflow can be run with trigger_workflow_run.",
    {"identifiers": strings("Workflow identifiers to return in full")},
)
def list_workflows(caller: Caller, args: dict[str, Any]) -> Any:
    flows = caller.org.workflows
    if args.get("identifiers"):
        return {"workflows": [copy.deepcopy(_workflow(caller.org, i)) for i in args["identifiers"]]}
    return {
        "workflows": [
            {
                "identifier": w["identifier"],
                "title": w.get("title"),
                "nodes": [n["identifier"] for n in w["nodes"]],
            }
            for w in flows.values()
        ]
    }


@tool(
    "trigger_workflow_run",
    "Run a workflow from one of its self-service trigger nodes.",
    {
        "workflowIdentifier": string("Workflow identifier"),
        "nodeIdentifier": string("Trigger node (default: the first self-service trigger)"),
        "inputs": obj("Inputs for the trigger node"),
    },
    ("workflowIdentifier",),
    write=True,
)
def trigger_workflow_run(caller: Caller, args: dict[str, Any]) -> Any:
    flow = _workflow(caller.org, arg(args, "workflowIdentifier"))
    triggers = [n for n in flow["nodes"] if n.get("config", {}).get("type") == "SELF_SERVE_TRIGGER"]
    node_id = args.get("nodeIdentifier") or (triggers[0]["identifier"] if triggers else None)
    node = next((n for n in triggers if n["identifier"] == node_id), None)
    if node is None:
        raise CatalogError(f"Workflow '{flow['identifier']}' has no self-service trigger node '{node_id}'.")
    validate_inputs(
        {"identifier": flow["identifier"], "trigger": {"userInputs": node["config"].get("userInputs", {})}},
        args.get("inputs") or {},
    )
    run_id = new_id("wr_")
    stamp = now_iso()
    run = {
        "id": run_id,
        "workflowIdentifier": flow["identifier"],
        "nodeIdentifier": node_id,
        "inputs": args.get("inputs") or {},
        "status": "COMPLETED",
        "result": "SUCCESS",
        "createdBy": caller.email,
        "createdAt": stamp,
        "nodeRuns": [{"nodeIdentifier": n["identifier"], "status": "COMPLETED"} for n in flow["nodes"]],
    }
    with caller.org.lock:
        caller.org.workflow_runs[run_id] = run
    return {"ok": True, "workflowRun": copy.deepcopy(run)}


@tool(
    "get_workflow_run",
    "Get a workflow run and the status of each of its nodes.",
    {"runId": string("Workflow run id (wr_...)")},
    ("runId",),
)
def get_workflow_run(caller: Caller, args: dict[str, Any]) -> Any:
    run = caller.org.workflow_runs.get(arg(args, "runId"))
    if run is None:
        raise CatalogError(f"Workflow run '{args['runId']}' was not found.")
    return {"workflowRun": copy.deepcopy(run)}


@tool(
    "upsert_workflow",
    "Create or update a workflow: nodes (triggers and steps) and the connections between them.",
    {"workflow": obj("Workflow: identifier, title, nodes [...], connections [...]", required=["identifier"])},
    ("workflow",),
    builder=True,
    write=True,
)
def upsert_workflow(caller: Caller, args: dict[str, Any]) -> Any:
    flow = dict(arg(args, "workflow"))
    if not flow.get("identifier"):
        raise CatalogError("A workflow needs an 'identifier'.")
    flow.setdefault("nodes", [])
    flow.setdefault("connections", [])
    with caller.org.lock:
        caller.org.workflows[flow["identifier"]] = flow
    return {"ok": True, "workflow": copy.deepcopy(flow)}


@tool(
    "delete_workflow",
    "Delete a workflow by its identifier.",
    {"workflowIdentifier": string("Workflow identifier")},
    ("workflowIdentifier",),
    builder=True,
    write=True,
    destructive=True,
)
def delete_workflow(caller: Caller, args: dict[str, Any]) -> Any:
    identifier = arg(args, "workflowIdentifier")
    _workflow(caller.org, identifier)
    with caller.org.lock:
        del caller.org.workflows[identifier]
    return {"ok": True, "deleted": identifier}
