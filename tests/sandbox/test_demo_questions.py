"""Every "Ask:" example from Port's MCP overview gets a true answer from the sandbox, through real MCP tool calls.

Each test plays what an assistant would do with the tools for that question and checks the answer against the data.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp import ClientSession

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import (
    ACME_BACKEND_MICROSERVICE_COUNT,
    ACME_PRODUCTION_SERVICE_COUNT,
    ACME_SECURITY_FAILING,
    ACME_SERVICES_MISSING_DASHBOARD,
)
from tests.sandbox.conftest import machine_token, mcp_session


async def call(session: ClientSession, tool: str, /, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    body = json.loads(result.content[0].text)
    assert not result.is_error, body
    return body


def ask(sandbox: Sandbox) -> AbstractAsyncContextManager[ClientSession]:
    """A builder's session; opened inside each test because the SDK's task groups must not cross tasks."""
    return mcp_session(sandbox, machine_token(sandbox))


def rule(prop: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"property": prop, "operator": op, "value": value}


# --- Find information quickly -----------------------------------------------------------------------------


async def test_who_owns_a_service(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        service = (await call(port, "list_entities", blueprintIdentifier="service", identifiers=["order-processing"]))[
            "entities"
        ][0]
        team = (await call(port, "list_entities", blueprintIdentifier="_team", identifiers=service["team"]))["entities"]
        assert [t["title"] for t in team] == ["Backend"]


async def test_how_many_services_in_production(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {
            "combinator": "and",
            "rules": [{"operator": "relatedTo", "blueprint": "environment", "value": "production"}],
        }
        answer = await call(port, "list_entities", blueprintIdentifier="service", query=query, countOnly=True)
        assert answer == {"count": ACME_PRODUCTION_SERVICE_COUNT}
        by_relation = {"combinator": "and", "rules": [rule("environments", "contains", "production")]}
        assert (
            await call(port, "list_entities", blueprintIdentifier="service", query=by_relation, countOnly=True)
        ) == answer


async def test_microservices_owned_by_the_backend_team(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {
            "combinator": "and",
            "rules": [rule("$team", "containsAny", ["backend"]), rule("type", "=", "microservice")],
        }
        found = await call(port, "list_entities", blueprintIdentifier="service", query=query)
        assert found["total"] == ACME_BACKEND_MICROSERVICE_COUNT
        assert all(e["team"] == ["backend"] and e["properties"]["type"] == "microservice" for e in found["entities"])


async def test_dependencies_of_order_processing(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {"combinator": "and", "rules": [rule("$title", "=", "OrderProcessing")]}
        service = (await call(port, "list_entities", blueprintIdentifier="service", query=query))["entities"][0]
        deps = service["relations"]["dependencies"]
        assert deps == ["inventory-service", "payment-service", "notification-service", "customer-profile"]
        titles = await call(port, "list_entities", blueprintIdentifier="service", identifiers=deps, include=["$title"])
        assert {e["title"] for e in titles["entities"]} == {
            "InventoryService",
            "PaymentService",
            "NotificationService",
            "CustomerProfile",
        }


# --- Vibe-build in Port ---------------------------------------------------------------------------------


async def test_apply_a_guide_and_model_kubernetes(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        found = await call(port, "search_port_knowledge_sources", query="kubernetes deployments workload cluster")
        assert found["results"] and "kubernetes" in found["results"][0]["title"].lower()
        assert found["results"][0]["url"].startswith("https://docs.port.io/")
        skill = await call(port, "load_skill", name="model-kubernetes")
        assert skill["content"].startswith("---\nname: model-kubernetes")
        await call(port, "upsert_blueprint", blueprint={
            "identifier": "k8s_workload", "title": "Workload",
            "schema": {"properties": {"replicas": {"type": "number"}, "image": {"type": "string"}}, "required": []},
            "relations": {"service": {"target": "service", "many": False, "required": False, "title": "Service"}},
        })  # fmt: skip
        await call(port, "upsert_entity", blueprintIdentifier="k8s_workload", entity={
            "identifier": "checkout-prod", "title": "checkout (prod)",
            "properties": {"replicas": 3, "image": "checkout:1.4"},
            "relations": {"service": "order-processing"},
        })  # fmt: skip
        related = {
            "combinator": "and",
            "rules": [{"operator": "relatedTo", "blueprint": "service", "value": "order-processing"}],
        }
        workloads = await call(port, "list_entities", blueprintIdentifier="k8s_workload", query=related)
        assert [w["identifier"] for w in workloads["entities"]] == ["checkout-prod"]


async def test_new_production_readiness_scorecard_for_quality_and_alerts(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        card = {
            "identifier": "code_quality", "title": "Code quality & alerts",
            "rules": [
                {"identifier": "few_bugs", "title": "Fewer than 10 bugs", "level": "Bronze",
                 "query": {"combinator": "and", "conditions": [rule("bug_count", "<", 10)]}},
                {"identifier": "no_critical_vulns", "title": "No critical vulnerabilities", "level": "Silver",
                 "query": {"combinator": "and", "conditions": [rule("critical_vulnerabilities", "=", 0)]}},
            ],
        }  # fmt: skip
        await call(port, "upsert_scorecard", blueprintIdentifier="service", scorecard=card)
        results = (await call(port, "list_scorecards", identifiers=["code_quality"], includeResults=True))[
            "scorecards"
        ][0]
        assert len(results["results"]) >= 36
        for identifier in ACME_SECURITY_FAILING:  # they have critical vulnerabilities: stuck below Silver
            assert results["results"][identifier]["level"] in {"Basic", "Bronze"}
            assert "no_critical_vulns" in results["results"][identifier]["failingRules"]


async def test_create_a_self_service_action_to_scaffold_a_service(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        await call(port, "upsert_action", action={
            "identifier": "scaffold_go_service", "title": "Scaffold a Go service",
            "trigger": {"type": "self-service", "operation": "CREATE", "blueprintIdentifier": "service",
                        "userInputs": {"properties": {"service_name": {"type": "string"}},
                                       "required": ["service_name"]}},
            "invocationMethod": {"type": "GITHUB", "org": "acme", "repo": "templates", "workflow": "scaffold-go.yml"},
        })  # fmt: skip
        listed = await call(port, "list_actions")
        assert "scaffold_go_service" in {a["identifier"] for a in listed["actions"]}
        run = await call(
            port, "run_action", actionIdentifier="scaffold_go_service", properties={"service_name": "go-svc"}
        )
        done = await call(port, "track_action_run", runId=run["run"]["id"], waitForCompletion=True)
        assert done["run"]["status"] == "SUCCESS"


# --- Analyze scorecards and quality -------------------------------------------------------------------------


async def test_services_failing_security_requirements(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        card = (await call(port, "list_scorecards", identifiers=["security_requirements"], includeResults=True))[
            "scorecards"
        ][0]
        failing = sorted(i for i, r in card["results"].items() if r["level"] == "Basic")
        assert failing == sorted(ACME_SECURITY_FAILING) and failing


async def test_what_keeps_inventory_service_from_gold(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        service = (await call(port, "list_entities", blueprintIdentifier="service", identifiers=["inventory-service"]))[
            "entities"
        ][0]
        readiness = service["scorecards"]["production_readiness"]
        assert readiness["level"] == "Silver"
        failing = [r for r in readiness["rules"] if r["status"] == "FAILURE"]
        assert {r["level"] for r in failing} == {"Gold"} and len(failing) == 2
        assert service["properties"]["test_coverage"] == 72 and not service["properties"].get("on_call")


async def test_bug_count_vs_test_coverage_for_java_microservices(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {"combinator": "and", "rules": [rule("language", "=", "Java"), rule("type", "=", "microservice")]}
        found = await call(
            port, "list_entities", blueprintIdentifier="service", query=query, include=["bug_count", "test_coverage"],
            sort={"property": "test_coverage", "order": "desc"},
        )  # fmt: skip
        rows = [
            (e["identifier"], e["properties"]["bug_count"], e["properties"]["test_coverage"]) for e in found["entities"]
        ]
        assert len(rows) >= 6 and all(isinstance(b, int | float) and isinstance(c, int | float) for _, b, c in rows)
        assert [c for *_, c in rows] == sorted((c for *_, c in rows), reverse=True)


async def test_services_missing_monitoring_dashboards(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {"combinator": "and", "rules": [rule("monitoring_dashboard", "isEmpty")]}
        found = await call(port, "list_entities", blueprintIdentifier="service", query=query)
        assert sorted(e["identifier"] for e in found["entities"]) == ACME_SERVICES_MISSING_DASHBOARD


# --- Streamline development and operations --------------------------------------------------------------


async def test_what_to_do_to_set_up_a_reporting_service(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        query = {
            "combinator": "or",
            "rules": [rule("$identifier", "contains", "reporting"), rule("$title", "contains", "reporting")],
        }
        assert (await call(port, "list_entities", blueprintIdentifier="service", query=query, countOnly=True))[
            "count"
        ] == 0
        action = (await call(port, "list_actions", identifiers=["scaffold_microservice"]))["actions"][0]
        inputs = action["trigger"]["userInputs"]
        assert "service_name" in inputs["properties"] and "service_name" in inputs["required"]


async def test_guide_creating_a_component_blueprint(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        guide = await call(port, "search_port_knowledge_sources", query="create blueprint properties")
        assert any("blueprint" in r["title"].lower() for r in guide["results"])
        await call(port, "upsert_blueprint", blueprint={
            "identifier": "component", "title": "Component",
            "schema": {"properties": {"name": {"type": "string"}, "description": {"type": "string"},
                                      "owner": {"type": "string", "format": "user"}}, "required": ["name"]},
        })  # fmt: skip
        full = (await call(port, "list_blueprints", identifiers=["component"]))["blueprints"][0]
        assert set(full["schema"]["properties"]) == {"name", "description", "owner"}


async def test_add_an_on_call_rule_to_tier1_services(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        cards = (await call(port, "list_scorecards", blueprintIdentifier="service"))["scorecards"]
        tier1 = next(c for c in cards if c["title"] == "Tier1Services")
        full = (await call(port, "list_scorecards", identifiers=[tier1["identifier"]]))["scorecards"][0]
        assert not any("on_call" in json.dumps(r["query"]) for r in full["rules"])
        on_call = {"combinator": "and", "conditions": [rule("on_call", "isNotEmpty")]}
        full["rules"].append({"identifier": "has_on_call", "title": "On-call schedule defined", "level": "Bronze",
                              "query": on_call})  # fmt: skip
        await call(port, "upsert_scorecard", blueprintIdentifier="service", scorecard=full)
        results = (await call(port, "list_scorecards", identifiers=[tier1["identifier"]], includeResults=True))[
            "scorecards"
        ][0]
        inventory = results["results"]["inventory-service"]  # tier-1 without on-call: now fails the new rule
        assert "has_on_call" in inventory["failingRules"] and inventory["level"] == "Basic"


async def test_creative_prompts_start_from_who_and_what(sandbox: Sandbox) -> None:
    async with ask(sandbox) as port:
        me = await call(port, "describe_user_details")
        assert me["organization"]["name"] == "Acme Corp (demo)"
        blueprints = await call(port, "list_blueprints")
        assert {"service", "_team", "environment"} <= {b["identifier"] for b in blueprints["blueprints"]}
