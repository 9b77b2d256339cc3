"""The demo data: every fact the demos and other tests rely on, recomputed from the data with Port queries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox import seed
from bridge.sandbox.catalog import Organization
from bridge.sandbox.query import evaluate_scorecard, matches
from bridge.sandbox.seed import (
    ACME_BACKEND_MICROSERVICE_COUNT,
    ACME_ORG_ID,
    ACME_PRODUCTION_SERVICE_COUNT,
    ACME_SECURITY_FAILING,
    ACME_SERVICES_MISSING_DASHBOARD,
    DEMO_CREDENTIALS,
    DEMO_USERS,
    GLOBEX_ORG_ID,
    GLOBEX_SERVICE_COUNT,
    INTEGRATION_KIND_EXAMPLES,
    build_demo_orgs,
)

SANDBOX_DIR = Path(seed.__file__).parent
IN_PRODUCTION = {
    "combinator": "and",
    "rules": [{"operator": "relatedTo", "blueprint": "environment", "value": "production"}],
}
ORG_ID = re.compile(r"^org_[A-Za-z0-9]{16}$")


@pytest.fixture(scope="module")
def orgs() -> dict[str, Organization]:
    return build_demo_orgs()  # read-only tests share one build; mutating tests build their own


@pytest.fixture(scope="module")
def acme(orgs: dict[str, Organization]) -> Organization:
    return orgs[ACME_ORG_ID]


@pytest.fixture(scope="module")
def globex(orgs: dict[str, Organization]) -> Organization:
    return orgs[GLOBEX_ORG_ID]


def service(org: Organization, identifier: str) -> dict[str, Any]:
    found = org.search_entities(
        "service", {"rules": [{"property": "$identifier", "operator": "=", "value": identifier}]}
    )
    assert len(found) == 1, identifier
    return found[0]


def failing(entity: dict[str, Any], card: str) -> set[str]:
    return {r["identifier"] for r in entity["scorecards"][card]["rules"] if r["status"] == "FAILURE"}


def walk(value: Any) -> Any:
    """Every dict nested anywhere in value."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


# --- organizations, people, credentials ----------------------------------------------------------------------


def test_org_ids_and_names(orgs: dict[str, Organization]) -> None:
    assert set(orgs) == {ACME_ORG_ID, GLOBEX_ORG_ID}
    assert all(ORG_ID.match(i) for i in orgs)
    assert orgs[ACME_ORG_ID].name == "Acme Corp (demo)"
    assert orgs[GLOBEX_ORG_ID].name == "Globex (demo)"


def test_users_and_memberships(acme: Organization, globex: Organization) -> None:
    assert set(DEMO_USERS) == {"dana@acme.example", "sam@acme.example"}
    assert DEMO_USERS["dana@acme.example"].name == "Dana Ortiz"
    assert DEMO_USERS["sam@acme.example"].name == "Sam Lee"
    assert acme.users["dana@acme.example"].role == "builder"
    assert acme.users["sam@acme.example"].role == "developer"
    assert globex.users["dana@acme.example"].role == "developer"
    assert "sam@acme.example" not in globex.users
    for org in (acme, globex):
        for user in org.users.values():
            assert user.teams and all(t in org.entities["_team"] for t in user.teams)


def test_demo_credentials() -> None:
    per_org: dict[str, list[str]] = {}
    for client_id, (secret, org_id, role) in DEMO_CREDENTIALS.items():
        assert secret and secret != client_id
        assert role in {"builder", "developer"}
        per_org.setdefault(org_id, []).append(role)
    assert sorted(per_org[ACME_ORG_ID]) == ["builder", "developer"]
    assert len(per_org[GLOBEX_ORG_ID]) == 1
    assert DEMO_CREDENTIALS["acme-builder-demo"][1:] == (ACME_ORG_ID, "builder")


# --- the Acme catalog ------------------------------------------------------------------------------------------


def test_blueprints(acme: Organization, globex: Organization) -> None:
    expected = {"_team", "_user", "environment", "service", "incident", "prompt"}
    assert expected <= set(acme.blueprints)
    assert set(globex.blueprints) == set(acme.blueprints)
    assert set(acme.entities["_team"]) == {"backend", "frontend", "platform", "payments", "data", "mobile", "sre"}
    assert acme.entities["_team"]["sre"]["title"] == "SRE"
    assert set(acme.entities["environment"]) == {"production", "staging", "development"}


