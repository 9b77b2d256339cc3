"""General, knowledge, pages and integration tools of the sandbox."""

from __future__ import annotations

import copy
import re
from functools import cache
from importlib import resources
from typing import Any

from bridge.sandbox.catalog import CatalogError, Organization
from bridge.sandbox.tools import Caller, arg, integer, obj, string, strings, tool

# --- general ----------------------------------------------------------------------------------------------


@tool(
    "describe_user_details",
    "Describe the user, which organization they are connected to and which teams they are a member of. "
    "Use it to answer questions such as 'which org am I in?' or 'what are my teams?'.",
)
def describe_user_details(caller: Caller, args: dict[str, Any]) -> Any:
    user = caller.org.users.get(caller.email)
    teams = user.teams if user else []
    team_titles = [caller.org.entities.get("_team", {}).get(t, {}).get("title", t) for t in teams]
    return {
        "email": caller.email,
        "name": f"{user.first_name} {user.last_name}" if user else caller.email,
        "role": "Admin" if caller.role == "builder" else "Member",
        "organization": {"id": caller.org.id, "name": caller.org.name},
        "teams": [{"identifier": t, "title": title} for t, title in zip(teams, team_titles, strict=True)],
    }


# --- knowledge: docs search and skills --------------------------------------------------------------------


@cache
def _doc_sections() -> list[dict[str, str]]:
    sections = []
    for page in sorted(resources.files("bridge.sandbox").joinpath("docs").iterdir(), key=lambda p: p.name):
        if not page.name.endswith(".md"):
            continue
        text = page.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip() if text else page.name
        url = next((line[4:].strip() for line in text.splitlines() if line.startswith("URL:")), "")
        for chunk in re.split(r"\n(?=## )", text):
            heading = chunk.splitlines()[0].lstrip("# ").strip()
            sections.append({"title": title, "section": heading, "url": url, "text": chunk.strip()})
    return sections


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9_\-]+", text.lower())


@tool(
    "search_port_knowledge_sources",
    "Search Port's documentation and knowledge sources and return the most relevant sections with their "
    "links. Use it for how-to questions about Port (blueprints, scorecards, actions, integrations, the MCP "
    "server).",
    {
        "query": string("What to look for"),
        "limit": integer("Number of sections", default=5, minimum=1, maximum=20),
    },
    ("query",),
)
def search_port_knowledge_sources(caller: Caller, args: dict[str, Any]) -> Any:
    terms = set(_words(arg(args, "query")))
    scored = []
    for sec in _doc_sections():
        words = _words(sec["text"])
        score = sum(words.count(t) for t in terms) + 3 * sum(
            t in _words(sec["title"] + " " + sec["section"]) for t in terms
        )
        if score:
            scored.append((score, sec))
    scored.sort(key=lambda pair: -pair[0])
    limit = int(args.get("limit") or 5)
    return {
        "results": [
            {"title": s["title"], "section": s["section"], "url": s["url"], "content": s["text"][:1500]}
            for _, s in scored[:limit]
        ]
    }


def _skills_root() -> Any:
    return resources.files("bridge.sandbox").joinpath("skills")


@tool(
    "load_skill",
    "Load specialized guidance for a domain-specific task (e.g. 'troubleshoot-integration', 'create-scorecard'). "
    "Call without a name to list skills; pass `resource` to load one of a skill's reference files.",
    {
        "name": string("Skill name"),
        "resource": string("Reference file inside the skill, e.g. references/x.md"),
    },
)
def load_skill(caller: Caller, args: dict[str, Any]) -> Any:
    root = _skills_root()
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    name = args.get("name")
    if not name:
        return {"skills": names}
    if name not in names:
        raise CatalogError(f"Skill '{name}' does not exist. Available skills: {', '.join(names)}.")
    skill = root.joinpath(name)
    resource = args.get("resource")
    if resource:
        if ".." in resource.split("/"):
            raise CatalogError("resource must be a path inside the skill.")
        target = skill.joinpath(*resource.split("/"))
        if not target.is_file():
            raise CatalogError(f"Skill '{name}' has no resource '{resource}'.")
        return {"skill": name, "resource": resource, "content": target.read_text(encoding="utf-8")}
    refs = skill.joinpath("references")
    available = sorted(f"references/{p.name}" for p in refs.iterdir()) if refs.is_dir() else []
    return {
        "skill": name,
        "content": skill.joinpath("SKILL.md").read_text(encoding="utf-8"),
        "resources": available,
    }


