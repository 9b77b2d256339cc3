"""Signing a profile in and out: what `port-mcp-bridge login/logout` and the tray's Sign in / Sign out call.

Each function finishes by updating the profile's `secret_refs` in the settings, which is how a running bridge learns
of it (its settings watcher rebuilds that profile's upstream and ends its sessions).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Literal

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client

from bridge.auth import store as keychain
from bridge.auth.browser import TIMEOUT, OpenBrowser, Progress, sign_in, system_browser
from bridge.auth.keychain import delete_secret, set_secret
from bridge.auth.records import (
    CLIENT_REF,
    CREDENTIALS_REF,
    TOKENS_REF,
    Identity,
    TokenRecord,
    client_entry,
    identity_from_token,
    now,
    tokens_entry,
)
from bridge.auth.tokens import ClientCredentialsProvider
from bridge.errors import SignInFailed, run_doctor
from bridge.settings import AuthMode, Profile, SettingsStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedIn:
    profile: Profile
    identity: Identity
    expires_at: float | None
    warnings: tuple[str, ...] = ()


async def browser_login(
    settings: SettingsStore,
    profile_id: str,
    *,
    open_browser: OpenBrowser = system_browser,
    progress: Progress = lambda message: None,
    timeout: float | None = None,
) -> SignedIn:
    """Sign a profile in through the browser and keep the result. Cancel by cancelling the task."""
    profile = settings.load().get_profile(profile_id)
    wait = TIMEOUT if timeout is None else timeout
    record = await sign_in(profile, open_browser=open_browser, progress=progress, timeout=wait)
    entry = await asyncio.to_thread(_keep_tokens, profile, record)
    identity = record.identity
    updated = settings.set_profile(
        profile.id,
        auth_mode="oauth",
        secret_refs={**_without(profile.secret_refs, CREDENTIALS_REF), TOKENS_REF: entry,
                     CLIENT_REF: client_entry(profile.id)},
        **_organization(identity),
    )  # fmt: skip
    return SignedIn(updated, identity, record.expires_at, _same_organization(settings, updated))


def _keep_tokens(profile: Profile, record: TokenRecord) -> str:
    """Save under a new entry first, then drop the old one: the old sign-in stays usable until the switch."""
    entry = tokens_entry(profile.id)
    keychain.save_tokens(entry, record)
    old = profile.secret_refs.get(TOKENS_REF)
    if old and old != entry:
        delete_secret(old)
    old_credentials = profile.secret_refs.get(CREDENTIALS_REF)
    if old_credentials:
        delete_secret(old_credentials)
    return entry


async def token_login(settings: SettingsStore, profile_id: str, client_id: str, client_secret: str) -> SignedIn:
    """Token mode: check the API credentials with Port, then keep them in the keychain."""
    profile = settings.load().get_profile(profile_id)
    client_id, client_secret = client_id.strip(), client_secret.strip()
    if not client_id or not client_secret:
        raise SignInFailed("Both the client id and the client secret are needed (Port: avatar menu → Credentials).")
    api_url = profile.api_url
    if api_url is None:  # a custom MCP URL without its API URL: refused before any credentials leave
        raise SignInFailed(profile.api_url_problem() or "")
    provider = ClientCredentialsProvider(api_url, client_id, client_secret, profile_name=profile.name)
    try:
        token = await provider.token()
    except httpx2.HTTPError as exc:
        raise SignInFailed(
            f"Could not reach Port at {httpx2.URL(api_url).host} ({type(exc).__name__}). Check the network "
            "and the profile's region, then try again; the doctor checks the connection step by step.",
            actions=(run_doctor(),),
            cli="`port-mcp-bridge doctor` helps.",
        ) from None
    ref = f"profile/{profile.id}/client-credentials"
    await asyncio.to_thread(set_secret, ref, json.dumps({"clientId": client_id, "clientSecret": client_secret}))
    identity = identity_from_token(token) or Identity()
    old_tokens = profile.secret_refs.get(TOKENS_REF)
    if old_tokens:
        await asyncio.to_thread(delete_secret, old_tokens)
    updated = settings.set_profile(
        profile.id,
        auth_mode="token",
        secret_refs={**_without(profile.secret_refs, TOKENS_REF), CREDENTIALS_REF: ref},
        **_organization(identity),
    )
    return SignedIn(updated, identity, provider.expires_at, _same_organization(settings, updated))


async def logout(settings: SettingsStore, profile_id: str) -> list[str]:
    """Forget a profile's sign-in: revoke where the server offers it, delete its keychain entries. Returns notes."""
    profile = settings.load().get_profile(profile_id)
    notes: list[str] = []
    record = await asyncio.to_thread(keychain.load_tokens, profile.secret_refs.get(TOKENS_REF))
    if record is not None and record.revocation_endpoint:
        notes.append(await _revoke(record))
    await asyncio.to_thread(keychain.delete_entries, {**profile.secret_refs, CLIENT_REF: client_entry(profile.id)})
    settings.set_profile(profile.id, secret_refs={})
    if not profile.secret_refs:
        notes.append(f"{profile.name} was not signed in.")
    return [n for n in notes if n]


