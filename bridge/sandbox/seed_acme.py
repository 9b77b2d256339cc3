"""The "Acme Corp (demo)" organization, and the parts Globex reuses (blueprints, scorecard, actions).

The service catalog is a text table (one service per line) so the facts that tests and demos rely on are easy
to read and to keep true: which services run in production, who owns them, which scorecard rules they fail.
Everything is built inside functions so each call returns fresh, independent objects.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bridge.sandbox.catalog import Organization

ACME_ORG_ID = "org_AcmeDemo00000EU1"

# Facts the demo questions ask about; tests/sandbox/test_seed.py recomputes each one from the data.
ACME_PRODUCTION_SERVICE_COUNT = 24  # services related to the `production` environment
ACME_BACKEND_MICROSERVICE_COUNT = 9  # team ["backend"] and type "microservice"
ACME_SERVICES_MISSING_DASHBOARD = [
    "chaos-runner",
    "common-java-lib",
    "data-export",
    "design-system",
    "email-sender",
    "legacy-config-service",
    "ml-feature-store",
    "shipping-service",
]
ACME_SECURITY_FAILING = [  # security_requirements level "Basic": critical vulnerabilities open
    "checkout",
    "data-export",
    "fraud-detection",
    "invoice-generator",
    "legacy-config-service",
    "mobile-bff",
    "web-storefront",
]

SERVICE_LANGUAGES = ["Python", "Java", "Go", "TypeScript", "Kotlin"]
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
ENVIRONMENT_NAMES = ["production", "staging", "development"]

# --- helpers ----------------------------------------------------------------------------------------------


def ts(days_ago: float, hour: float = 9.0) -> str:
    """A timestamp `days_ago` days before today at `hour` o'clock UTC (days_ago >= 1 keeps it in the past)."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight - timedelta(days=days_ago) + timedelta(hours=hour)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def port_id(rng: random.Random, prefix: str) -> str:
    """A Port-style id: prefix + 16 alphanumerics (run ids are `r_...`)."""
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


def prop(kind: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "title": title, **extra}


def enum(title: str, values: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(values), **extra}


def rule(identifier: str, title: str, level: str, prop_name: str, operator: str, value: Any = None) -> dict[str, Any]:
    """A one-condition scorecard rule."""
    condition: dict[str, Any] = {"property": prop_name, "operator": operator}
    if operator not in {"isEmpty", "isNotEmpty"}:
        condition["value"] = value
    return {
        "identifier": identifier,
        "title": title,
        "level": level,
        "query": {"combinator": "and", "conditions": [condition]},
    }


def levels() -> list[dict[str, str]]:
    return [
        {"title": "Basic", "color": "paleBlue"},
        {"title": "Bronze", "color": "bronze"},
        {"title": "Silver", "color": "silver"},
        {"title": "Gold", "color": "gold"},
    ]


# --- blueprints (shared with Globex) ------------------------------------------------------------------------


def add_blueprints(org: Organization) -> None:
    """The blueprint set of both demo orgs, created in dependency order so relations resolve."""
    org.upsert_blueprint(
        {
            "identifier": "_team",
            "title": "Team",
            "icon": "Team",
            "description": "A group of people that owns software (Port system blueprint).",
            "schema": {
                "properties": {
                    "description": prop("string", "Description"),
                    "slack_channel": prop("string", "Slack channel"),
                    "manager": prop("string", "Manager", format="user"),
                },
                "required": [],
            },
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "_user",
            "title": "User",
            "icon": "User",
            "description": "A person in the organization (Port system blueprint).",
            "schema": {
                "properties": {
                    "port_role": enum("Port role", ["Admin", "Member", "Moderator"]),
                    "status": enum("Status", ["Active", "Invited", "Disabled"]),
                    "github_username": prop("string", "GitHub username"),
                },
                "required": [],
            },
            "relations": {"teams": {"title": "Teams", "target": "_team", "many": True, "required": False}},
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "environment",
            "title": "Environment",
            "icon": "Environment",
            "schema": {
                "properties": {
                    "type": enum("Type", ENVIRONMENT_NAMES),
                    "region": prop("string", "Region"),
                    "cloud": enum("Cloud", ["AWS", "GCP", "Azure"]),
                },
                "required": [],
            },
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "k8s_cluster",
            "title": "Kubernetes cluster",
            "icon": "Cluster",
            "schema": {
                "properties": {
                    "provider": enum("Provider", ["EKS", "GKE", "AKS"]),
                    "kubernetes_version": prop("string", "Kubernetes version"),
                    "region": prop("string", "Region"),
                    "node_count": prop("number", "Nodes"),
                },
                "required": [],
            },
            "relations": {
                "environment": {
                    "title": "Environment",
                    "target": "environment",
                    "many": False,
                    "required": False,
                }
            },
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "service",
            "title": "Service",
            "icon": "Service",
            "description": "A deployable unit of software (microservice, worker, frontend) or a library.",
            "schema": {
                "properties": {
                    "language": enum("Language", SERVICE_LANGUAGES),
                    "type": enum("Type", ["microservice", "library", "frontend", "worker"]),
                    "tier": enum("Tier", ["tier-1", "tier-2", "tier-3"]),
                    "lifecycle": enum("Lifecycle", ["Production", "Experimental", "Deprecated"]),
                    "repository": prop("string", "Repository", format="url"),
                    "readme": prop("string", "README", format="markdown"),
                    "test_coverage": prop("number", "Test coverage (%)"),
                    "bug_count": prop("number", "Open bugs"),
                    "critical_vulnerabilities": prop("number", "Critical vulnerabilities"),
                    "monitoring_dashboard": prop("string", "Monitoring dashboard", format="url"),
                    "on_call": prop("string", "On-call schedule"),
                    "slack_channel": prop("string", "Slack channel"),
                    "has_codeowners": prop("boolean", "Has CODEOWNERS"),
                    "uses_secrets_manager": prop("boolean", "Uses secrets manager"),
                    "dependabot_enabled": prop("boolean", "Dependabot enabled"),
                    "last_deployed": prop("string", "Last deployed", format="date-time"),
                },
                "required": [],
            },
            "relations": {
                "environments": {
                    "title": "Environments",
                    "target": "environment",
                    "many": True,
                    "required": False,
                },
                "dependencies": {
                    "title": "Dependencies",
                    "target": "service",
                    "many": True,
                    "required": False,
                },
            },
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "incident",
            "title": "Incident",
            "icon": "Alert",
            "schema": {
                "properties": {
                    "status": enum("Status", ["Triggered", "Acknowledged", "Resolved"]),
                    "severity": enum("Severity", SEVERITIES),
                    "summary": prop("string", "Summary", format="markdown"),
                    "url": prop("string", "Incident URL", format="url"),
                    "opened_at": prop("string", "Opened at", format="date-time"),
                    "resolved_at": prop("string", "Resolved at", format="date-time"),
                },
                "required": [],
            },
            "relations": {"service": {"title": "Service", "target": "service", "many": False, "required": False}},
        }
    )
    org.upsert_blueprint(
        {
            "identifier": "prompt",
            "title": "Prompt",
            "icon": "AI",
            "description": "Prompts the Port MCP server offers to AI assistants.",
            "schema": {
                "properties": {
                    "description": prop("string", "Description"),
                    "template": prop("string", "Template", format="markdown"),
                    "arguments": prop("array", "Arguments", items={"type": "object"}),
                },
                "required": ["template"],
            },
        }
    )


