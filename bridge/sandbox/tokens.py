"""Token issuing and checking for the sandbox's authorization server, like Port's Auth0 tenant.

Access tokens are signed JWTs carrying Port's namespaced claims (`{aud}/orgId`, `{aud}/orgName`, `{aud}/email`), so
a client can read which organization a token belongs to. Refresh tokens are opaque and rotate on every use; a spent
refresh token used again revokes its whole family (`invalid_grant`), which is what multi-window clients trip over.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from bridge.sandbox.state import SandboxState


class GrantError(Exception):
    """An OAuth error response: `error` is the RFC 6749 code, `description` the human text."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Principal:
    """Who a valid access token speaks for."""

    email: str
    org_id: str
    role: str
    client_id: str
    expires_at: float


@dataclass
class _Refresh:
    family: str
    client_id: str
    email: str
    org_id: str
    scope: str
    issued_at: float
    spent: bool = False


@dataclass
class _Family:
    created_at: float
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    email: str
    org_id: str
    scope: str
    expires_at: float
    resource: str | None = None


@dataclass
class TokenStore:
    state: SandboxState
    audience: str  # the API base URL, as in Port's tokens
    issuer: str
    key: OctKey = field(default_factory=lambda: OctKey.generate_key(256))
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _families: dict[str, _Family] = field(default_factory=dict)
    _machine: dict[str, tuple[str, float]] = field(default_factory=dict)
    _machine_requests: dict[str, list[float]] = field(default_factory=dict)
    generation: int = 0  # bumped by expire_all(); tokens of older generations are refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- clients -------------------------------------------------------------------------------------------

    def register(self, metadata: dict[str, Any]) -> dict[str, Any]:
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            raise GrantError("invalid_redirect_uri", "redirect_uris must be a non-empty list of URLs.")
        method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in {"none", "client_secret_post", "client_secret_basic"}:
            raise GrantError("invalid_client_metadata", f"token_endpoint_auth_method {method!r} is not supported.")
        client = {
            **{k: v for k, v in metadata.items() if isinstance(k, str)},
            "client_id": "sbx_" + secrets.token_urlsafe(16),
            "client_id_issued_at": int(self.state.now()),
            "redirect_uris": uris,
            "token_endpoint_auth_method": method,
            "grant_types": metadata.get("grant_types") or ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        if method != "none":
            client["client_secret"] = secrets.token_urlsafe(32)
            client["client_secret_expires_at"] = 0
        self.clients[client["client_id"]] = client
        return client

    def client(self, client_id: str | None) -> dict[str, Any]:
        client = self.clients.get(client_id or "")
        if client is None:
            raise GrantError("invalid_client", "Unknown client_id; register the client again.", 401)
        return client

    def authenticate_client(self, client_id: str | None, secret: str | None) -> dict[str, Any]:
        client = self.client(client_id)
        public = client["token_endpoint_auth_method"] == "none"  # noqa: S105 (a method name, not a secret)
        if not public and not secrets.compare_digest(client.get("client_secret", ""), secret or ""):
            raise GrantError("invalid_client", "Client authentication failed.", 401)
        return client

    # --- authorization codes -----------------------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        challenge: str,
        email: str,
        org_id: str,
        scope: str,
        resource: str | None = None,
    ) -> str:
        code = secrets.token_urlsafe(32)
        with self.lock:
            self._codes[code] = _Code(
                client_id,
                redirect_uri,
                challenge,
                email,
                org_id,
                scope,
                self.state.now() + self.state.config.lifetimes.authorization_code,
                resource,
            )
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str, verifier: str | None) -> dict[str, Any]:
        with self.lock:
            entry = self._codes.pop(code, None)  # single use, whatever happens next
        if entry is None or entry.expires_at < self.state.now():
            raise GrantError("invalid_grant", "The authorization code is invalid, expired or already used.")
        if entry.client_id != client_id:
            raise GrantError("invalid_grant", "The authorization code was issued to another client.")
        if entry.redirect_uri != redirect_uri:
            raise GrantError("invalid_grant", "redirect_uri does not match the one used to authorize.")
        if not verifier:
            raise GrantError("invalid_request", "code_verifier is required (PKCE).")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not secrets.compare_digest(digest, entry.challenge):
            raise GrantError("invalid_grant", "PKCE verification failed: code_verifier does not match.")
        family = secrets.token_urlsafe(12)
        with self.lock:
            self._families[family] = _Family(created_at=self.state.now())
        return self._token_response(client_id, entry.email, entry.org_id, entry.scope, family)

    # --- refresh tokens -------------------------------------------------------------------------------------

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        now = self.state.now()
        lifetimes = self.state.config.lifetimes
        with self.lock:
            entry = self._refresh.get(refresh_token)
            if entry is None or entry.client_id != client_id:
                raise GrantError("invalid_grant", "Unknown or invalid refresh token.")
            family = self._families[entry.family]
            if entry.spent:
                family.revoked = True  # reuse detection: a replayed token kills every token of its family
                raise GrantError("invalid_grant", "Unknown or invalid refresh token.")
            if family.revoked:
                raise GrantError("invalid_grant", "Unknown or invalid refresh token.")
            if now > family.created_at + lifetimes.refresh_absolute or now > entry.issued_at + lifetimes.refresh_idle:
                family.revoked = True
                raise GrantError("invalid_grant", "The refresh token has expired; sign in again.")
            entry.spent = True
        return self._token_response(client_id, entry.email, entry.org_id, entry.scope, entry.family)

    def _token_response(self, client_id: str, email: str, org_id: str, scope: str, family: str) -> dict[str, Any]:
        access, ttl = self._access_token(client_id, email, org_id, family)
        refresh = secrets.token_urlsafe(32)
        with self.lock:
            self._refresh[refresh] = _Refresh(family, client_id, email, org_id, scope, self.state.now())
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(ttl),
            "refresh_token": refresh,
            "scope": scope,
        }

    def _access_token(
        self,
        client_id: str,
        email: str,
        org_id: str,
        family: str | None,
        ttl: float | None = None,
        role: str | None = None,
    ) -> tuple[str, float]:
        org = self.state.orgs[org_id]
        if role is None:
            user = org.users.get(email)
            role = user.role if user else "developer"
        ttl = ttl if ttl is not None else self.state.config.lifetimes.access_token
        now = self.state.now()
        aud = self.audience
        claims = {
            "iss": self.issuer,
            "sub": email,
            "aud": aud,
            "iat": int(now),
            "exp": math.ceil(now + ttl),  # rounding down would cut up to a second off a short-lived token
            "azp": client_id,
            "jti": secrets.token_urlsafe(8),
            "fam": family,
            "gen": self.generation,
            "role": role,
            f"{aud}/orgId": org_id,
            f"{aud}/orgName": org.name,
            f"{aud}/email": email,
        }
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, self.key), ttl

    # --- machine tokens (token mode) -------------------------------------------------------------------

    def machine_token(
        self, client_id: str, client_secret: str, *, limit_per_15_min: int | None = None
    ) -> tuple[str, int]:
        """Port's rule: one active token per credential; asking again returns it with a shorter expiresIn."""
        from bridge.sandbox.seed import DEMO_CREDENTIALS

        known = DEMO_CREDENTIALS.get(client_id)
        if known is None or not secrets.compare_digest(known[0], client_secret):
            raise GrantError("invalid_credentials", "Invalid credentials supplied to the generate token API", 401)
        now = self.state.now()
        if limit_per_15_min is not None:
            with self.lock:
                recent = [t for t in self._machine_requests.get(client_id, []) if t > now - 900]
                if len(recent) >= limit_per_15_min:
                    raise GrantError("rate_limited", "Too many token requests; limit is 50 per 15 minutes.", 429)
                self._machine_requests[client_id] = [*recent, now]
        with self.lock:
            current = self._machine.get(client_id)
            if current and current[1] > now + 1 and self._valid(current[0]):
                return current[0], int(current[1] - now)
        _, org_id, role = known  # machine credentials carry their own authorization
        token, ttl = self._access_token(
            client_id, f"{client_id}@machine.port", org_id, None, self.state.config.lifetimes.machine_token, role
        )
        with self.lock:
            self._machine[client_id] = (token, now + ttl)
        return token, int(ttl)

    # --- verification ------------------------------------------------------------------------------------

    def _valid(self, token: str) -> bool:
        try:
            self.verify(token)
        except GrantError:
            return False
        return True

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self.key).claims
        except (JoseError, ValueError) as exc:
            raise GrantError(
                "invalid_token", "The access token is malformed or its signature is invalid.", 401
            ) from exc
        now = self.state.now()
        if claims.get("exp", 0) <= now:
            raise GrantError("invalid_token", "The access token expired.", 401)
        if claims.get("gen", 0) < self.generation:
            raise GrantError("invalid_token", "The access token expired.", 401)
        family = claims.get("fam")
        if family and self._families.get(family, _Family(0, revoked=True)).revoked:
            raise GrantError("invalid_token", "The access token was revoked.", 401)
        aud = self.audience
        org_id = claims.get(f"{aud}/orgId")
        if org_id not in self.state.orgs:
            raise GrantError("invalid_token", "The token's organization does not exist here.", 401)
        return Principal(claims["sub"], org_id, claims.get("role", "developer"), claims.get("azp", ""), claims["exp"])

    def revoke(self, token: str) -> None:
        """RFC 7009: end the sign-in a refresh or access token belongs to (its whole family). Unknown: ignored."""
        with self.lock:
            entry = self._refresh.get(token)
            family = entry.family if entry is not None else None
        if family is None:
            try:
                family = jwt.decode(token, self.key).claims.get("fam")
            except (JoseError, ValueError):
                return
        with self.lock:
            if family in self._families:
                self._families[family].revoked = True

    def expire_all(self) -> None:
        """Every access token issued so far stops working (refresh tokens still do)."""
        with self.lock:
            self.generation += 1
