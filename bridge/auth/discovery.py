"""Find a profile's authorization server from its MCP URL, the way MCP clients do, but tolerant of Port's issuer.

401 `WWW-Authenticate` → RFC 9728 protected-resource metadata → RFC 8414 authorization-server metadata (OpenID
configuration as fallback). The URL candidates and the metadata models come from the `mcp` SDK; what we do not take
from it is the issuer check: Port's metadata, served under `mcp.<region>.port.io/v1`, names its Auth0 domain as
issuer, and clients that insist on RFC 8414 §3.3 equality (the SDK, Codex) fail exactly there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeVar

import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    extract_resource_metadata_from_www_auth,
    extract_scope_from_www_auth,
)
from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata
from pydantic import ValidationError

from bridge.errors import SignInFailed, run_doctor

log = logging.getLogger(__name__)

_M = TypeVar("_M", OAuthMetadata, ProtectedResourceMetadata)
_PROBE = {"jsonrpc": "2.0", "id": 0, "method": "ping"}


@dataclass(frozen=True)
class AuthServer:
    """What sign-in needs to know about a profile's authorization server."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None
    revocation_endpoint: str | None
    scope: str | None  # what to ask for
    resource: str | None  # RFC 8707 resource indicator: the MCP URL as the server names it

    @classmethod
    def from_metadata(
        cls, asm: OAuthMetadata, prm: ProtectedResourceMetadata | None, challenge_scope: str | None
    ) -> AuthServer:
        scopes = challenge_scope
        if scopes is None and prm is not None and prm.scopes_supported:
            scopes = " ".join(prm.scopes_supported)
        if scopes is None and asm.scopes_supported:
            scopes = " ".join(asm.scopes_supported)
        offline = asm.scopes_supported is not None and "offline_access" in asm.scopes_supported
        if scopes is not None and offline and "offline_access" not in scopes.split():
            scopes += " offline_access"  # without it there is no refresh token: a sign-in a day
        return cls(
            issuer=str(asm.issuer),
            authorization_endpoint=str(asm.authorization_endpoint),
            token_endpoint=str(asm.token_endpoint),
            registration_endpoint=str(asm.registration_endpoint) if asm.registration_endpoint else None,
            revocation_endpoint=str(asm.revocation_endpoint) if asm.revocation_endpoint else None,
            scope=scopes,
            resource=str(prm.resource) if prm is not None else None,
        )


async def discover(http: httpx2.AsyncClient, mcp_url: str) -> AuthServer:
    """Ask the MCP server how to sign in. Raises `SignInFailed` with what to do when it cannot be found out."""
    where = httpx2.URL(mcp_url).host
    try:
        probe = await http.post(mcp_url, json=_PROBE, headers={"accept": "application/json, text/event-stream"})
    except httpx2.HTTPError as exc:
        raise SignInFailed(
            f"Could not reach {where} ({type(exc).__name__}). Check your network, VPN or proxy, then try again; "
            "the doctor checks the connection step by step.",
            actions=(run_doctor(),),
            cli="`port-mcp-bridge doctor` checks the connection step by step.",
        ) from None
    www_metadata = extract_resource_metadata_from_www_auth(probe) if probe.status_code in (401, 403) else None
    challenge_scope = extract_scope_from_www_auth(probe) if probe.status_code in (401, 403) else None

    prm: ProtectedResourceMetadata | None = None
    for url in build_protected_resource_metadata_discovery_urls(www_metadata, mcp_url):
        prm = await _fetch(http, url, ProtectedResourceMetadata)
        if prm is not None:
            break
    auth_base = str(prm.authorization_servers[0]) if prm is not None and prm.authorization_servers else None

    for url in build_oauth_authorization_server_metadata_discovery_urls(auth_base, mcp_url):
        asm = await _fetch(http, url, OAuthMetadata)
        if asm is not None:
            if prm is not None and str(asm.issuer).rstrip("/") != (auth_base or "").rstrip("/"):
                # Port's case. Logged so a support request shows it, and otherwise accepted on purpose.
                log.info("authorization server %s names issuer %s; accepted", auth_base, asm.issuer)
            return AuthServer.from_metadata(asm, prm, challenge_scope)
    raise SignInFailed(
        f"{where} did not say how to sign in (no OAuth metadata found). If this is a Port MCP URL, check the "
        "profile's region or URL, or sign in with API credentials instead.",
        actions=(run_doctor(),),
        cli="For machines without a browser, use token mode (`--token`).",
    )


async def _fetch(http: httpx2.AsyncClient, url: str, model: type[_M]) -> _M | None:
    try:
        response = await http.get(url)
    except httpx2.HTTPError as exc:
        log.info("metadata at %s not reachable: %s", url, type(exc).__name__)
        return None
    if response.status_code != 200:
        return None
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        log.info("metadata at %s is not valid %s", url, model.__name__)
        return None