# --- services ---------------------------------------------------------------------------------------------


class ServiceRow(NamedTuple):
    identifier: str
    team: str
    language: str
    type: str
    tier: str
    lifecycle: str
    envs: str
    coverage: float
    bugs: int
    vulns: int
    flags: str


def parse_services(table: str) -> list[ServiceRow]:
    rows = []
    for line in table.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        ident, team, lang, kind, tier, life, envs, cov, bugs, vulns, flags = line.split()
        rows.append(
            ServiceRow(
                ident,
                team,
                lang,
                kind,
                tier,
                life,
                envs.strip("-"),
                float(cov) if "." in cov else int(cov),
                int(bugs),
                int(vulns),
                flags.strip("-"),
            )
        )
    return rows


def pascal(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("-"))


def add_services(
    org: Organization,
    rows: list[ServiceRow],
    *,
    github_org: str,
    grafana: str,
    descriptions: dict[str, str],
    dependencies: dict[str, list[str]],
    titles: dict[str, str],
    rng: random.Random,
) -> None:
    """Create the services (first without dependencies, then with them, so every target exists)."""
    env_codes = {"P": "production", "S": "staging", "D": "development"}
    team_titles = {t: e["title"] for t, e in org.entities["_team"].items()}
    for row in rows:
        title = titles.get(row.identifier, pascal(row.identifier))
        description = descriptions[row.identifier]
        team_title = team_titles[row.team]
        readme = (
            f"# {title}\n\n{description}\n\n## Ownership\nOwned by the {team_title} team "
            f"(`#team-{row.team}`).\n\n## Local development\n```bash\nmake dev\nmake test\n```\n"
        )
        deployed_days = {"Production": rng.randint(1, 21), "Experimental": rng.randint(1, 10)}.get(
            row.lifecycle, rng.randint(90, 300)
        )
        props: dict[str, Any] = {
            "language": row.language,
            "type": row.type,
            "tier": row.tier,
            "lifecycle": row.lifecycle,
            "repository": f"https://github.com/{github_org}/{row.identifier}",
            "readme": readme if "R" in row.flags else "",
            "test_coverage": row.coverage,
            "bug_count": row.bugs,
            "critical_vulnerabilities": row.vulns,
            "monitoring_dashboard": f"{grafana}/d/{row.identifier}/overview" if "D" in row.flags else None,
            "on_call": f"{team_title} primary on-call" if "O" in row.flags else None,
            "slack_channel": f"#team-{row.team}",
            "has_codeowners": "C" in row.flags,
            "uses_secrets_manager": "M" in row.flags,
            "dependabot_enabled": "B" in row.flags,
            "last_deployed": ts(deployed_days, rng.randint(8, 18)) if row.envs else None,
        }
        org.upsert_entity(
            "service",
            {
                "identifier": row.identifier,
                "title": title,
                "team": [row.team],
                "properties": props,
                "relations": {"environments": [env_codes[c] for c in row.envs], "dependencies": []},
            },
        )
    for identifier, deps in dependencies.items():
        org.upsert_entity("service", {"identifier": identifier, "relations": {"dependencies": list(deps)}})


