"""HTTP endpoints of the sandbox's authorization server: discovery, registration, the consent page, tokens.

Laid out like Port's: protected-resource metadata (RFC 9728) names `<base>/v1` as the authorization server, whose
metadata (RFC 8414) lives under the MCP host but names an *issuer on another origin* (Port's names its Auth0
domain). Strict clients reject that; `issuer_mode="strict"` makes the two equal for clients that insist.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bridge.sandbox.state import SandboxState
from bridge.sandbox.tokens import GrantError, TokenStore

SCOPES = ["openid", "offline_access"]
CLIENT_CREDENTIALS_LIMIT = 50  # per client per 15 minutes, as reported for Port's /v1/token


class AuthServer:
    def __init__(self, state: SandboxState, base_url: str, tokens: TokenStore) -> None:
        self.state = state
        self.base = base_url.rstrip("/")
        self.tokens = tokens

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/v1"

    @property
    def resource_metadata_url(self) -> str:
        return f"{self.base}/.well-known/oauth-protected-resource/v1"

    # --- discovery ----------------------------------------------------------------------------------------

    async def protected_resource(self, request: Request) -> Response:
        return JSONResponse(
            {
                "resource": self.mcp_url,
                "authorization_servers": [self.mcp_url],
                "bearer_methods_supported": ["header"],
                "scopes_supported": SCOPES,
                "resource_name": "Port MCP server (sandbox)",
            }
        )

    def metadata(self) -> dict[str, Any]:
        issuer = self.mcp_url if self.state.config.issuer_mode == "strict" else self.tokens.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{self.mcp_url}/authorize",
            "token_endpoint": f"{self.mcp_url}/token",
            "registration_endpoint": f"{self.mcp_url}/register",
            "revocation_endpoint": f"{self.mcp_url}/revoke",
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "scopes_supported": SCOPES,
        }

    async def authorization_server(self, request: Request) -> Response:
        return JSONResponse(self.metadata())

    # --- registration ---------------------------------------------------------------------------------------

    async def register(self, request: Request) -> Response:
        if not self.state.faults.dcr_enabled:
            # An older imitation of an SSO organization (kept as a knob): registration refused. Port itself lets the
            # registration succeed and fails at the login page (`sso_login_error`).
            return JSONResponse(
                {
                    "error": "access_denied",
                    "error_description": "Dynamic client registration is not enabled for this organization's SSO "
                    "connection. Ask Port support to enable domain-level authentication for the MCP server.",
                },
                status_code=403,
            )
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "invalid_client_metadata", "error_description": "Body must be JSON."}, 400)
        if not isinstance(body, dict):
            return JSONResponse(
                {"error": "invalid_client_metadata", "error_description": "Body must be an object."}, 400
            )
        try:
            return JSONResponse(self.tokens.register(body), status_code=201)
        except GrantError as exc:
            return JSONResponse(exc.body(), status_code=400)

    # --- authorization ---------------------------------------------------------------------------------------

    def _check_authorize(self, params: dict[str, str]) -> tuple[dict[str, Any] | None, Response | None]:
        """Errors about the client or redirect URI are shown, never redirected (RFC 6749 §4.1.2.1)."""
        try:
            client = self.tokens.client(params.get("client_id"))
        except GrantError as exc:
            return None, self._error_page(exc.description, 400)
        if params.get("redirect_uri") not in client["redirect_uris"]:
            return None, self._error_page("redirect_uri is not registered for this client.", 400)
        if params.get("response_type") != "code":
            return None, self._redirect_error(params, "unsupported_response_type", "Only response_type=code.")
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            return None, self._redirect_error(
                params, "invalid_request", "PKCE with code_challenge_method=S256 is required."
            )
        return client, None

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        client, error = self._check_authorize(params)
        if error is not None:
            return error
        if self.state.faults.sso_login_error:
            return self._sso_error_page()
        if self.state.faults.auto_approve:
            email, org_id = self.state.faults.auto_approve.split()
            return self._approve(params, email, org_id)
        return self._consent_page(params, client or {})

    async def decide(self, request: Request) -> Response:
        form = dict(await request.form())
        params = {k: str(v) for k, v in form.items()}
        client, error = self._check_authorize(params)
        if error is not None:
            return error
        if self.state.faults.sso_login_error:  # a consent page loaded before the knob was set
            return self._sso_error_page()
        if params.get("decision") != "approve":
            return self._redirect_error(params, "access_denied", "The user denied access.")
        email, _, org_id = params.get("choice", "").partition(" ")
        org = self.state.orgs.get(org_id)
        if org is None or email not in org.users:
            return self._consent_page(params, client or {}, f"{email} is not a member of that organization.")
        return self._approve(params, email, org_id)

    def _approve(self, params: dict[str, str], email: str, org_id: str) -> Response:
        code = self.tokens.issue_code(
            params["client_id"],
            params["redirect_uri"],
            params["code_challenge"],
            email,
            org_id,
            params.get("scope") or " ".join(SCOPES),
            params.get("resource"),
        )
        query = {"code": code}
        if params.get("state"):
            query["state"] = params["state"]
        return RedirectResponse(_with_query(params["redirect_uri"], query), status_code=302)

    def _redirect_error(self, params: dict[str, str], error: str, description: str) -> Response:
        query = {"error": error, "error_description": description}
        if params.get("state"):
            query["state"] = params["state"]
        return RedirectResponse(_with_query(params["redirect_uri"], query), status_code=302)

    def _consent_page(self, params: dict[str, str], client: dict[str, Any], error: str = "") -> Response:
        people = []
        for org in self.state.orgs.values():
            for email, user in org.users.items():
                role = "Admin" if user.role == "builder" else "Member"
                people.append((email, org.id, org.name, f"{user.first_name} {user.last_name} · {email} · {role}"))
        choices = "\n".join(
            f'<label class="choice"><input type="radio" name="choice" value="{html.escape(e)} {html.escape(o)}"'
            f"{' checked' if i == 0 else ''}><span><strong>{html.escape(org_name)}</strong>"
            f'<span class="who">{html.escape(who)}</span></span></label>'
            for i, (e, o, org_name, who) in enumerate(people)
        )
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k
            in {
                "client_id",
                "redirect_uri",
                "state",
                "code_challenge",
                "code_challenge_method",
                "scope",
                "resource",
                "response_type",
            }
        )
        page = Template(resources.files("bridge.sandbox").joinpath("authorize.html").read_text(encoding="utf-8"))
        body = page.substitute(
            client_name=html.escape(str(client.get("client_name") or client.get("client_id", "An application"))),
            hidden=hidden,
            choices=choices,
            error=f'<p class="error">{html.escape(error)}</p>' if error else "",
        )
        return HTMLResponse(body)

    def _sso_error_page(self) -> Response:
        """What Port's Auth0 shows an SSO user whose connection is not domain-level: a dead end, never a redirect to
        the app (so the app hears nothing). Port's page says "Port Production US" (its Auth0 tenant's name); the
        status code is not documented: 400, as for Auth0's other error pages [I]."""
        page = Template(resources.files("bridge.sandbox").joinpath("sso_error.html").read_text(encoding="utf-8"))
        return HTMLResponse(page.substitute(tenant="Port Sandbox"), status_code=400)

    def _error_page(self, message: str, status: int) -> Response:
        return HTMLResponse(f"<!doctype html><title>Authorization error</title><p>{html.escape(message)}</p>", status)

    # --- tokens -----------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = {k: str(v) for k, v in (await request.json()).items()}
            except (ValueError, AttributeError):
                return _oauth_error(GrantError("invalid_request", "Malformed JSON body."))
        else:
            data = {k: str(v) for k, v in (await request.form()).items()}
        client_id, secret = data.get("client_id"), data.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error(GrantError("invalid_client", "Malformed Basic credentials.", 401))
        grant = data.get("grant_type")
        try:
            if grant == "client_credentials":
                token, ttl = self.tokens.machine_token(
                    client_id or "", secret or "", limit_per_15_min=CLIENT_CREDENTIALS_LIMIT
                )
                return _no_store({"access_token": token, "token_type": "Bearer", "expires_in": ttl})
            self.tokens.authenticate_client(client_id, secret)
            if grant == "authorization_code":
                return _no_store(
                    self.tokens.exchange_code(
                        client_id or "",
                        data.get("code", ""),
                        data.get("redirect_uri", ""),
                        data.get("code_verifier"),
                    )
                )
            if grant == "refresh_token":
                return _no_store(self.tokens.refresh(client_id or "", data.get("refresh_token", "")))
            raise GrantError("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
        except GrantError as exc:
            return _oauth_error(exc)

    async def revoke(self, request: Request) -> Response:
        """RFC 7009 (Auth0, behind Port, offers it): 200 whether or not the token was known."""
        form = await request.form()
        self.tokens.revoke(str(form.get("token", "")))
        return Response(status_code=200)

    async def access_token(self, request: Request) -> Response:
        """Port's REST token endpoint (token mode): JSON in, `{ok, accessToken, expiresIn, tokenType}` out."""
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if (
            not isinstance(body, dict)
            or set(body) != {"clientId", "clientSecret"}
            or not all(isinstance(v, str) for v in body.values())
        ):
            return JSONResponse(
                {
                    "ok": False,
                    "error": "invalid_request",
                    "message": 'Body must be {"clientId": "...", "clientSecret": "..."} and nothing else.',
                },
                status_code=422,
            )
        try:
            token, ttl = self.tokens.machine_token(body["clientId"], body["clientSecret"])
        except GrantError as exc:
            return JSONResponse({"ok": False, "error": exc.error, "message": exc.description}, exc.status)
        return JSONResponse({"ok": True, "accessToken": token, "expiresIn": ttl, "tokenType": "Bearer"})

    def routes(self) -> list[Route]:
        prm, asm = self.protected_resource, self.authorization_server
        return [
            Route("/.well-known/oauth-protected-resource/v1", prm),
            Route("/.well-known/oauth-protected-resource", prm),
            Route("/.well-known/oauth-authorization-server/v1", asm),
            Route("/.well-known/oauth-authorization-server", asm),
            Route("/v1/.well-known/oauth-authorization-server", asm),
            Route("/.well-known/openid-configuration/v1", asm),
            Route("/v1/.well-known/openid-configuration", asm),
            Route("/v1/register", self.register, methods=["POST"]),
            Route("/v1/authorize", self.authorize, methods=["GET"]),
            Route("/v1/authorize", self.decide, methods=["POST"]),
            Route("/v1/token", self.token, methods=["POST"]),
            Route("/v1/revoke", self.revoke, methods=["POST"]),
            Route("/v1/auth/access_token", self.access_token, methods=["POST"]),
        ]


def _with_query(url: str, query: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"


def _no_store(body: dict[str, Any]) -> Response:
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _oauth_error(exc: GrantError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="sandbox"'} if exc.status == 401 else None
    return Response(json.dumps(exc.body()), exc.status, headers=headers, media_type="application/json")
