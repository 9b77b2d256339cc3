"""Pages, sidebar folders, dashboard widgets and UI plugins (Port's "Pages & dashboards" tools)."""

from __future__ import annotations

import copy
from typing import Any

from bridge.sandbox.catalog import CatalogError, Organization
from bridge.sandbox.tools import Caller, arg, obj, string, tool

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