# Columns: envs P=production S=staging D=development ("-" none); flags R=readme, D=monitoring dashboard,
# O=on-call schedule, C=CODEOWNERS, M=secrets manager, B=dependabot ("-" none). Every service has a repository
# and a Slack channel. Critical vulnerabilities > 0 fail security Bronze.
_ACME_SERVICES = """
# identifier            team      language    type          tier    lifecycle     envs  cov  bugs vulns flags
order-processing        backend   Java        microservice  tier-1  Production    PS    84   3    0     RDOCMB
inventory-service       backend   Java        microservice  tier-1  Production    PS    72   2    0     RDCMB
customer-profile        backend   Java        microservice  tier-1  Production    PS    81   1    0     RDOCMB
checkout                backend   Java        microservice  tier-1  Production    PSD   77   6    1     RDOCB
cart                    backend   Kotlin      microservice  tier-1  Production    PS    68   4    0     RDOCMB
catalog-service         backend   Java        microservice  tier-2  Production    PS    74   7    0     RDOCB
shipping-service        backend   Go          microservice  tier-2  Production    PS    63   3    0     ROCMB
returns-service         backend   Kotlin      microservice  tier-3  Experimental  SD    41   2    0     DCB
pricing-engine          backend   Java        microservice  tier-2  Experimental  SD    58   5    0     RDCB
order-events-worker     backend   Java        worker        tier-2  Production    PS    70   2    0     RDOCMB
common-java-lib         backend   Java        library       tier-3  Production    -     88   1    0     RCB
payment-service         payments  Java        microservice  tier-1  Production    PS    86   2    0     RDOCMB
fraud-detection         payments  Python      microservice  tier-1  Production    PS    79   3    2     RDOCB
ledger                  payments  Java        microservice  tier-1  Production    PS    91   0    0     RDOCMB
billing-service         payments  Kotlin      microservice  tier-2  Experimental  SD    55   3    0     RDCB
invoice-generator       payments  Python      worker        tier-3  Deprecated    S     35   9    1     RDC
notification-service    platform  Go          microservice  tier-2  Production    PS    82   2    0     RDOCMB
email-sender            platform  Go          worker        tier-2  Production    PS    66   1    0     ROCMB
auth-gateway            platform  Go          microservice  tier-1  Production    PSD   89   1    0     RDOCMB
feature-flags           platform  Go          microservice  tier-2  Production    PSD   76   0    0     RDOCMB
api-gateway             platform  Go          microservice  tier-1  Production    PS    80   4    0     RDOCMB
legacy-config-service   platform  Java        microservice  tier-3  Deprecated    P     22   14   3     O
web-storefront          frontend  TypeScript  frontend      tier-1  Production    PS    61   8    2     RDOCB
admin-portal            frontend  TypeScript  frontend      tier-3  Production    PS    52   5    0     RDCB
design-system           frontend  TypeScript  library       tier-2  Production    -     83   2    0     RCB
search                  data      Python      microservice  tier-2  Production    PS    71   3    0     RDOCMB
recommendations         data      Python      microservice  tier-2  Production    PS    64   4    0     RDCMB
analytics-pipeline      data      Python      worker        tier-2  Production    PS    57   6    0     RDOCB
data-export             data      Python      worker        tier-3  Deprecated    S     30   11   2     -
ml-feature-store        data      Python      microservice  tier-3  Experimental  D     45   2    0     RC
mobile-bff              mobile    TypeScript  microservice  tier-2  Production    PS    69   5    1     RDOCB
push-gateway            mobile    Kotlin      microservice  tier-3  Experimental  SD    48   1    0     RDCB
android-app             mobile    Kotlin      frontend      tier-2  Production    -     58   12   0     RDCB
log-shipper             sre       Go          worker        tier-2  Production    PS    70   2    0     RDOCMB
status-page             sre       TypeScript  frontend      tier-2  Experimental  SD    74   1    0     RDOCMB
chaos-runner            sre       Go          worker        tier-3  Experimental  S     38   3    0     CB
"""

_ACME_TITLES = {"mobile-bff": "MobileBFF", "ml-feature-store": "MLFeatureStore", "api-gateway": "APIGateway"}

_ACME_DESCRIPTIONS = {
    "order-processing": "Orchestrates the order lifecycle from checkout to fulfilment.",
    "inventory-service": "Tracks stock levels and reservations per warehouse.",
    "customer-profile": "Customer accounts, addresses and communication preferences.",
    "checkout": "Checkout API: validates carts, applies promotions and places orders.",
    "cart": "Shopping carts for web and mobile, with saved-for-later items.",
    "catalog-service": "Product catalog: items, variants, categories and media.",
    "shipping-service": "Carrier rates, labels and shipment tracking.",
    "returns-service": "Self-service returns and refunds (pilot in two countries).",
    "pricing-engine": "Dynamic pricing and promotion rules (experimental).",
    "order-events-worker": "Consumes order events and keeps downstream systems in sync.",
    "common-java-lib": "Shared Java library: logging, tracing and HTTP client defaults.",
    "payment-service": "Card and wallet payments through our payment service providers.",
    "fraud-detection": "Scores orders and payments for fraud risk in real time.",
    "ledger": "Double-entry ledger of every money movement.",
    "billing-service": "Subscription billing for Acme Plus (replacing invoice-generator).",
    "invoice-generator": "Nightly PDF invoices; superseded by billing-service.",
    "notification-service": "Routes notifications to email, SMS and push by user preference.",
    "email-sender": "Sends transactional email through our email provider.",
    "auth-gateway": "Login, sessions and token exchange for all customer-facing apps.",
    "feature-flags": "Feature flag evaluation service used by every team.",
    "api-gateway": "Public API gateway: routing, rate limiting and authentication.",
    "legacy-config-service": "Old central configuration store; being replaced by feature-flags.",
    "web-storefront": "The customer-facing web shop (Next.js).",
    "admin-portal": "Internal back-office portal for customer support.",
    "design-system": "Shared React component library and design tokens.",
    "search": "Product search and autocomplete.",
    "recommendations": "Personalised product recommendations.",
    "analytics-pipeline": "Batch pipeline that loads events into the data warehouse.",
    "data-export": "Legacy CSV exports for partners; to be retired.",
    "ml-feature-store": "Feature store for machine-learning models (prototype).",
    "mobile-bff": "Backend-for-frontend of the iOS and Android apps.",
    "push-gateway": "Push notification delivery for mobile apps (new).",
    "android-app": "The Acme Android app.",
    "log-shipper": "Ships logs from all clusters to the observability stack.",
    "status-page": "New public status page (in staging).",
    "chaos-runner": "Runs scheduled chaos experiments in staging.",
}

_ACME_DEPENDENCIES = {
    "order-processing": ["inventory-service", "payment-service", "notification-service", "customer-profile"],
    "checkout": ["cart", "order-processing", "auth-gateway", "feature-flags"],
    "cart": ["catalog-service", "customer-profile"],
    "shipping-service": ["customer-profile"],
    "returns-service": ["order-processing", "payment-service"],
    "pricing-engine": ["catalog-service", "feature-flags"],
    "order-events-worker": ["order-processing"],
    "payment-service": ["fraud-detection", "ledger"],
    "fraud-detection": ["customer-profile"],
    "billing-service": ["ledger", "customer-profile"],
    "invoice-generator": ["ledger"],
    "notification-service": ["email-sender", "push-gateway"],
    "auth-gateway": ["customer-profile"],
    "api-gateway": ["auth-gateway"],
    "web-storefront": ["api-gateway", "search", "recommendations"],
    "admin-portal": ["api-gateway"],
    "search": ["catalog-service"],
    "recommendations": ["search", "customer-profile"],
    "ml-feature-store": ["analytics-pipeline"],
    "mobile-bff": ["api-gateway", "notification-service", "cart"],
    "android-app": ["mobile-bff"],
    "status-page": ["api-gateway"],
}