def test_service_catalog_shape(acme: Organization) -> None:
    services = acme.search_entities("service")
    assert len(services) == 36
    props = [s["properties"] for s in services]
    assert {p["language"] for p in props} == {"Python", "Java", "Go", "TypeScript", "Kotlin"}
    assert {p["tier"] for p in props} == {"tier-1", "tier-2", "tier-3"}
    assert {t for s in services for t in s["team"]} == set(acme.entities["_team"])
    assert sum(p["lifecycle"] == "Deprecated" for p in props) >= 2
    assert any(not p["readme"] for p in props)
    assert any(not p["on_call"] for p in props)


def test_services_in_production(acme: Organization) -> None:
    assert len(acme.search_entities("service", IN_PRODUCTION)) == ACME_PRODUCTION_SERVICE_COUNT == 24


def test_backend_microservices(acme: Organization) -> None:
    query = {
        "combinator": "and",
        "rules": [
            {"property": "$team", "operator": "=", "value": ["backend"]},
            {"property": "type", "operator": "=", "value": "microservice"},
        ],
    }
    assert len(acme.search_entities("service", query)) == ACME_BACKEND_MICROSERVICE_COUNT == 9


def test_java_microservices_have_coverage_and_bugs(acme: Organization) -> None:
    query = {
        "combinator": "and",
        "rules": [
            {"property": "language", "operator": "=", "value": "Java"},
            {"property": "type", "operator": "=", "value": "microservice"},
        ],
    }
    found = acme.search_entities("service", query)
    assert len(found) >= 6
    for s in found:
        assert isinstance(s["properties"]["test_coverage"], int | float)
        assert isinstance(s["properties"]["bug_count"], int | float)


def test_order_processing(acme: Organization) -> None:
    s = service(acme, "order-processing")
    assert s["title"] == "OrderProcessing" and s["team"] == ["backend"]
    assert (s["properties"]["language"], s["properties"]["type"], s["properties"]["tier"]) == (
        "Java",
        "microservice",
        "tier-1",
    )
    assert sorted(s["relations"]["environments"]) == ["production", "staging"]
    assert s["relations"]["dependencies"] == [
        "inventory-service",
        "payment-service",
        "notification-service",
        "customer-profile",
    ]


@pytest.mark.parametrize(
    ("identifier", "title", "team"),
    [
        ("inventory-service", "InventoryService", "backend"),
        ("payment-service", "PaymentService", "payments"),
        ("notification-service", "NotificationService", "platform"),
        ("customer-profile", "CustomerProfile", "backend"),
    ],
)
def test_named_services(acme: Organization, identifier: str, title: str, team: str) -> None:
    s = service(acme, identifier)
    assert s["title"] == title and s["team"] == [team]


def test_inventory_service_is_silver(acme: Organization) -> None:
    s = service(acme, "inventory-service")
    p = s["properties"]
    assert (p["language"], p["type"], p["tier"]) == ("Java", "microservice", "tier-1")
    assert "production" in s["relations"]["environments"]
    assert p["test_coverage"] == 72 and not p["on_call"]
    result = s["scorecards"]["production_readiness"]
    assert result["level"] == "Silver"
    failed = [r for r in result["rules"] if r["status"] == "FAILURE"]
    assert {r["identifier"] for r in failed} == {"test_coverage_80", "has_on_call"}
    assert all(r["level"] == "Gold" for r in failed)
    card = acme.scorecard("production_readiness", "service")
    assert len([r for r in card["rules"] if r["level"] == "Gold"]) == 3


def test_production_readiness_rules(acme: Organization) -> None:
    card = acme.scorecard("production_readiness", "service")
    assert card["title"] == "Production Readiness"
    assert [lv["title"] for lv in card["levels"]] == ["Basic", "Bronze", "Silver", "Gold"]
    by_level: dict[str, set[str]] = {}
    for r in card["rules"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r["identifier"]) and r["title"] != r["identifier"]
        props = {c["property"] for c in r["query"]["conditions"]}
        by_level.setdefault(r["level"], set()).update(props)
    assert by_level == {
        "Bronze": {"readme", "repository", "has_codeowners"},
        "Silver": {"monitoring_dashboard", "test_coverage", "slack_channel"},
        "Gold": {"test_coverage", "on_call", "bug_count"},
    }


def test_no_reporting_service_exists(acme: Organization) -> None:
    for entities in acme.entities.values():
        for e in entities.values():
            assert "reporting" not in e["identifier"].lower() and "reporting" not in str(e["title"]).lower()


