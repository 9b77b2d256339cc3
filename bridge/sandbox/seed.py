"""The sandbox's demo data: two Port organizations, their people and the token-mode demo credentials.

`build_demo_orgs()` returns fresh `Organization` objects on every call (tests mutate them). The data lives in
`seed_acme` (Acme Corp, the full demo) and `seed_globex` (Globex, a small second org for org switching); this
module is the public entry point and re-exports the facts the demo questions and tests rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.sandbox.catalog import Organization, User
from bridge.sandbox.seed_acme import (
    ACME_BACKEND_MICROSERVICE_COUNT,
    ACME_ORG_ID,
    ACME_PRODUCTION_SERVICE_COUNT,
    ACME_SECURITY_FAILING,
    ACME_SERVICES_MISSING_DASHBOARD,
    INTEGRATION_KIND_EXAMPLES,
    build_acme,
)
from bridge.sandbox.seed_globex import GLOBEX_ORG_ID, GLOBEX_SERVICE_COUNT, build_globex

__all__ = [
    "ACME_BACKEND_MICROSERVICE_COUNT",
    "ACME_ORG_ID",
    "ACME_PRODUCTION_SERVICE_COUNT",
    "ACME_SECURITY_FAILING",
    "ACME_SERVICES_MISSING_DASHBOARD",
    "DEMO_CREDENTIALS",
    "DEMO_USERS",
    "GLOBEX_ORG_ID",
    "GLOBEX_SERVICE_COUNT",
    "INTEGRATION_KIND_EXAMPLES",
    "DemoUser",
    "build_demo_orgs",
]


@dataclass(frozen=True)
class DemoUser:
    """A person of the sandbox and their membership in each org: org id -> (role, team identifiers)."""

    email: str
    first_name: str
    last_name: str
    memberships: dict[str, tuple[str, tuple[str, ...]]]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def role_in(self, org_id: str) -> str | None:
        """'builder' or 'developer', or None when not a member of that org."""
        membership = self.memberships.get(org_id)
        return membership[0] if membership else None


DEMO_USERS: dict[str, DemoUser] = {
    "dana@acme.example": DemoUser(
        "dana@acme.example",
        "Dana",
        "Ortiz",
        {ACME_ORG_ID: ("builder", ("platform",)), GLOBEX_ORG_ID: ("developer", ("core",))},
    ),
    "sam@acme.example": DemoUser("sam@acme.example", "Sam", "Lee", {ACME_ORG_ID: ("developer", ("backend",))}),
}

# Token mode (client credentials): client id -> (client secret, org id, role). Printed for users; not secrets.
DEMO_CREDENTIALS: dict[str, tuple[str, str, str]] = {
    "acme-builder-demo": ("sandbox-secret-acme-builder", ACME_ORG_ID, "builder"),
    "acme-developer-demo": ("sandbox-secret-acme-developer", ACME_ORG_ID, "developer"),
    "globex-builder-demo": ("sandbox-secret-globex-builder", GLOBEX_ORG_ID, "builder"),
}


def build_demo_orgs() -> dict[str, Organization]:
    """Fresh demo organizations keyed by org id, with `users` filled from DEMO_USERS."""
    orgs = {org.id: org for org in (build_acme(), build_globex())}
    for person in DEMO_USERS.values():
        for org_id, (role, teams) in person.memberships.items():
            orgs[org_id].users[person.email] = User(
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                role=role,
                teams=list(teams),
            )
    return orgs