# --- scorecards ---------------------------------------------------------------------------------------------


def production_readiness_scorecard() -> dict[str, Any]:
    return {
        "identifier": "production_readiness",
        "title": "Production Readiness",
        "levels": levels(),
        "rules": [
            rule("has_readme", "Has a README", "Bronze", "readme", "isNotEmpty"),
            rule("has_repository", "Has a repository", "Bronze", "repository", "isNotEmpty"),
            rule("has_codeowners", "Has a CODEOWNERS file", "Bronze", "has_codeowners", "=", True),
            rule(
                "has_monitoring_dashboard",
                "Has a monitoring dashboard",
                "Silver",
                "monitoring_dashboard",
                "isNotEmpty",
            ),
            rule("test_coverage_60", "Test coverage of at least 60%", "Silver", "test_coverage", ">=", 60),
            rule("has_slack_channel", "Has a Slack channel", "Silver", "slack_channel", "isNotEmpty"),
            rule("test_coverage_80", "Test coverage of at least 80%", "Gold", "test_coverage", ">=", 80),
            rule("has_on_call", "Has an on-call schedule", "Gold", "on_call", "isNotEmpty"),
            rule("low_bug_count", "Five or fewer open bugs", "Gold", "bug_count", "<=", 5),
        ],
    }


def _security_scorecard() -> dict[str, Any]:
    return {
        "identifier": "security_requirements",
        "title": "Security Requirements",
        "levels": levels(),
        "rules": [
            rule(
                "no_critical_vulnerabilities",
                "No critical vulnerabilities",
                "Bronze",
                "critical_vulnerabilities",
                "=",
                0,
            ),
            rule("dependabot_enabled", "Dependabot is enabled", "Silver", "dependabot_enabled", "=", True),
            rule(
                "uses_secrets_manager",
                "Secrets come from the secrets manager",
                "Gold",
                "uses_secrets_manager",
                "=",
                True,
            ),
        ],
    }


def _tier1_scorecard() -> dict[str, Any]:
    return {
        "identifier": "tier1_services",
        "title": "Tier1Services",
        "levels": levels(),
        "filter": {
            "combinator": "and",
            "conditions": [{"property": "tier", "operator": "=", "value": "tier-1"}],
        },
        "rules": [
            rule(
                "tier1_has_dashboard",
                "Has a monitoring dashboard",
                "Bronze",
                "monitoring_dashboard",
                "isNotEmpty",
            ),
            rule("tier1_in_production", "Lifecycle is Production", "Bronze", "lifecycle", "=", "Production"),
            rule("tier1_coverage_75", "Test coverage of at least 75%", "Silver", "test_coverage", ">=", 75),
            rule("tier1_few_bugs", "Three or fewer open bugs", "Gold", "bug_count", "<=", 3),
        ],
    }


# --- actions (the first two are shared with Globex) -------------------------------------------------


def scaffold_microservice_action(github_org: str) -> dict[str, Any]:
    return {
        "identifier": "scaffold_microservice",
        "title": "Scaffold a new microservice",
        "icon": "Microservice",
        "description": "Create a repository from the golden-path template and register it.",
        "trigger": {
            "type": "self-service",
            "operation": "CREATE",
            "blueprintIdentifier": "service",
            "userInputs": {
                "properties": {
                    "service_name": prop(
                        "string",
                        "Service name",
                        pattern="^[a-z][a-z0-9-]+$",
                        description="Lowercase letters, digits and dashes, e.g. reporting-service",
                    ),
                    "language": enum("Language", SERVICE_LANGUAGES, default="Python"),
                    "team": prop("string", "Owning team", format="entity", blueprint="_team"),
                    "description": prop("string", "Description"),
                },
                "required": ["service_name"],
                "order": ["service_name", "language", "team", "description"],
            },
        },
        "invocationMethod": {
            "type": "GITHUB",
            "org": github_org,
            "repo": "platform-golden-paths",
            "workflow": "scaffold-microservice.yml",
            "workflowInputs": {"port_context": {"runId": "{{ .run.id }}"}, "inputs": "{{ .inputs }}"},
            "reportWorkflowStatus": True,
        },
        "requiredApproval": False,
    }


def create_incident_action() -> dict[str, Any]:
    return {
        "identifier": "create_incident",
        "title": "Open an incident",
        "icon": "Alert",
        "description": "Open an incident for this service and page its on-call engineer.",
        "trigger": {
            "type": "self-service",
            "operation": "DAY-2",
            "blueprintIdentifier": "service",
            "userInputs": {
                "properties": {
                    "title": prop("string", "Title"),
                    "severity": enum("Severity", SEVERITIES),
                    "description": prop("string", "Description", format="markdown"),
                },
                "required": ["title", "severity"],
                "order": ["title", "severity", "description"],
            },
        },
        "invocationMethod": {
            "type": "WEBHOOK",
            "url": "https://incident-bot.internal.example/port/incidents",
            "agent": True,
            "synchronized": False,
            "method": "POST",
            "body": {"service": "{{ .entity.identifier }}", "inputs": "{{ .inputs }}"},
        },
        "requiredApproval": False,
    }


def _day2(
    identifier: str,
    title: str,
    icon: str,
    description: str,
    inputs: dict[str, Any],
    required: list[str],
    invocation: dict[str, Any],
    *,
    operation: str = "DAY-2",
    approval: bool = False,
) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": title,
        "icon": icon,
        "description": description,
        "trigger": {
            "type": "self-service",
            "operation": operation,
            "blueprintIdentifier": "service",
            "userInputs": {"properties": inputs, "required": required, "order": list(inputs)},
        },
        "invocationMethod": invocation,
        "requiredApproval": approval,
    }