def test_missing_dashboards(acme: Organization) -> None:
    query = {"combinator": "and", "rules": [{"property": "monitoring_dashboard", "operator": "isEmpty"}]}
    found = sorted(s["identifier"] for s in acme.search_entities("service", query))
    assert found == ACME_SERVICES_MISSING_DASHBOARD == sorted(ACME_SERVICES_MISSING_DASHBOARD)
    assert len(found) >= 4


def test_security_failing(acme: Organization) -> None:
    basic = sorted(
        s["identifier"]
        for s in acme.search_entities("service")
        if s["scorecards"]["security_requirements"]["level"] == "Basic"
    )
    assert basic == ACME_SECURITY_FAILING == sorted(ACME_SECURITY_FAILING)
    assert len(basic) >= 3
    for identifier in basic:
        assert "no_critical_vulnerabilities" in failing(service(acme, identifier), "security_requirements")


def test_tier1_scorecard(acme: Organization) -> None:
    card = acme.scorecard("tier1_services", "service")
    assert card["title"] == "Tier1Services"
    assert card["filter"] == {
        "combinator": "and",
        "conditions": [{"property": "tier", "operator": "=", "value": "tier-1"}],
    }
    assert len(card["rules"]) >= 2
    for r in card["rules"]:
        assert "on_call" not in str(r).lower() and "on-call" not in str(r).lower()
    for s in acme.search_entities("service"):
        assert ("tier1_services" in s["scorecards"]) == (s["properties"]["tier"] == "tier-1")


def test_scorecard_results_match_query_functions(acme: Organization) -> None:
    for card in acme.scorecards.values():
        for entity in acme.entities["service"].values():
            if card.get("filter") and not matches(entity, card["filter"]):
                continue
            rendered = acme.render_entity(entity)["scorecards"][card["identifier"]]
            assert rendered == evaluate_scorecard(entity, card)


# --- actions, runs, workflows ---------------------------------------------------------------------------------

ACTIONS = {
    "scaffold_microservice": "CREATE",
    "create_incident": "DAY-2",
    "create_github_issue": "DAY-2",
    "deploy_service": "DAY-2",
    "rollback_deployment": "DAY-2",
    "request_temporary_db_access": "DAY-2",
    "delete_service": "DELETE",
}


def test_actions(acme: Organization) -> None:
    assert {a: acme.actions[a]["trigger"]["operation"] for a in acme.actions} == ACTIONS
    for action in acme.actions.values():
        trigger = action["trigger"]
        assert trigger["type"] == "self-service" and trigger["blueprintIdentifier"] == "service"
        inputs = trigger["userInputs"]
        assert set(inputs["required"]) <= set(inputs["properties"])
        assert set(inputs["order"]) == set(inputs["properties"])
        assert action["invocationMethod"]["type"] in {"GITHUB", "WEBHOOK", "GITLAB", "KAFKA", "UPSERT_ENTITY"}
        assert action["requiredApproval"] == (action["identifier"] == "request_temporary_db_access")
    scaffold = acme.actions["scaffold_microservice"]["trigger"]["userInputs"]
    assert scaffold["required"] == ["service_name"]
    assert scaffold["properties"]["service_name"]["pattern"] == "^[a-z][a-z0-9-]+$"
    assert scaffold["properties"]["team"] == {
        "type": "string",
        "title": "Owning team",
        "format": "entity",
        "blueprint": "_team",
    }
    incident = acme.actions["create_incident"]["trigger"]["userInputs"]
    assert set(incident["required"]) == {"title", "severity"}
    assert incident["properties"]["severity"]["enum"] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    deploy = acme.actions["deploy_service"]["trigger"]["userInputs"]["properties"]
    assert deploy["environment"]["enum"] == ["production", "staging", "development"]


def test_every_array_input_has_items(orgs: dict[str, Organization]) -> None:
    checked = 0
    for org in orgs.values():
        schemas = [a["trigger"]["userInputs"] for a in org.actions.values()]
        schemas += [n["config"].get("userInputs", {}) for w in org.workflows.values() for n in w["nodes"]]
        schemas += [bp["schema"] for bp in org.blueprints.values()]
        for node in walk(schemas):
            if node.get("type") == "array":
                assert "items" in node, node
                checked += 1
    assert checked >= 4  # labels, groups, secret_names, prompt arguments