async def _revoke(record: TokenRecord) -> str:
    async with AsyncOAuth2Client(
        client_id=record.client_id,
        client_secret=record.client_secret,
        token_endpoint_auth_method=record.token_endpoint_auth_method,
        revocation_endpoint_auth_method=record.token_endpoint_auth_method,
        timeout=15,
    ) as client:
        try:
            token = record.refresh_token or record.access_token
            hint = "refresh_token" if record.refresh_token else "access_token"
            response = await client.revoke_token(record.revocation_endpoint, token=token, token_type_hint=hint)
        except httpx2.HTTPError as exc:
            log.info("revocation failed: %s", type(exc).__name__)
            return "Could not reach Port to revoke the sign-in; it was deleted here and will expire on its own."
    if response.status_code >= 400:
        return f"Port did not confirm the revocation (HTTP {response.status_code}); the sign-in was deleted here."
    return ""


def forget(profile: Profile) -> None:
    """Delete every keychain entry of a removed profile (blocking)."""
    keychain.delete_entries({**profile.secret_refs, CLIENT_REF: client_entry(profile.id)})


# what the keychain holds; "sign-in needed": Port refused to renew it (revoked, idle too long, a refresh token reused)
SignInState = Literal["signed in", "not signed in", "expired", "sign-in needed", "API credentials"]


@dataclass(frozen=True)
class SignInStatus:
    state: SignInState
    expires_at: float | None
    identity: Identity


def sign_in_status(profile: Profile) -> SignInStatus:
    """What the keychain holds for a profile, without contacting Port (blocking: keychain reads)."""
    if profile.auth_mode == AuthMode.TOKEN:
        saved = keychain.client_credentials(profile.secret_refs.get(CREDENTIALS_REF))
        return SignInStatus("API credentials" if saved else "not signed in", None, Identity())
    record = keychain.load_tokens(profile.secret_refs.get(TOKENS_REF))
    if record is None:
        return SignInStatus("not signed in", None, Identity())
    if record.refused:  # marked by whichever process Port refused: the tokens' state, not a word cached here
        return SignInStatus("sign-in needed", record.expires_at, record.identity)
    if record.expired(now()) and not record.refresh_token:
        return SignInStatus("expired", record.expires_at, record.identity)
    return SignInStatus("signed in", record.expires_at, record.identity)


def _organization(identity: Identity) -> dict[str, str]:
    changes = {}
    if identity.organization_name:
        changes["organization"] = identity.organization_name
    if identity.organization_id:
        changes["organization_id"] = identity.organization_id
    return changes


def _same_organization(settings: SettingsStore, profile: Profile) -> tuple[str, ...]:
    if not profile.organization_id:
        return ()
    others = [
        p.name
        for p in settings.load().profiles
        if p.id != profile.id and p.organization_id == profile.organization_id and p.mcp_url == profile.mcp_url
    ]
    if not others:
        return ()
    return (
        f"{', '.join(others)} already point{'s' if len(others) == 1 else ''} at the organization "
        f"{profile.organization or profile.organization_id}. Port keeps one connection per organization, so one "
        "profile is usually enough; to reach another organization, sign in again and pick it in the browser.",
    )


def _without(refs: dict[str, str], purpose: str) -> dict[str, str]:
    return {k: v for k, v in refs.items() if k != purpose}