def _github(workflow: str) -> dict[str, Any]:
    return {
        "type": "GITHUB",
        "org": "acme-corp",
        "repo": "platform-actions",
        "workflow": workflow,
        "workflowInputs": {"port_context": {"runId": "{{ .run.id }}", "entity": "{{ .entity.identifier }}"}},
        "reportWorkflowStatus": True,
    }


def _webhook(path: str) -> dict[str, Any]:
    return {
        "type": "WEBHOOK",
        "url": f"https://hooks.acme.example/port/{path}",
        "agent": False,
        "synchronized": True,
        "method": "POST",
        "body": {"entity": "{{ .entity.identifier }}", "inputs": "{{ .inputs }}", "runId": "{{ .run.id }}"},
    }


def _acme_actions() -> list[dict[str, Any]]:
    env = enum("Environment", ENVIRONMENT_NAMES)
    return [
        scaffold_microservice_action("acme-corp"),
        create_incident_action(),
        _day2(
            "create_github_issue",
            "Create a GitHub issue",
            "Github",
            "Open an issue in the service's repository.",
            {
                "title": prop("string", "Title"),
                "body": prop("string", "Body", format="markdown"),
                "labels": prop("array", "Labels", items={"type": "string"}, default=["from-port"]),
            },
            ["title"],
            _github("create-issue.yml"),
        ),
        _day2(
            "deploy_service",
            "Deploy service",
            "Deploy",
            "Deploy a version of this service to an environment.",
            {"environment": env, "version": prop("string", "Version", description="Image tag, e.g. 2.14.0")},
            ["environment", "version"],
            _github("deploy.yml"),
        ),
        _day2(
            "rollback_deployment",
            "Roll back deployment",
            "Rollback",
            "Roll back to a previous version.",
            {
                "environment": enum("Environment", ENVIRONMENT_NAMES),
                "target_version": prop("string", "Version"),
                "reason": prop("string", "Reason"),
            },
            ["environment", "target_version"],
            _github("rollback.yml"),
        ),
        _day2(
            "request_temporary_db_access",
            "Request temporary database access",
            "Lock",
            "Get time-limited access to this service's database; an SRE must approve.",
            {
                "access_level": enum("Access level", ["read-only", "read-write"], default="read-only"),
                "duration_hours": prop("number", "Duration (hours)", minimum=1, maximum=8, default=2),
                "reason": prop("string", "Reason"),
            },
            ["access_level", "reason"],
            _webhook("db-access"),
            approval=True,
        ),
        _day2(
            "delete_service",
            "Delete service",
            "Delete",
            "Archive the repository and remove the service from the catalog.",
            {"reason": prop("string", "Reason")},
            [],
            _github("delete-service.yml"),
            operation="DELETE",
        ),
    ]


def _permissions(
    execute_roles: list[str],
    *,
    owned_by_team: bool = False,
    approve_roles: list[str] | None = None,
    approve_teams: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "execute": {"roles": execute_roles, "users": [], "teams": [], "ownedByTeam": owned_by_team},
        "approve": {"roles": approve_roles or [], "users": [], "teams": approve_teams or []},
    }


def action_permissions(identifier: str) -> dict[str, Any]:
    if identifier == "delete_service":
        return _permissions(["Admin"])
    if identifier in {"deploy_service", "rollback_deployment"}:
        return _permissions(["Admin", "Member"], owned_by_team=True)
    if identifier == "request_temporary_db_access":
        return _permissions(["Admin", "Member"], approve_roles=["Admin"], approve_teams=["sre"])
    return _permissions(["Admin", "Member"])


# --- the rest of Acme --------------------------------------------------------------------------------

_TEAMS = [  # identifier, title, manager
    ("backend", "Backend", "priya.nair@acme.example"),
    ("frontend", "Frontend", "tom.becker@acme.example"),
    ("platform", "Platform", "dana@acme.example"),
    ("payments", "Payments", "ines.garcia@acme.example"),
    ("data", "Data", "marco.rossi@acme.example"),
    ("mobile", "Mobile", "kenji.sato@acme.example"),
    ("sre", "SRE", "lena.fischer@acme.example"),
]

_USERS = [  # email, title, role, teams, github
    ("dana@acme.example", "Dana Ortiz", "Admin", ["platform"], "dana-ortiz"),
    ("sam@acme.example", "Sam Lee", "Member", ["backend"], "samlee"),
    ("priya.nair@acme.example", "Priya Nair", "Member", ["backend"], "priyanair"),
    ("marco.rossi@acme.example", "Marco Rossi", "Member", ["data"], "mrossi"),
    ("lena.fischer@acme.example", "Lena Fischer", "Moderator", ["sre"], "lfischer"),
]


def _people(org: Organization) -> None:
    for ident, title, manager in _TEAMS:
        org.upsert_entity(
            "_team",
            {
                "identifier": ident,
                "title": title,
                "properties": {
                    "description": f"The {title} team at Acme.",
                    "slack_channel": f"#team-{ident}",
                    "manager": manager,
                },
            },
        )
    for email, title, role, teams, github in _USERS:
        org.upsert_entity(
            "_user",
            {
                "identifier": email,
                "title": title,
                "team": list(teams),
                "properties": {"port_role": role, "status": "Active", "github_username": github},
                "relations": {"teams": list(teams)},
            },
        )


def _infrastructure(org: Organization) -> None:
    for ident, title, region in [
        ("production", "Production", "eu-west-1"),
        ("staging", "Staging", "eu-west-1"),
        ("development", "Development", "eu-central-1"),
    ]:
        org.upsert_entity(
            "environment",
            {
                "identifier": ident,
                "title": title,
                "properties": {"type": ident, "region": region, "cloud": "AWS"},
            },
        )
    for ident, env, region, nodes in [
        ("prod-eu-west-1", "production", "eu-west-1", 42),
        ("prod-us-east-1", "production", "us-east-1", 18),
        ("staging-eu-west-1", "staging", "eu-west-1", 12),
        ("dev-eu-central-1", "development", "eu-central-1", 6),
    ]:
        org.upsert_entity(
            "k8s_cluster",
            {
                "identifier": ident,
                "title": ident,
                "team": ["sre"],
                "properties": {
                    "provider": "EKS",
                    "kubernetes_version": "1.31",
                    "region": region,
                    "node_count": nodes,
                },
                "relations": {"environment": env},
            },
        )