def test_action_permissions(acme: Organization, globex: Organization) -> None:
    for org in (acme, globex):
        assert set(org.action_permissions) == set(org.actions)
        for perms in org.action_permissions.values():
            assert set(perms["execute"]) == {"roles", "users", "teams", "ownedByTeam"}
            assert perms["execute"]["roles"] and "roles" in perms["approve"]
    assert acme.action_permissions["delete_service"]["execute"]["roles"] == ["Admin"]
    assert acme.action_permissions["request_temporary_db_access"]["approve"]["roles"] == ["Admin"]
    assert "Member" in acme.action_permissions["scaffold_microservice"]["execute"]["roles"]


def test_historical_runs(acme: Organization) -> None:
    assert len(acme.runs) == 3
    for run_id, run in acme.runs.items():
        assert re.fullmatch(r"r_[A-Za-z0-9]{16}", run_id) and run["id"] == run_id
        assert run["status"] in {"SUCCESS", "FAILURE"} and run["endedAt"]
        assert run["action"]["identifier"] in acme.actions and run["source"] == "UI"
        assert run["createdBy"] in DEMO_USERS
        assert run["logs"] and all({"message", "createdAt"} <= set(log) for log in run["logs"])
        if run["entity"]:
            assert run["entity"]["identifier"] in acme.entities["service"]
    assert {r["status"] for r in acme.runs.values()} == {"SUCCESS", "FAILURE"}


def test_workflows(acme: Organization) -> None:
    assert set(acme.workflows) == {"onboard_engineer", "rotate_service_secrets"}
    for flow in acme.workflows.values():
        nodes = {n["identifier"]: n for n in flow["nodes"]}
        assert next(iter(nodes.values()))["config"]["type"] == "SELF_SERVE_TRIGGER"
        for c in flow["connections"]:
            assert c["sourceIdentifier"] in nodes and c["targetIdentifier"] in nodes


# --- portal, integrations, prompts, incidents -----------------------------------------------------------------


def test_pages_widgets_and_sidebar(acme: Organization) -> None:
    assert set(acme.sidebar_folders) == {"catalog", "dashboards"}
    assert acme.pages["service_catalog"]["type"] == "blueprint-entities"
    assert acme.pages["service_catalog"]["blueprint"] == "service"
    assert acme.pages["engineering_overview"]["type"] == "dashboard"
    assert all(p["parent"] in acme.sidebar_folders for p in acme.pages.values())
    assert len([k for k in acme.widgets if k.startswith("engineering_overview/")]) == 3
    for key, widget in acme.widgets.items():
        assert key == f"{key.split('/')[0]}/{widget['id']}" and key.split("/")[0] in acme.pages
    number = acme.widgets["engineering_overview/services_in_production"]
    assert number["title"] == "Services in production"
    assert len(acme.search_entities("service", number["dataset"])) == ACME_PRODUCTION_SERVICE_COUNT
    assert set(acme.plugins) == {"deployment-timeline"}


def test_integrations(acme: Organization) -> None:
    assert set(acme.integrations) == {"github-ocean", "pagerduty"}
    github = acme.integrations["github-ocean"]
    assert github["installationAppType"] == "GitHub" and github["version"]
    assert "kind: repository" in github["config"]["mapping"]
    assert sum(e["level"] == "ERROR" for e in github["eventLogs"]) >= 2
    assert all(e["level"] in {"INFO", "WARNING", "ERROR"} for e in github["eventLogs"])
    assert github["syncMetrics"]["kinds"]["repository"]["upserted"] == 36
    pagerduty = acme.integrations["pagerduty"]
    assert not [e for e in pagerduty["eventLogs"] if e["level"] == "ERROR"]
    assert pagerduty["syncMetrics"]["status"] == "COMPLETED"
    for identifier, kinds in INTEGRATION_KIND_EXAMPLES.items():
        assert identifier in acme.integrations
        assert all(1 <= len(examples) <= 2 for examples in kinds.values())


def test_prompts(acme: Organization) -> None:
    prompts = acme.entities["prompt"]
    assert set(prompts) == {"incident_summary", "service_onboarding"}
    summary = prompts["incident_summary"]["properties"]
    assert summary["template"].startswith("Summarize incident {{incident_id}} for the {{audience}} audience")
    assert {a["name"]: a["required"] for a in summary["arguments"]} == {"incident_id": True, "audience": False}
    onboarding = prompts["service_onboarding"]["properties"]
    assert [(a["name"], a["required"]) for a in onboarding["arguments"]] == [("service_name", True)]
    for entity in prompts.values():
        placeholders = set(re.findall(r"\{\{(\w+)\}\}", entity["properties"]["template"]))
        assert placeholders == {a["name"] for a in entity["properties"]["arguments"]}


