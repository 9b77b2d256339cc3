"""Browser sign-in for one profile: discovery, registration, authorization code + PKCE, tokens into the keychain.

Built on authlib's `AsyncOAuth2Client` (PKCE S256, the authorization URL, the token request, error parsing) on httpx2.
What authlib does not do and is done here: RFC 9728/8414 discovery (`discovery`), RFC 7591 registration (a JSON POST),
the loopback listener (`callback`), and keeping the results.
"""

from __future__ import annotations

import asyncio
import json
import logging
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from bridge.auth import store
from bridge.auth.callback import RedirectListener
from bridge.auth.records import ClientRegistration, Identity, TokenRecord, now
from bridge.auth.sso import SsoHelp, registration_refused, sso_help
from bridge.errors import SignInCancelled, SignInFailed
from bridge.settings import Profile

if TYPE_CHECKING:
    from bridge.auth.discovery import AuthServer

log = logging.getLogger(__name__)

TIMEOUT = 300.0  # the user has five minutes in the browser
CLIENT_NAME = "Port MCP Bridge"

WAITING = "Waiting for the browser…"


@dataclass(frozen=True)
class SignInStep:
    """One step of a browser sign-in, as the user sees it. `sso` is set from the moment the browser is open and the
    sign-in waits for it: what it means if the browser shows Port's error page instead (an SSO organization), to be
    shown at once, not after the time-out. `link`: the sign-in address, from the moment a browser is asked to open it,
    for the user to open by hand: in full when no browser could be opened (`opened` False: the app shows it wrapped,
    with Copy link), and as a Copy link button when one was (a browser that said yes may still show nothing: no
    default browser, a sandboxed launcher). `str()` is the whole of it as plain text (the command line)."""

    text: str
    sso: SsoHelp | None = None
    link: str = ""
    opened: bool = False

    def __str__(self) -> str:
        text = f"{self.text}\n{self.link}" if self.link else self.text
        return text if self.sso is None else f"{text}\n\n{self.sso.text}"


Progress = Callable[[SignInStep], None]
OpenBrowser = Callable[[str], Awaitable[bool] | bool]


def system_browser(url: str) -> bool:
    return webbrowser.open(url, new=1, autoraise=True)


async def sign_in(
    profile: Profile,
    *,
    open_browser: OpenBrowser = system_browser,
    progress: Progress = lambda message: None,
    timeout: float = TIMEOUT,
    http: httpx2.AsyncClient | None = None,
) -> TokenRecord:
    """Run the whole browser sign-in and return the new tokens (not yet saved: `account.finish_sign_in` does that).

    Cancel by cancelling the task. Raises `SignInFailed` (or a subclass) with a message that says what to do.
    """
    from bridge.auth.discovery import discover  # the mcp SDK's auth helpers: ~24 MiB, only while signing in

    owned = http is None
    http = http or httpx2.AsyncClient(timeout=30, follow_redirects=False)
    try:
        progress(SignInStep(f"Asking {httpx2.URL(profile.mcp_url).host} how to sign in …"))
        server = await discover(http, profile.mcp_url)
        state = generate_token(32)
        async with RedirectListener(profile.id, state, profile_name=profile.name) as listener:
            registration = await _registration(http, profile, server, listener.redirect_uri, progress)
            return await _authorize(http, profile, server, registration, listener, state, open_browser, progress,
                                    timeout)  # fmt: skip
    finally:
        if owned:
            await http.aclose()


async def _registration(
    http: httpx2.AsyncClient, profile: Profile, server: AuthServer, redirect_uri: str, progress: Progress
) -> ClientRegistration:
    """The saved registration when it still fits and the server still knows it; else register again."""
    saved = await asyncio.to_thread(store.load_registration, profile.id)
    if saved is not None and saved.redirect_uri == redirect_uri and saved.issuer == server.issuer:
        if await _client_known(http, server, saved):
            return saved
        log.info("authorization server no longer knows client of profile %s; registering again", profile.id)
    progress(SignInStep("Registering Port MCP Bridge with Port …"))
    registration = await register(http, profile, server, redirect_uri)
    await asyncio.to_thread(store.save_registration, profile.id, registration)
    return registration


async def register(
    http: httpx2.AsyncClient, profile: Profile, server: AuthServer, redirect_uri: str
) -> ClientRegistration:
    """RFC 7591 dynamic registration as a native app (public client, PKCE) with a loopback redirect."""
    if not server.registration_endpoint:
        raise SignInFailed(
            "Port did not offer app registration for this server, so browser sign-in cannot start. Sign in with "
            "API credentials instead, or contact Port support.",
            cli="Use token mode (`port-mcp-bridge login --token`).",
        )
    metadata = {
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    }
    if server.scope:
        metadata["scope"] = server.scope
    try:
        response = await http.post(server.registration_endpoint, json=metadata)
    except httpx2.HTTPError as exc:
        raise SignInFailed(f"Could not reach Port to register the app ({type(exc).__name__}). Try again.") from None
    if response.status_code in (200, 201):
        try:
            body = response.json()
            return ClientRegistration(
                client_id=str(body["client_id"]),
                redirect_uri=redirect_uri,
                issuer=server.issuer,
                client_secret=body.get("client_secret"),
                token_endpoint_auth_method=body.get("token_endpoint_auth_method") or "none",
            )
        except (ValueError, KeyError, TypeError):
            raise SignInFailed("Port answered the app registration with something unexpected. Try again.") from None
    detail = _error_detail(response)
    if response.status_code in (401, 403) or "sso" in detail.lower() or "not enabled" in detail.lower():
        raise registration_refused(response.status_code, detail, profile)
    raise SignInFailed(f"Port refused to register the app (HTTP {response.status_code}: {detail}). Try again later.")