def _incidents(org: Organization) -> None:
    for ident, title, service, severity, status, opened, resolved, summary in [
        (
            "INC-2041",
            "Checkout latency above 2s in eu-west-1",
            "checkout",
            "SEV2",
            "Resolved",
            12,
            12,
            "p99 latency rose after a connection-pool change; rolled back.",
        ),
        (
            "INC-2047",
            "PaymentService 5xx errors from card processor",
            "payment-service",
            "SEV1",
            "Resolved",
            4,
            4,
            "The card processor rotated a TLS certificate; pinned chain updated.",
        ),
        (
            "INC-2052",
            "Notification queue backlog",
            "notification-service",
            "SEV3",
            "Acknowledged",
            1,
            None,
            "Push deliveries delayed by up to 20 minutes; email unaffected.",
        ),
    ]:
        org.upsert_entity(
            "incident",
            {
                "identifier": ident,
                "title": title,
                "team": list(org.entities["service"][service]["team"]),
                "properties": {
                    "status": status,
                    "severity": severity,
                    "summary": summary,
                    "url": f"https://acme.pagerduty.example/incidents/{ident}",
                    "opened_at": ts(opened, 6),
                    "resolved_at": ts(resolved, 8) if resolved else None,
                },
                "relations": {"service": service},
            },
        )


def prompt_entity(
    identifier: str, title: str, description: str, template: str, arguments: list[tuple[str, str, bool]]
) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": title,
        "properties": {
            "description": description,
            "template": template,
            "arguments": [{"name": n, "description": d, "required": r} for n, d, r in arguments],
        },
    }


def _prompts(org: Organization) -> None:
    org.upsert_entity(
        "prompt",
        prompt_entity(
            "incident_summary",
            "Incident summary",
            "Summarize an incident for a given audience.",
            "Summarize incident {{incident_id}} for the {{audience}} audience. Use the incident entity and "
            "its related service in Port: what happened, customer impact, current status, owner team and "
            "next steps. "
            "Keep it under 200 words.",
            [
                ("incident_id", "Identifier of the incident, e.g. INC-2052", True),
                ("audience", "Who will read it: engineering, leadership or customers", False),
            ],
        ),
    )
    org.upsert_entity(
        "prompt",
        prompt_entity(
            "service_onboarding",
            "Service onboarding",
            "Onboard a new engineer to a service.",
            "Help me get started on the {{service_name}} service. From Port, list its owners, language, "
            "environments, dependencies, open incidents and its Production Readiness gaps, then suggest a "
            "first-week plan.",
            [("service_name", "Identifier of the service, e.g. order-processing", True)],
        ),
    )


def _runs(org: Organization, rng: random.Random) -> None:
    def run(
        action: str,
        entity: str | None,
        props: dict[str, Any],
        status: str,
        label: str,
        days: float,
        minutes: int,
        by: str,
        summary: str,
        logs: list[str],
    ) -> None:
        run_id = port_id(rng, "r_")
        start, end = ts(days, 10), ts(days, 10 + minutes / 60)
        ent = org.entities["service"].get(entity) if entity else None
        org.runs[run_id] = {
            "id": run_id,
            "action": {"identifier": action, "title": org.actions[action]["title"], "deleted": False},
            "blueprint": {"identifier": "service", "title": "Service"},
            "entity": {"identifier": ent["identifier"], "title": ent["title"]} if ent else None,
            "properties": props,
            "rawProperties": props,
            "status": status,
            "statusLabel": label,
            "requiredApproval": False,
            "approval": None,
            "source": "UI",
            "createdBy": by,
            "createdAt": start,
            "updatedAt": end,
            "endedAt": end,
            "link": [f"https://github.com/acme-corp/platform-actions/actions/runs/{rng.randint(10**9, 10**10)}"],
            "summary": summary,
            "logs": [{"message": m, "createdAt": start if i == 0 else end} for i, m in enumerate(logs)],
        }

    run(
        "scaffold_microservice",
        None,
        {
            "service_name": "returns-service",
            "language": "Kotlin",
            "team": "backend",
            "description": "Self-service returns and refunds",
        },
        "SUCCESS",
        "Repository created",
        40,
        6,
        "sam@acme.example",
        "Repository acme-corp/returns-service created from the Kotlin template and registered in Port.",
        ["Run started", "Created repository acme-corp/returns-service", "Registered service returns-service"],
    )
    run(
        "deploy_service",
        "checkout",
        {"environment": "production", "version": "2.14.0"},
        "SUCCESS",
        "Deployed 2.14.0 to production",
        2,
        14,
        "dana@acme.example",
        "checkout 2.14.0 is live in production.",
        ["Run started", "Canary at 10% healthy for 5 minutes", "Rolled out to 100%"],
    )
    run(
        "rollback_deployment",
        "cart",
        {"environment": "staging", "target_version": "1.9.3", "reason": "Regression in saved-for-later"},
        "FAILURE",
        "Rollback failed",
        5,
        3,
        "sam@acme.example",
        "Image acme-corp/cart:1.9.3 was not found in the registry.",
        ["Run started", "ERROR: manifest for acme-corp/cart:1.9.3 not found"],
    )


