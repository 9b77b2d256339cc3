"""`bridge.policy.renames`: a tool exposure list against the names Port lists now (issue 16, section 3: Port renames
tools; a list by exact name must not silently hide or expose them)."""

from __future__ import annotations

import pytest

from bridge.policy.renames import ToolDrift, exposure_drift, tool_drift

# Port's tool list when its docs first listed it (port-docs b01d3a67b src/data/mcpTools.js) and now (4893974ae).
PORT_BEFORE = ["ask_port_docs", "create_entity", "get_entities", "get_entity", "list_blueprints",
               "search_port_docs_sources"]  # fmt: skip
PORT_NOW = ["count_entities", "create_entity", "get_entities_by_identifiers", "list_blueprints", "list_entities",
            "load_skill", "search_port_sources"]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "listed", "appeared", "missing", "renames"),
    [
        # Port's own renames between its docs' first tool list and today's
        (PORT_BEFORE, PORT_NOW, (), ("ask_port_docs", "get_entities", "get_entity", "search_port_docs_sources"),
         (("get_entities", "list_entities"), ("search_port_docs_sources", "search_port_sources"))),
        # the example: same object after another verb
        (["get_blueprints"], ["list_blueprints", "list_entities"], (), ("get_blueprints",),
         (("get_blueprints", "list_blueprints"),)),
        # a change of case or separator style only
        (["getBlueprints"], ["get_blueprints"], (), ("getBlueprints",), (("getBlueprints", "get_blueprints"),)),
        (["get-blueprints"], ["get_blueprints"], (), ("get-blueprints",), (("get-blueprints", "get_blueprints"),)),
        # the names new since an earlier list are the candidates, when known
        (["get_blueprints"], ["list_blueprints", "fetch_blueprints"], ["fetch_blueprints"], ("get_blueprints",),
         (("get_blueprints", "fetch_blueprints"),)),
        # nothing alike: gone, no guess
        (["describe_user_details"], ["list_entities", "upsert_widget"], (), ("describe_user_details",), ()),
        # each new name stands for one old name at most
        (["get_blueprints", "fetch_blueprints"], ["list_blueprints"], (), ("get_blueprints", "fetch_blueprints"),
         (("get_blueprints", "list_blueprints"),)),
        # nothing missing: nothing to say, whatever is new
        (["list_entities"], ["list_entities", "list_blueprints"], ["list_blueprints"], (), ()),
        ([], ["list_entities"], (), (), ()),
    ],
)  # fmt: skip
def test_tool_drift(
    names: list[str], listed: list[str], appeared: list[str], missing: tuple[str, ...], renames: tuple[object, ...]
) -> None:
    drift = tool_drift(names, listed, appeared)
    assert (drift.missing, drift.renames) == (missing, renames)
    assert bool(drift) is bool(missing)
    assert set(new for _, new in renames) <= set(drift.new)


def test_new_names_without_a_match_are_reported_too() -> None:
    drift = tool_drift(["get_blueprints"], ["list_blueprints", "load_skill"], ["list_blueprints", "load_skill"])
    assert drift.new == ("list_blueprints", "load_skill")
    assert drift.summary() == "get_blueprints → list_blueprints?"


def test_summary_and_the_updated_list() -> None:
    drift = tool_drift(PORT_BEFORE, PORT_NOW)
    assert drift.summary(limit=2) == "ask_port_docs (gone), get_entities → list_entities? and 2 more"
    assert drift.updated_names(PORT_BEFORE) == ["create_entity", "list_entities", "list_blueprints",
                                                "search_port_sources"]  # fmt: skip
    assert drift.key == (drift.missing, drift.new) and ToolDrift().key == ((), ())
    assert not ToolDrift()


def test_exposure_drift_modes_and_read_only() -> None:
    assert not exposure_drift("all", ["get_blueprints"], ["list_blueprints"])
    assert not exposure_drift("allow", ["get_blueprints"], [])  # an empty list says nothing
    deny = exposure_drift("deny", ["delete_blueprint"], ["remove_blueprint", "list_blueprints"])
    assert deny.renames == (("delete_blueprint", "remove_blueprint"),)  # else the new name would be exposed
    # Read-only on: Port does not list write tools, so a write tool the list names is not gone
    assert not exposure_drift("deny", ["delete_blueprint"], ["list_blueprints"], read_only=True)
    # ... unless it is known to be a read tool (its annotations, as the proxy keeps them)
    known = {"ask_docs": {"name": "ask_docs", "annotations": {"readOnlyHint": True}}}
    assert exposure_drift("allow", ["ask_docs"], ["list_blueprints"], read_only=True, known=known).missing == (
        "ask_docs",
    )
    assert exposure_drift("allow", ["get_blueprints"], ["list_blueprints"], read_only=True).missing == (
        "get_blueprints",
    )
