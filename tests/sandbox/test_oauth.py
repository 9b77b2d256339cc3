"""The sandbox's OAuth server, driven like a real client would: discovery, DCR, the consent page, PKCE, rotation."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
import pytest
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, OAuthFlowError
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import ACME_ORG_ID, GLOBEX_ORG_ID
from tests.support.browser import consent_form
from tests.support.mcp import mcp_client

REDIRECT = "http://127.0.0.1:53682/callback"


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def approve_in_browser(url: str, choice: str) -> str:
    """Acts as the user: opens the consent page, picks an organization, approves; returns the redirect URL."""
    async with httpx2.AsyncClient() as browser:
        page = await browser.get(url)
        assert page.status_code == 200 and "wants to access Port" in page.text
        options = [html.unescape(v) for v in re.findall(r'name="choice" value="([^"]+)"', page.text)]
        assert choice in options, options
        answer = await browser.post(url, data={**consent_form(page.text), "choice": choice, "decision": "approve"})
        assert answer.status_code == 302
        return answer.headers["location"]


def make_provider(box: Sandbox, storage: MemoryStorage, choice: str) -> tuple[OAuthClientProvider, dict[str, str]]:
    landed: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        landed["url"] = await approve_in_browser(url, choice)
        landed["sign_ins"] = landed.get("sign_ins", "") + "x"

    async def callback_handler() -> AuthorizationCodeResult:
        query = parse_qs(urlparse(landed["url"]).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    metadata = OAuthClientMetadata(
        redirect_uris=[REDIRECT], client_name="Test client", token_endpoint_auth_method="none",
        grant_types=["authorization_code", "refresh_token"],
    )  # fmt: skip
    return OAuthClientProvider(box.mcp_url, metadata, storage, redirect_handler, callback_handler), landed


async def list_tool_names(box: Sandbox, provider: OAuthClientProvider) -> set[str]:
    async with mcp_client(box.mcp_url, auth=provider) as session:
        me = await session.call_tool("describe_user_details", {})
        names = {t.name for t in (await session.list_tools()).tools}
        names.add("org:" + json.loads(me.content[0].text)["organization"]["name"])
        return names


async def test_official_client_signs_in_through_the_consent_page(sandbox: Sandbox) -> None:
    sandbox.state.config.issuer_mode = "strict"  # the SDK insists that issuer == authorization server URL
    storage = MemoryStorage()
    provider, _ = make_provider(sandbox, storage, f"sam@acme.example {ACME_ORG_ID}")
    names = await list_tool_names(sandbox, provider)
    assert "org:Acme Corp (demo)" in names
    assert "list_entities" in names and "upsert_entity" not in names  # Sam is a developer in Acme
    assert storage.tokens is not None and storage.tokens.refresh_token
    assert storage.client is not None and storage.client.client_id.startswith("sbx_")


async def test_a_token_is_bound_to_the_chosen_organization(sandbox: Sandbox) -> None:
    sandbox.state.config.issuer_mode = "strict"
    provider, _ = make_provider(sandbox, MemoryStorage(), f"dana@acme.example {GLOBEX_ORG_ID}")
    names = await list_tool_names(sandbox, provider)
    assert "org:Globex (demo)" in names and "upsert_entity" not in names  # Dana is a developer in Globex


async def test_port_like_issuer_is_on_another_origin_and_strict_clients_fail(sandbox: Sandbox) -> None:
    meta = httpx2.get(f"{sandbox.url}/.well-known/oauth-authorization-server/v1").json()
    prm = httpx2.get(f"{sandbox.url}/.well-known/oauth-protected-resource/v1").json()
    assert prm["resource"] == sandbox.mcp_url and prm["authorization_servers"] == [sandbox.mcp_url]
    assert urlparse(meta["issuer"]).netloc != urlparse(sandbox.mcp_url).netloc
    assert meta["authorization_endpoint"] == f"{sandbox.mcp_url}/authorize"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(meta["grant_types_supported"])
    provider, _ = make_provider(sandbox, MemoryStorage(), f"sam@acme.example {ACME_ORG_ID}")
    with pytest.raises(BaseExceptionGroup) as caught:  # the transport's task group wraps the SDK's error
        await list_tool_names(sandbox, provider)
    assert caught.group_contains(OAuthFlowError, match="issuer mismatch", depth=None)


def test_401_names_the_resource_metadata(sandbox: Sandbox) -> None:
    r = httpx2.post(sandbox.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert r.status_code == 401
    assert f'resource_metadata="{sandbox.url}/.well-known/oauth-protected-resource/v1"' in r.headers["www-authenticate"]
    r = httpx2.post(sandbox.mcp_url, json={}, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]


# --- the raw protocol, step by step ---------------------------------------------------------------------


def register(box: Sandbox) -> str:
    r = httpx2.post(f"{box.mcp_url}/register", json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})
    assert r.status_code == 201
    return r.json()["client_id"]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(box: Sandbox, client_id: str, challenge: str | None, method: str = "S256") -> dict[str, list[str]]:
    box.faults.auto_approve = f"dana@acme.example {ACME_ORG_ID}"
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "xyz"}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": method}
    r = httpx2.get(f"{box.mcp_url}/authorize", params=params)
    assert r.status_code == 302
    query = parse_qs(urlparse(r.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query


def exchange(box: Sandbox, client_id: str, code: str, verifier: str) -> httpx2.Response:
    return httpx2.post(
        f"{box.mcp_url}/token",
        data={"grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": REDIRECT,
              "code_verifier": verifier},
    )  # fmt: skip


def refresh(box: Sandbox, client_id: str, token: str) -> httpx2.Response:
    return httpx2.post(
        f"{box.mcp_url}/token", data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    )


def ping(box: Sandbox, access: str) -> int:
    r = httpx2.post(
        box.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json, text/event-stream"},
    )  # fmt: skip
    return r.status_code


def test_pkce_is_enforced(sandbox: Sandbox) -> None:
    client_id = register(sandbox)
    assert authorize(sandbox, client_id, None)["error"] == ["invalid_request"]
    verifier, challenge = pkce()
    assert authorize(sandbox, client_id, challenge, method="plain")["error"] == ["invalid_request"]
    code = authorize(sandbox, client_id, challenge)["code"][0]
    wrong = exchange(sandbox, client_id, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = authorize(sandbox, client_id, challenge)["code"][0]
    ok = exchange(sandbox, client_id, code, verifier)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    reused = exchange(sandbox, client_id, code, verifier)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_unknown_client_or_redirect_is_shown_not_redirected(sandbox: Sandbox) -> None:
    client_id = register(sandbox)
    r = httpx2.get(f"{sandbox.mcp_url}/authorize", params={"client_id": "nope", "redirect_uri": REDIRECT})
    assert r.status_code == 400 and "location" not in r.headers
    r = httpx2.get(
        f"{sandbox.mcp_url}/authorize", params={"client_id": client_id, "redirect_uri": "http://evil.example/cb"}
    )
    assert r.status_code == 400 and "location" not in r.headers


def test_refresh_tokens_rotate_and_reuse_revokes_the_family(sandbox: Sandbox) -> None:
    client_id = register(sandbox)
    verifier, challenge = pkce()
    first = exchange(sandbox, client_id, authorize(sandbox, client_id, challenge)["code"][0], verifier).json()
    second = refresh(sandbox, client_id, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert ping(sandbox, second["access_token"]) == 200
    replay = refresh(sandbox, client_id, first["refresh_token"])  # a second window with a stale token
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # Reuse detection revoked the whole family: the newest tokens are dead too.
    assert refresh(sandbox, client_id, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert ping(sandbox, second["access_token"]) == 401


def test_lifetimes_follow_the_sandbox_clock(sandbox: Sandbox) -> None:
    lifetimes = sandbox.state.config.lifetimes
    lifetimes.access_token, lifetimes.refresh_idle, lifetimes.refresh_absolute = 60, 600, 900
    client_id = register(sandbox)
    verifier, challenge = pkce()
    tokens = exchange(sandbox, client_id, authorize(sandbox, client_id, challenge)["code"][0], verifier).json()
    assert tokens["expires_in"] == 60 and ping(sandbox, tokens["access_token"]) == 200
    sandbox.state.advance_clock(61)
    assert ping(sandbox, tokens["access_token"]) == 401
    tokens = refresh(sandbox, client_id, tokens["refresh_token"]).json()
    assert ping(sandbox, tokens["access_token"]) == 200
    sandbox.state.advance_clock(601)  # idle longer than refresh_idle
    assert refresh(sandbox, client_id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    tokens = exchange(sandbox, client_id, authorize(sandbox, client_id, challenge)["code"][0], verifier).json()
    for _ in range(3):  # keeps refreshing within idle, but the family's absolute lifetime ends it
        sandbox.state.advance_clock(400)
        response = refresh(sandbox, client_id, tokens["refresh_token"]).json()
        tokens = response if "refresh_token" in response else tokens
    assert response == {"error": "invalid_grant", "error_description": "The refresh token has expired; sign in again."}


def test_denying_consent_redirects_with_access_denied(sandbox: Sandbox) -> None:
    client_id = register(sandbox)
    _, challenge = pkce()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
              "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
    r = httpx2.post(f"{sandbox.mcp_url}/authorize", data={**params, "decision": "deny"})
    assert parse_qs(urlparse(r.headers["location"]).query)["error"] == ["access_denied"]
    r = httpx2.post(
        f"{sandbox.mcp_url}/authorize",
        data={**params, "decision": "approve", "choice": f"sam@acme.example {GLOBEX_ORG_ID}"},
    )
    assert r.status_code == 200 and "not a member" in r.text  # Sam is not in Globex: shown again


def test_confidential_clients_must_authenticate(sandbox: Sandbox) -> None:
    reg = httpx2.post(
        f"{sandbox.mcp_url}/register",
        json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"},
    ).json()
    assert reg["client_secret"]
    verifier, challenge = pkce()
    code = authorize(sandbox, reg["client_id"], challenge)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    bad = httpx2.post(f"{sandbox.mcp_url}/token", data=data, auth=(reg["client_id"], "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    code = authorize(sandbox, reg["client_id"], challenge)["code"][0]
    good = httpx2.post(
        f"{sandbox.mcp_url}/token", data={**data, "code": code}, auth=(reg["client_id"], reg["client_secret"])
    )
    assert good.status_code == 200


def test_registration_can_be_switched_off_like_an_sso_org(sandbox: Sandbox) -> None:
    sandbox.faults.dcr_enabled = False
    r = httpx2.post(f"{sandbox.mcp_url}/register", json={"redirect_uris": [REDIRECT]})
    assert r.status_code == 403 and r.json()["error"] == "access_denied"
    assert "domain-level" in r.json()["error_description"]
    bad = httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"dcr_enabled": True})
    assert bad.status_code == 200 and bad.json()["dcr_enabled"] is True
    assert httpx2.post(f"{sandbox.mcp_url}/register", json={"redirect_uris": [REDIRECT]}).status_code == 201
    assert httpx2.post(f"{sandbox.mcp_url}/register", json={"redirect_uris": "x"}).status_code == 400


def test_an_sso_org_registers_but_its_login_page_fails_without_redirecting_as_port_does(sandbox: Sandbox) -> None:
    """Port's real SSO failure (port-docs overview-and-installation.md): registration succeeds, the login page is
    Auth0's "Oops!, something went wrong", and nothing comes back to the app."""
    httpx2.post(f"{sandbox.url}/_sandbox/faults", json={"sso_login_error": True}).raise_for_status()
    assert sandbox.faults.sso_login_error is True
    reg = httpx2.post(f"{sandbox.mcp_url}/register", json={"redirect_uris": [REDIRECT]})
    assert reg.status_code == 201
    _, challenge = pkce()
    params = {"response_type": "code", "client_id": reg.json()["client_id"], "redirect_uri": REDIRECT, "state": "s",
              "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
    sandbox.faults.auto_approve = f"dana@acme.example {ACME_ORG_ID}"  # even a user who would be approved at once
    page = httpx2.get(f"{sandbox.mcp_url}/authorize", params=params)
    assert page.status_code == 400 and "location" not in page.headers
    assert "Oops!, something went wrong" in page.text and "Please try again." in page.text
    assert "<form" not in page.text and REDIRECT not in page.text  # a dead end: no way back to the app
    sandbox.faults.auto_approve = None
    choice = {"decision": "approve", "choice": f"dana@acme.example {ACME_ORG_ID}"}
    posted = httpx2.post(f"{sandbox.mcp_url}/authorize", data={**params, **choice})
    assert posted.status_code == 400 and "Oops!" in posted.text  # a consent page opened before: no way through
    sandbox.faults.sso_login_error = False
    assert "Approve" in httpx2.get(f"{sandbox.mcp_url}/authorize", params=params).text


async def test_official_client_refreshes_an_expired_access_token(sandbox: Sandbox) -> None:
    sandbox.state.config.issuer_mode = "strict"
    sandbox.state.config.lifetimes.access_token = 1
    storage = MemoryStorage()
    provider, landed = make_provider(sandbox, storage, f"dana@acme.example {ACME_ORG_ID}")
    await list_tool_names(sandbox, provider)
    first = storage.tokens
    assert first is not None and first.expires_in == 1
    await anyio.sleep(1.2)  # not synchronisation: the access token's one second of life runs out (a clock rule)
    names = await list_tool_names(sandbox, provider)
    assert "org:Acme Corp (demo)" in names
    assert landed["sign_ins"] == "x", "the second connection must refresh, not open the browser again"
    assert storage.tokens is not None and storage.tokens.refresh_token != first.refresh_token
    assert refresh(sandbox, storage.client.client_id, first.refresh_token).json()["error"] == "invalid_grant"  # type: ignore[union-attr]