def _workflows(org: Organization) -> None:
    org.workflows["onboard_engineer"] = {
        "identifier": "onboard_engineer",
        "title": "Onboard an engineer",
        "description": "Create accounts, add the engineer to their team and post a welcome message.",
        "nodes": [
            {
                "identifier": "trigger",
                "title": "Onboard an engineer",
                "config": {
                    "type": "SELF_SERVE_TRIGGER",
                    "userInputs": {
                        "properties": {
                            "email": prop("string", "Work email", format="email"),
                            "team": prop("string", "Team", format="entity", blueprint="_team"),
                            "github_username": prop("string", "GitHub username"),
                            "groups": prop("array", "Extra groups", items={"type": "string"}),
                        },
                        "required": ["email", "team"],
                        "order": ["email", "team", "github_username", "groups"],
                    },
                },
            },
            {
                "identifier": "create_accounts",
                "title": "Create accounts",
                "config": {
                    "type": "WEBHOOK",
                    "url": "https://hooks.acme.example/port/onboarding",
                    "method": "POST",
                    "body": {"email": "{{ .outputs.trigger.email }}"},
                },
            },
            {
                "identifier": "welcome_message",
                "title": "Post a welcome message",
                "config": {
                    "type": "WEBHOOK",
                    "url": "https://hooks.slack.example/services/acme-onboarding",
                    "method": "POST",
                    "body": {"text": "Welcome {{ .outputs.trigger.email }}!"},
                },
            },
        ],
        "connections": [
            {"sourceIdentifier": "trigger", "targetIdentifier": "create_accounts"},
            {"sourceIdentifier": "create_accounts", "targetIdentifier": "welcome_message"},
        ],
    }
    org.workflows["rotate_service_secrets"] = {
        "identifier": "rotate_service_secrets",
        "title": "Rotate service secrets",
        "description": "Rotate a service's secrets in the secrets manager and restart its pods.",
        "nodes": [
            {
                "identifier": "trigger",
                "title": "Rotate secrets",
                "config": {
                    "type": "SELF_SERVE_TRIGGER",
                    "userInputs": {
                        "properties": {
                            "service": prop("string", "Service", format="entity", blueprint="service"),
                            "secret_names": prop("array", "Secrets", items={"type": "string"}),
                        },
                        "required": ["service"],
                        "order": ["service", "secret_names"],
                    },
                },
            },
            {
                "identifier": "rotate",
                "title": "Rotate in secrets manager",
                "config": {
                    "type": "WEBHOOK",
                    "url": "https://hooks.acme.example/port/rotate-secrets",
                    "method": "POST",
                    "body": {"service": "{{ .outputs.trigger.service }}"},
                },
            },
            {
                "identifier": "restart",
                "title": "Restart deployments",
                "config": {
                    "type": "WEBHOOK",
                    "url": "https://hooks.acme.example/port/restart",
                    "method": "POST",
                    "body": {"service": "{{ .outputs.trigger.service }}"},
                },
            },
        ],
        "connections": [
            {"sourceIdentifier": "trigger", "targetIdentifier": "rotate"},
            {"sourceIdentifier": "rotate", "targetIdentifier": "restart"},
        ],
    }


def _portal(org: Organization) -> None:
    org.sidebar_folders["catalog"] = {"identifier": "catalog", "title": "Catalog", "after": None}
    org.sidebar_folders["dashboards"] = {
        "identifier": "dashboards",
        "title": "Dashboards",
        "after": "catalog",
    }
    org.pages["service_catalog"] = {
        "identifier": "service_catalog",
        "title": "Services",
        "icon": "Service",
        "type": "blueprint-entities",
        "blueprint": "service",
        "parent": "catalog",
    }
    org.pages["engineering_overview"] = {
        "identifier": "engineering_overview",
        "title": "Engineering overview",
        "icon": "Apps",
        "type": "dashboard",
        "description": "Production footprint, languages and tier-1 health at a glance.",
        "parent": "dashboards",
    }
    widgets = [
        {
            "id": "services_in_production",
            "type": "number-chart",
            "title": "Services in production",
            "icon": "Service",
            "blueprint": "service",
            "calculationBy": "entities",
            "func": "count",
            "dataset": {
                "combinator": "and",
                "rules": [{"operator": "relatedTo", "blueprint": "environment", "value": "production"}],
            },
        },
        {
            "id": "services_by_language",
            "type": "pie-chart",
            "title": "Services by language",
            "blueprint": "service",
            "property": "property#language",
            "dataset": {"combinator": "and", "rules": []},
        },
        {
            "id": "tier1_services",
            "type": "table-entities-explorer",
            "title": "Tier-1 services",
            "blueprint": "service",
            "dataset": {
                "combinator": "and",
                "rules": [{"property": "tier", "operator": "=", "value": "tier-1"}],
            },
            "columns": ["$title", "$team", "language", "test_coverage", "on_call", "monitoring_dashboard"],
        },
    ]
    for widget in widgets:
        org.widgets[f"engineering_overview/{widget['id']}"] = widget
    org.plugins["deployment-timeline"] = {
        "identifier": "deployment-timeline",
        "title": "Deployment timeline",
        "description": "Shows a service's deployments and incidents on one timeline (entity page tab).",
        "version": "1.3.0",
        "url": "https://plugins.acme.example/deployment-timeline/index.html",
        "blueprints": ["service"],
    }


GITHUB_MAPPING = """\
deleteDependentEntities: true
createMissingRelatedEntities: true
enableMergeEntity: true
resources:
  - kind: repository
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .name
          title: .name
          blueprint: '"service"'
          properties:
            repository: .html_url
            language: .language
            readme: file://README.md
  - kind: pull-request
    selector:
      query: .state == "open"
    port:
      entity:
        mappings:
          identifier: .head.repo.name + "-" + (.number | tostring
          title: .title
          blueprint: '"pull_request"'
          properties:
            status: .state
            link: .html_url
          relations:
            service: .head.repo.name
"""

PAGERDUTY_MAPPING = """\
resources:
  - kind: services
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .name
          blueprint: '"service"'
          properties:
            on_call: .escalation_policy.summary
  - kind: incidents
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .id
          title: .title
          blueprint: '"incident"'
          properties:
            status: .status
            url: .html_url
          relations:
            service: .service.summary
"""


