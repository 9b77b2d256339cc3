"""The "Globex (demo)" organization: Acme's blueprint set, a small catalog of its own (for org switching)."""

from __future__ import annotations

import random

from bridge.sandbox.catalog import Organization
from bridge.sandbox.seed_acme import (
    action_permissions,
    add_blueprints,
    add_services,
    create_incident_action,
    parse_services,
    production_readiness_scorecard,
    prompt_entity,
    scaffold_microservice_action,
)

GLOBEX_ORG_ID = "org_GlobexDemo000002"
GLOBEX_SERVICE_COUNT = 8

# Same columns and flag letters as Acme's table (see seed_acme._ACME_SERVICES).
_GLOBEX_SERVICES = """
# identifier        team  language    type          tier    lifecycle     envs  cov  bugs vulns flags
identity-service    core  Go          microservice  tier-1  Production    PS    85   1    0     RDOCMB
shipment-tracker    core  Java        microservice  tier-1  Production    PS    73   4    0     RDOCB
quote-engine        core  Kotlin      microservice  tier-2  Production    PS    66   3    0     RDCMB
plant-telemetry     core  Python      worker        tier-2  Production    PS    58   7    1     RCB
warehouse-sync      core  Go          worker        tier-3  Experimental  S     40   2    0     CB
globex-web          web   TypeScript  frontend      tier-1  Production    PS    71   6    0     RDOCB
supplier-portal     web   TypeScript  frontend      tier-2  Production    PS    62   5    0     RDCB
price-index         web   Python      microservice  tier-3  Experimental  S     47   1    0     RC
"""

_GLOBEX_DESCRIPTIONS = {
    "identity-service": "Single sign-on and user directory for all Globex apps.",
    "shipment-tracker": "Tracks shipments from the plants to customers.",
    "quote-engine": "Prices custom orders and produces quotes.",
    "plant-telemetry": "Collects sensor data from the manufacturing plants.",
    "warehouse-sync": "Synchronises stock with third-party warehouses (pilot).",
    "globex-web": "The public Globex website.",
    "supplier-portal": "Portal where suppliers manage purchase orders.",
    "price-index": "Internal commodity price index (prototype).",
}

_GLOBEX_DEPENDENCIES = {
    "shipment-tracker": ["identity-service"],
    "quote-engine": ["price-index", "identity-service"],
    "globex-web": ["identity-service", "quote-engine"],
    "supplier-portal": ["identity-service", "shipment-tracker"],
    "warehouse-sync": ["shipment-tracker"],
}


def build_globex() -> Organization:
    rng = random.Random(42)
    org = Organization(id=GLOBEX_ORG_ID, name="Globex (demo)")
    add_blueprints(org)
    for ident, title in [("core", "Core"), ("web", "Web")]:
        org.upsert_entity(
            "_team",
            {
                "identifier": ident,
                "title": title,
                "properties": {
                    "description": f"The {title} team at Globex.",
                    "slack_channel": f"#team-{ident}",
                },
            },
        )
    org.upsert_entity(
        "_user",
        {
            "identifier": "dana@acme.example",
            "title": "Dana Ortiz",
            "team": ["core"],
            "properties": {"port_role": "Member", "status": "Active", "github_username": "dana-ortiz"},
            "relations": {"teams": ["core"]},
        },
    )
    for ident, title in [("production", "Production"), ("staging", "Staging")]:
        org.upsert_entity(
            "environment",
            {
                "identifier": ident,
                "title": title,
                "properties": {"type": ident, "region": "us-east-1", "cloud": "GCP"},
            },
        )
    add_services(
        org,
        parse_services(_GLOBEX_SERVICES),
        github_org="globex",
        grafana="https://grafana.globex.example",
        descriptions=_GLOBEX_DESCRIPTIONS,
        dependencies=_GLOBEX_DEPENDENCIES,
        titles={},
        rng=rng,
    )
    org.upsert_entity(
        "prompt",
        prompt_entity(
            "weekly_status",
            "Weekly team status",
            "Draft a weekly status update for a team.",
            "Write the weekly status of the {{team}} team: services they own, deployments, open "
            "incidents and Production Readiness changes, as five bullet points.",
            [("team", "Team identifier, e.g. core", True)],
        ),
    )
    org.upsert_scorecard("service", production_readiness_scorecard())
    for action in (scaffold_microservice_action("globex"), create_incident_action()):
        org.upsert_action(action)
        org.action_permissions[action["identifier"]] = action_permissions(action["identifier"])
    return org