async def _client_known(http: httpx2.AsyncClient, server: AuthServer, registration: ClientRegistration) -> bool:
    """Ask the token endpoint with a code that cannot be valid: `invalid_client` means the registration is gone.

    Without this, a forgotten client shows the user an error page in the browser and the sign-in never returns.
    """
    data = {"grant_type": "authorization_code", "code": "port-mcp-bridge-probe", "client_id": registration.client_id,
            "redirect_uri": registration.redirect_uri, "code_verifier": "x" * 43}  # fmt: skip
    if registration.client_secret:
        data["client_secret"] = registration.client_secret
    try:
        response = await http.post(server.token_endpoint, data=data)
    except httpx2.HTTPError:
        return True  # can't tell: keep the registration, the sign-in itself will say what is wrong
    return _error_code(response) != "invalid_client"


async def _authorize(
    http: httpx2.AsyncClient,
    profile: Profile,
    server: AuthServer,
    registration: ClientRegistration,
    listener: RedirectListener,
    state: str,
    open_browser: OpenBrowser,
    progress: Progress,
    timeout: float,
) -> TokenRecord:
    extra = {"resource": server.resource} if server.resource else {}
    async with _oauth_client(registration, server) as client:
        verifier = generate_token(64)
        url, _ = client.create_authorization_url(
            server.authorization_endpoint, state=state, code_verifier=verifier, **extra
        )
        progress(
            SignInStep("Opening your browser: approve access there, in the organization you want for this profile.")
        )
        opened = open_browser(url)
        if asyncio.iscoroutine(opened):
            opened = await opened
        if not opened:
            progress(SignInStep("Could not open a browser. Open this address in a browser yourself:", link=url))
        # Port's SSO error page never redirects here: say now what it means, not when the time is up.
        sso = sso_help(profile)
        progress(SignInStep(WAITING, sso, link=url, opened=bool(opened)))
        try:
            redirect = await asyncio.wait_for(listener.wait(), timeout)
        except TimeoutError:
            raise SignInCancelled(
                f"No answer from the browser within {_duration(timeout)}, so the sign-in was stopped. Start it again "
                f"when you are ready.\n\n{sso.text}",
                support_request=sso.support_request,
            ) from None
        if redirect.error:
            if redirect.error == "access_denied":
                raise SignInCancelled("Access was not approved in the browser. Start the sign-in again to retry.")
            raise SignInFailed(
                f"Port did not complete the sign-in ({redirect.error}: {redirect.error_description or 'no detail'})."
            )
        if not redirect.code:
            raise SignInFailed("The browser came back without an authorization code. Start the sign-in again.")
        progress(SignInStep("Approved. Fetching tokens …"))
        issued = now()
        try:
            token = await client.fetch_token(
                server.token_endpoint,
                grant_type="authorization_code",
                code=redirect.code,
                code_verifier=verifier,
                redirect_uri=registration.redirect_uri,
                **extra,
            )
        except OAuthError as exc:
            raise SignInFailed(
                f"Port did not issue tokens ({exc.error}: {exc.description or 'no detail'}). Start the sign-in again."
            ) from None
        except httpx2.HTTPError as exc:
            raise SignInFailed(f"Lost the connection to Port while fetching tokens ({type(exc).__name__}).") from None
    record = TokenRecord.from_response(
        dict(token),
        now=issued,
        token_endpoint=server.token_endpoint,
        client_id=registration.client_id,
        client_secret=registration.client_secret,
        token_endpoint_auth_method=registration.token_endpoint_auth_method,
        resource=server.resource,
        revocation_endpoint=server.revocation_endpoint,
    )
    if not record.identity.organization_id:
        record.identity = await ask_identity(profile.mcp_url, record.access_token)
    listener.signed_in(record.identity)  # the browser tab names the organization and the user
    return record


async def ask_identity(mcp_url: str, access_token: str) -> Identity:
    """For a token that does not say whom it belongs to: Port's `describe_user_details` tool does. Best effort: the
    sign-in stands without it, the profile just keeps its label."""
    from mcp.types import TextContent

    from bridge.mcp_client import mcp_session  # the MCP SDK: only when needed

    try:
        async with mcp_session(mcp_url, {"Authorization": f"Bearer {access_token}"}, timeout=20) as session:
            result = await session.call_tool("describe_user_details", {})
        text = next((c.text for c in result.content if isinstance(c, TextContent) and c.text), "{}")
        details = json.loads(text)
        org = details.get("organization") or {}
        return Identity(str(org.get("id", "")), str(org.get("name", "")), str(details.get("email", "")))
    except Exception as exc:  # any failure only means no label
        log.info("could not ask Port who signed in: %s", type(exc).__name__)
        return Identity()


def _oauth_client(registration: ClientRegistration, server: AuthServer | None) -> AsyncOAuth2Client:
    """authlib's client for one registration. It is an httpx2 client itself; proxies and CAs come from the env."""
    return AsyncOAuth2Client(
        client_id=registration.client_id,
        client_secret=registration.client_secret,
        token_endpoint_auth_method=registration.token_endpoint_auth_method,
        redirect_uri=registration.redirect_uri,
        scope=server.scope if server else None,
        code_challenge_method="S256",
        timeout=30,
    )


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def _error_code(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _error_detail(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    return str(body.get("error_description") or body.get("message") or body.get("error") or response.reason_phrase)
