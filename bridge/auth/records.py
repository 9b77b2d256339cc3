"""What a browser sign-in leaves behind, and how it is kept: JSON records in the keychain, one entry per kind.

    profile/<id>/oauth/<generation>   the tokens: access and refresh token, *absolute* expiry, where to refresh
    profile/<id>/oauth-client         the dynamic client registration, reused until the redirect URI changes

Expiry is stored as wall-clock seconds since the epoch (not `expires_in`): a process that starts later, or a machine
that wakes from sleep, can tell at once whether a token is still good. A new sign-in writes tokens under a new
generation name and points the profile's `secret_refs["oauth"]` at it, which tells a running bridge (through the
settings watcher) to drop its old provider and its sessions: the new sign-in may be another organization.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

TOKENS_REF = "oauth"
CLIENT_REF = "oauth_client"
CREDENTIALS_REF = "client_credentials"  # token mode: the API client id and secret


def tokens_entry(profile_id: str) -> str:
    return f"profile/{profile_id}/oauth/{secrets.token_hex(3)}"


def client_entry(profile_id: str) -> str:
    return f"profile/{profile_id}/oauth-client"


@dataclass
class Identity:
    """Who signed in, to which organization, as the access token says (Port's namespaced claims)."""

    organization_id: str = ""
    organization_name: str = ""
    email: str = ""


@dataclass
class TokenRecord:
    access_token: str
    expires_at: float  # wall clock, seconds since the epoch
    issued_at: float
    token_endpoint: str
    client_id: str
    refresh_token: str | None = None
    client_secret: str | None = None  # when registration gave one (public PKCE clients have none)
    token_endpoint_auth_method: str = "none"  # noqa: S105 (a method name)
    scope: str | None = None
    resource: str | None = None
    revocation_endpoint: str | None = None
    identity: Identity = field(default_factory=Identity)
    refused: bool = False  # Port refused to refresh it (invalid_grant): the sign-in is over, sign in again

    @classmethod
    def from_response(
        cls, body: dict[str, Any], *, now: float, previous: TokenRecord | None = None, **where: Any
    ) -> TokenRecord:
        """From a token endpoint's answer. A refresh answer may omit the refresh token or scope: keep the old ones."""
        lifetime = float(body.get("expires_in") or 3600)
        base = asdict(previous) if previous is not None else {}
        base.update(where)
        base.update(
            access_token=str(body["access_token"]),
            expires_at=now + lifetime,
            issued_at=now,
            refresh_token=body.get("refresh_token") or base.get("refresh_token"),
            scope=body.get("scope") or base.get("scope"),
            refused=False,
        )
        base["identity"] = identity_from_token(base["access_token"]) or (
            previous.identity if previous is not None else Identity()
        )
        return cls(**base)

    @property
    def lifetime(self) -> float:
        return max(self.expires_at - self.issued_at, 1.0)

    def refresh_due(self, now: float, fraction: float = 0.8) -> bool:
        """At about 80 % of the lifetime: early enough that no request waits, late enough not to churn."""
        return now >= self.issued_at + self.lifetime * fraction

    def expired(self, now: float, margin: float = 30.0) -> bool:
        return now >= self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TokenRecord:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["identity"] = Identity(**data.get("identity") or {})
        return cls(**data)


@dataclass
class ClientRegistration:
    client_id: str
    redirect_uri: str
    issuer: str
    client_secret: str | None = None
    token_endpoint_auth_method: str = "none"  # noqa: S105 (a method name)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ClientRegistration:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def identity_from_token(token: str) -> Identity | None:
    """Port's access tokens are JWTs with `{aud}/orgId`, `{aud}/orgName`, `{aud}/email` claims. Read, not verified:
    the token is ours, fresh from the token endpoint over TLS, and this only labels the profile."""
    from joserfc import jws  # with `cryptography`: several MiB the running bridge does not otherwise need
    from joserfc.errors import JoseError

    try:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    found = Identity()
    for key, value in claims.items():
        if not isinstance(value, str):
            continue
        if key.endswith("/orgId"):
            found.organization_id = value
        elif key.endswith("/orgName"):
            found.organization_name = value
        elif key.endswith("/email"):
            found.email = value
    return found if (found.organization_id or found.organization_name) else None


def now() -> float:
    return time.time()