def test_incidents(acme: Organization) -> None:
    incidents = acme.entities["incident"]
    assert len(incidents) == 3
    assert all(i["relations"]["service"] in acme.entities["service"] for i in incidents.values())


# --- Globex ---------------------------------------------------------------------------------------------------


def test_globex(acme: Organization, globex: Organization) -> None:
    services = globex.search_entities("service")
    assert len(services) == GLOBEX_SERVICE_COUNT == 8
    assert not {s["identifier"] for s in services} & set(acme.entities["service"])
    assert {e["title"] for e in globex.entities["_team"].values()} == {"Core", "Web"}
    assert [c["identifier"] for c in globex.scorecards.values()] == ["production_readiness"]
    assert set(globex.actions) == {"scaffold_microservice", "create_incident"}
    assert all("production_readiness" in s["scorecards"] for s in services)


# --- building ---------------------------------------------------------------------------------------------------


def test_builds_are_independent_and_deterministic() -> None:
    first, second = build_demo_orgs(), build_demo_orgs()
    a1, a2 = first[ACME_ORG_ID], second[ACME_ORG_ID]
    assert a1 is not a2
    assert set(a1.runs) == set(a2.runs)  # seeded ids
    for ident, entity in a1.entities["service"].items():
        other = a2.entities["service"][ident]
        assert {k: v for k, v in entity["properties"].items() if k != "last_deployed"} == {
            k: v for k, v in other["properties"].items() if k != "last_deployed"
        }
        assert entity["relations"] == other["relations"] and entity["team"] == other["team"]
    # Mutating one build leaves the other (and the other org) untouched.
    a1.entities["service"]["order-processing"]["relations"]["dependencies"].append("cart")
    a1.entities["service"]["order-processing"]["team"].append("sre")
    a1.blueprints["service"]["schema"]["properties"]["language"]["enum"].append("Rust")
    a1.scorecards["service/production_readiness"]["rules"].clear()
    a1.actions["create_incident"]["trigger"]["userInputs"]["required"].clear()
    a1.action_permissions["create_incident"]["execute"]["roles"].clear()
    a1.entities["_user"]["dana@acme.example"]["relations"]["teams"].append("sre")
    a1.users["dana@acme.example"].teams.append("sre")
    assert len(a2.entities["service"]["order-processing"]["relations"]["dependencies"]) == 4
    assert a2.entities["service"]["order-processing"]["team"] == ["backend"]
    assert "Rust" not in a2.blueprints["service"]["schema"]["properties"]["language"]["enum"]
    assert "Rust" not in first[GLOBEX_ORG_ID].blueprints["service"]["schema"]["properties"]["language"]["enum"]
    assert a2.scorecards["service/production_readiness"]["rules"]
    assert first[GLOBEX_ORG_ID].scorecards["service/production_readiness"]["rules"]
    assert first[GLOBEX_ORG_ID].actions["create_incident"]["trigger"]["userInputs"]["required"]
    assert a2.action_permissions["create_incident"]["execute"]["roles"]
    assert a2.entities["_user"]["dana@acme.example"]["relations"]["teams"] == ["platform"]
    assert a2.users["dana@acme.example"].teams == ["platform"]
    assert first[GLOBEX_ORG_ID].users["dana@acme.example"].teams == ["core"]


# --- knowledge corpus -----------------------------------------------------------------------------------------


def test_docs_pages() -> None:
    pages = sorted((SANDBOX_DIR / "docs").glob("*.md"))
    assert 10 <= len(pages) <= 14
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), page.name
        assert lines[1].startswith("URL: https://docs.port.io/"), page.name


def test_skills() -> None:
    root = SANDBOX_DIR / "skills"
    expected = {"troubleshoot-integration", "create-scorecard", "build-self-service-action", "model-kubernetes"}
    assert {p.name for p in root.iterdir() if p.is_dir()} == expected
    for name in expected:
        text = (root / name / "SKILL.md").read_text(encoding="utf-8")
        front = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
        assert front, name
        fields = dict(line.split(": ", 1) for line in front.group(1).splitlines())
        assert fields["name"] == name and len(fields["description"]) > 30
    assert (root / "troubleshoot-integration" / "references" / "common-errors.md").is_file()


def test_corpus_size() -> None:
    files = [*(SANDBOX_DIR / "docs").rglob("*.md"), *(SANDBOX_DIR / "skills").rglob("*.md")]
    assert sum(f.stat().st_size for f in files) < 60_000