# --- pages, sidebar, widgets, plugins ------------------------------------------------------------------------

WIDGET_SCHEMAS: dict[str, dict[str, Any]] = {
    "number-chart": {
        "required": ["id", "title", "blueprint", "calculationBy"],
        "properties": {
            "calculationBy": {"enum": ["entities", "property"]},
            "func": {"enum": ["count", "sum", "average"]},
        },
    },
    "pie-chart": {
        "required": ["id", "title", "blueprint", "property"],
        "properties": {"property": {"type": "string"}},
    },
    "table-entities-explorer": {
        "required": ["id", "title", "blueprint"],
        "properties": {"columns": {"type": "array"}},
    },
    "markdown": {"required": ["id", "title", "markdown"], "properties": {"markdown": {"type": "string"}}},
    "line-chart": {
        "required": ["id", "title", "blueprint", "property"],
        "properties": {"timeframe": {"type": "string"}},
    },
}


def _page(org: Organization, identifier: str) -> dict[str, Any]:
    if identifier not in org.pages:
        raise CatalogError(f"Page '{identifier}' was not found. Pages: {', '.join(sorted(org.pages))}.")
    return org.pages[identifier]


@tool(
    "get_page",
    "Get a page or dashboard with its widgets.",
    {"pageIdentifier": string("Page")},
    ("pageIdentifier",),
)
def get_page(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    page = copy.deepcopy(_page(org, arg(args, "pageIdentifier")))
    prefix = f"{page['identifier']}/"
    page["widgets"] = [copy.deepcopy(w) for k, w in org.widgets.items() if k.startswith(prefix)]
    return {"page": page}


@tool("get_sidebar", "Get the catalog sidebar: folders and the pages inside them, in order.")
def get_sidebar(caller: Caller, args: dict[str, Any]) -> Any:
    org = caller.org
    items = []
    for folder in org.sidebar_folders.values():
        pages = [p["identifier"] for p in org.pages.values() if p.get("parent") == folder["identifier"]]
        items.append({**copy.deepcopy(folder), "type": "folder", "pages": pages})
    loose = [p["identifier"] for p in org.pages.values() if not p.get("parent")]
    return {"sidebar": items, "pagesOutsideFolders": loose}


@tool(
    "load_widget_schema",
    "Load the schema of a dashboard widget type before creating one with upsert_widget.",
    {"widgetType": string("Widget type", enum=sorted(WIDGET_SCHEMAS))},
    ("widgetType",),
)
def load_widget_schema(caller: Caller, args: dict[str, Any]) -> Any:
    kind = arg(args, "widgetType")
    if kind not in WIDGET_SCHEMAS:
        raise CatalogError(f"Unknown widget type '{kind}'. Types: {', '.join(sorted(WIDGET_SCHEMAS))}.")
    return {"widgetType": kind, "schema": WIDGET_SCHEMAS[kind]}


def _store(caller: Caller, table: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
    with caller.org.lock:
        getattr(caller.org, table)[key] = value
    return {"ok": True, table.rstrip("s"): copy.deepcopy(value)}


def _identified(args: dict[str, Any], key: str) -> dict[str, Any]:
    value = dict(arg(args, key))
    if not value.get("identifier"):
        raise CatalogError(f"The {key} needs an 'identifier'.")
    return value


@tool(
    "upsert_dashboard_page",
    "Create or update a dashboard page.",
    {"page": obj("Page: identifier, title, icon, parent (sidebar folder)", required=["identifier"])},
    ("page",),
    builder=True,
    write=True,
)
def upsert_dashboard_page(caller: Caller, args: dict[str, Any]) -> Any:
    page = {"type": "dashboard", **caller.org.pages.get(args.get("page", {}).get("identifier"), {})}
    page.update(_identified(args, "page"))
    if page.get("parent") and page["parent"] not in caller.org.sidebar_folders:
        raise CatalogError(f"Sidebar folder '{page['parent']}' does not exist.")
    return _store(caller, "pages", page["identifier"], page)


@tool(
    "move_page",
    "Move a page into a sidebar folder (or out of all folders with parentIdentifier null).",
    {"pageIdentifier": string("Page"), "parentIdentifier": string("Target folder")},
    ("pageIdentifier",),
    builder=True,
    write=True,
)
def move_page(caller: Caller, args: dict[str, Any]) -> Any:
    page = _page(caller.org, arg(args, "pageIdentifier"))
    parent = args.get("parentIdentifier")
    if parent and parent not in caller.org.sidebar_folders:
        raise CatalogError(f"Sidebar folder '{parent}' does not exist.")
    with caller.org.lock:
        page["parent"] = parent
    return {"ok": True, "page": copy.deepcopy(page)}


@tool(
    "upsert_sidebar_folder",
    "Create or update a sidebar folder.",
    {"folder": obj("Folder: identifier, title", required=["identifier"])},
    ("folder",),
    builder=True,
    write=True,
)
def upsert_sidebar_folder(caller: Caller, args: dict[str, Any]) -> Any:
    folder = _identified(args, "folder")
    return _store(caller, "sidebar_folders", folder["identifier"], folder)


@tool(
    "delete_sidebar_folder",
    "Delete an empty sidebar folder.",
    {"folderIdentifier": string("Folder")},
    ("folderIdentifier",),
    builder=True,
    write=True,
    destructive=True,
)
def delete_sidebar_folder(caller: Caller, args: dict[str, Any]) -> Any:
    folder = arg(args, "folderIdentifier")
    org = caller.org
    if folder not in org.sidebar_folders:
        raise CatalogError(f"Sidebar folder '{folder}' does not exist.")
    inside = [p["identifier"] for p in org.pages.values() if p.get("parent") == folder]
    if inside:
        raise CatalogError(f"Folder '{folder}' still holds pages {inside}; move them first (move_page).")
    with org.lock:
        del org.sidebar_folders[folder]
    return {"ok": True, "deleted": folder}


@tool(
    "upsert_widget",
    "Add a widget to a dashboard page, or update the widget with the same id. Load its schema first with "
    "load_widget_schema.",
    {
        "pageIdentifier": string("Dashboard page"),
        "widget": obj("Widget: id, type, title and the type's fields"),
    },
    ("pageIdentifier", "widget"),
    builder=True,
    write=True,
)
def upsert_widget(caller: Caller, args: dict[str, Any]) -> Any:
    page = _page(caller.org, arg(args, "pageIdentifier"))
    widget = dict(arg(args, "widget"))
    schema = WIDGET_SCHEMAS.get(widget.get("type", ""))
    if schema is None:
        raise CatalogError(f"Widget type must be one of {sorted(WIDGET_SCHEMAS)}.")
    missing = [k for k in schema["required"] if widget.get(k) in (None, "")]
    if missing:
        raise CatalogError(f"A {widget['type']} widget needs {missing}.")
    return _store(caller, "widgets", f"{page['identifier']}/{widget['id']}", widget)


@tool(
    "delete_widget",
    "Remove a widget from a dashboard page.",
    {"pageIdentifier": string("Page"), "widgetIdentifier": string("Widget id")},
    ("pageIdentifier", "widgetIdentifier"),
    builder=True,
    write=True,
    destructive=True,
)
def delete_widget(caller: Caller, args: dict[str, Any]) -> Any:
    key = f"{arg(args, 'pageIdentifier')}/{arg(args, 'widgetIdentifier')}"
    with caller.org.lock:
        if caller.org.widgets.pop(key, None) is None:
            raise CatalogError(f"Widget '{args['widgetIdentifier']}' is not on page '{args['pageIdentifier']}'.")
    return {"ok": True, "deleted": key}


@tool("list_plugins", "List the UI plugins installed in the organization.", builder=True)
def list_plugins(caller: Caller, args: dict[str, Any]) -> Any:
    return {"plugins": [copy.deepcopy(p) for p in caller.org.plugins.values()]}


@tool(
    "upsert_plugin",
    "Install or update a UI plugin.",
    {"plugin": obj("Plugin: identifier, title, url", required=["identifier"])},
    ("plugin",),
    builder=True,
    write=True,
)
def upsert_plugin(caller: Caller, args: dict[str, Any]) -> Any:
    plugin = _identified(args, "plugin")
    return _store(caller, "plugins", plugin["identifier"], plugin)


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
    results = []
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