def _integrations(org: Organization) -> None:
    org.integrations["github-ocean"] = {
        "identifier": "github-ocean",
        "installationId": "github-ocean",
        "title": "GitHub (acme-corp)",
        "installationAppType": "GitHub",
        "integrationType": "github-ocean",
        "version": "3.2.1",
        "config": {"mapping": GITHUB_MAPPING},
        "syncMetrics": {
            "status": "COMPLETED_WITH_ERRORS",
            "lastSyncStart": ts(1, 2),
            "lastSyncEnd": ts(1, 2.3),
            "kinds": {
                "repository": {"rawObjects": 37, "upserted": 36, "failed": 1, "deleted": 0},
                "pull-request": {"rawObjects": 58, "upserted": 0, "failed": 58, "deleted": 0},
            },
        },
        "eventLogs": [
            {
                "level": "INFO",
                "message": "Resync started for kinds: repository, pull-request",
                "timestamp": ts(1, 2),
            },
            {
                "level": "WARNING",
                "message": "Repository 'hackathon-2023' has language 'Rust', which is not in the "
                "enum of service.language; the property was left empty",
                "timestamp": ts(1, 2.05),
            },
            {
                "level": "ERROR",
                "message": "GitHub API rate limit exceeded (403: API rate limit exceeded for "
                "installation ID 51234567); retrying in 3600s. 1 repository was not synced.",
                "timestamp": ts(1, 2.1),
            },
            {
                "level": "ERROR",
                "message": "Failed to parse JQ expression for kind 'pull-request', mapping "
                "'identifier': '.head.repo.name + \"-\" + (.number | tostring' — syntax error, unexpected "
                "end of file (missing ')')",
                "timestamp": ts(1, 2.2),
            },
            {
                "level": "ERROR",
                "message": "Blueprint 'pull_request' does not exist; 58 entities of kind 'pull-request' were skipped",
                "timestamp": ts(1, 2.25),
            },
            {
                "level": "INFO",
                "message": "Resync finished with errors: 36 upserted, 59 failed",
                "timestamp": ts(1, 2.3),
            },
        ],
    }
    org.integrations["pagerduty"] = {
        "identifier": "pagerduty",
        "installationId": "pagerduty",
        "title": "PagerDuty",
        "installationAppType": "PagerDuty",
        "integrationType": "pagerduty",
        "version": "0.1.140",
        "config": {"mapping": PAGERDUTY_MAPPING},
        "syncMetrics": {
            "status": "COMPLETED",
            "lastSyncStart": ts(1, 3),
            "lastSyncEnd": ts(1, 3.05),
            "kinds": {
                "services": {"rawObjects": 22, "upserted": 22, "failed": 0, "deleted": 0},
                "incidents": {"rawObjects": 3, "upserted": 3, "failed": 0, "deleted": 0},
            },
        },
        "eventLogs": [
            {
                "level": "INFO",
                "message": "Resync started for kinds: services, incidents",
                "timestamp": ts(1, 3),
            },
            {"level": "INFO", "message": "Resync finished: 25 upserted, 0 failed", "timestamp": ts(1, 3.05)},
        ],
    }


INTEGRATION_KIND_EXAMPLES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "github-ocean": {
        "repository": [
            {
                "id": 612345001,
                "name": "inventory-service",
                "full_name": "acme-corp/inventory-service",
                "html_url": "https://github.com/acme-corp/inventory-service",
                "description": "Tracks stock levels and reservations per warehouse.",
                "language": "Java",
                "default_branch": "main",
                "visibility": "private",
                "archived": False,
                "topics": ["backend", "tier-1"],
                "pushed_at": "2025-06-02T14:21:09Z",
            },
            {
                "id": 612345019,
                "name": "web-storefront",
                "full_name": "acme-corp/web-storefront",
                "html_url": "https://github.com/acme-corp/web-storefront",
                "description": "The customer-facing web shop (Next.js).",
                "language": "TypeScript",
                "default_branch": "main",
                "visibility": "private",
                "archived": False,
                "topics": ["frontend"],
                "pushed_at": "2025-06-03T08:02:44Z",
            },
        ],
        "pull-request": [
            {
                "id": 1843301122,
                "number": 482,
                "title": "Reserve stock atomically on checkout",
                "state": "open",
                "draft": False,
                "html_url": "https://github.com/acme-corp/inventory-service/pull/482",
                "user": {"login": "samlee"},
                "head": {"ref": "feat/atomic-reservations", "repo": {"name": "inventory-service"}},
                "base": {"ref": "main"},
                "created_at": "2025-06-01T09:12:00Z",
                "merged_at": None,
            }
        ],
    },
    "pagerduty": {
        "services": [
            {
                "id": "PSV4K2M",
                "name": "order-processing",
                "status": "active",
                "html_url": "https://acme.pagerduty.example/service-directory/PSV4K2M",
                "escalation_policy": {"id": "PEP81QX", "summary": "Backend primary on-call"},
            }
        ],
        "incidents": [
            {
                "id": "Q2LJ8VN0A1B2C3",
                "incident_number": 2052,
                "title": "Notification queue backlog",
                "status": "acknowledged",
                "urgency": "low",
                "html_url": "https://acme.pagerduty.example/incidents/Q2LJ8VN0A1B2C3",
                "service": {"id": "PNT77QA", "summary": "notification-service"},
                "created_at": "2025-06-03T06:00:00Z",
            }
        ],
    },
}


def build_acme() -> Organization:
    rng = random.Random(42)
    org = Organization(id=ACME_ORG_ID, name="Acme Corp (demo)")
    add_blueprints(org)
    _people(org)
    _infrastructure(org)
    add_services(
        org,
        parse_services(_ACME_SERVICES),
        github_org="acme-corp",
        grafana="https://grafana.acme.example",
        descriptions=_ACME_DESCRIPTIONS,
        dependencies=_ACME_DEPENDENCIES,
        titles=_ACME_TITLES,
        rng=rng,
    )
    _incidents(org)
    _prompts(org)
    for card in (production_readiness_scorecard(), _security_scorecard(), _tier1_scorecard()):
        org.upsert_scorecard("service", card)
    for action in _acme_actions():
        org.upsert_action(action)
        org.action_permissions[action["identifier"]] = action_permissions(action["identifier"])
    _runs(org, rng)
    _workflows(org)
    _portal(org)
    _integrations(org)
    return org
