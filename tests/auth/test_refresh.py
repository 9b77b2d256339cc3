"""Refresh: proactive at ~80 % of the lifetime by the wall clock, single flight, saved before use, `invalid_grant`
ends in "sign-in needed" without loops; token mode re-exchanges after a clock jump."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx2
import pytest

from bridge.auth import account, oauth_tokens
from bridge.auth.keychain import get_secret
from bridge.auth.oauth_tokens import OAuthTokenProvider
from bridge.auth.records import TOKENS_REF, TokenRecord
from bridge.auth.tokens import AuthState, ClientCredentialsProvider
from bridge.errors import SignInRequired
from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.settings import Profile, SettingsStore
from tests.support.browser import Browser
from tests.support.net import wait_until_async

HOUR = 3600.0


@pytest.fixture
async def signed_in(sandbox: Sandbox, store: SettingsStore) -> Profile:
    return (await account.browser_login(store, "acme", open_browser=Browser())).profile


@pytest.fixture
async def tokens(sandbox: Sandbox, signed_in: Profile) -> AsyncIterator[OAuthTokenProvider]:
    """The signed-in profile's token provider on the sandbox's clock (which the tests move); closed afterwards."""
    provider = OAuthTokenProvider(signed_in, clock=sandbox.state.now)
    yield provider
    provider.close()


def saved(profile: Profile) -> TokenRecord:
    return TokenRecord.from_json(get_secret(profile.secret_refs[TOKENS_REF]) or "")


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts refresh grants sent to the token endpoint."""
    calls: list[str] = []
    real = oauth_tokens.refresh_tokens

    async def spy(record: TokenRecord, **kwargs: object) -> TokenRecord:
        calls.append(record.refresh_token or "")
        return await real(record, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(oauth_tokens, "refresh_tokens", spy)
    return calls


async def test_refreshes_at_80_percent_and_saves_the_rotated_token_first(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    first = await tokens.token()
    before = saved(signed_in)
    sandbox.state.advance_clock(0.7 * HOUR)
    assert await tokens.token() == first and calls == []  # not due yet
    sandbox.state.advance_clock(0.11 * HOUR)
    second = await tokens.token()
    assert second != first and len(calls) == 1
    after = saved(signed_in)
    assert after.access_token == second and after.refresh_token != before.refresh_token  # rotated, and kept
    assert after.identity.organization_id == "org_AcmeDemo00000EU1"
    sandbox.tokens.verify(second)  # valid at Port


async def test_many_callers_share_one_refresh(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    await tokens.token()
    sandbox.state.advance_clock(0.9 * HOUR)
    got = await asyncio.gather(*(tokens.token() for _ in range(25)))
    assert len(set(got)) == 1 and len(calls) == 1
    # Reuse detection would have revoked the family had two refreshes raced; the token still works.
    sandbox.tokens.verify(got[0])

    sandbox.tokens.expire_all()  # every access token now gets 401
    replaced = await asyncio.gather(*(tokens.refresh_after_401(got[0]) for _ in range(10)))
    assert len(set(replaced)) == 1 and replaced[0] != got[0] and len(calls) == 2


async def test_after_a_clock_jump_past_expiry_the_first_request_gets_a_fresh_token(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider
) -> None:
    old = await tokens.token()
    sandbox.state.advance_clock(5 * HOUR)  # the laptop slept through the expiry
    new = await tokens.token()
    assert new != old
    sandbox.tokens.verify(new)


async def test_the_timer_refreshes_without_requests(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OAuthTokenProvider, "TICK", 0.05)
    await tokens.token()
    sandbox.state.advance_clock(0.85 * HOUR)
    await wait_until_async(lambda: tokens.refreshes, "the timer refreshed")
    assert tokens.refreshes == 1 and tokens.state == AuthState.SIGNED_IN


async def test_invalid_grant_means_sign_in_needed_and_no_retry_loop(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    token = await tokens.token()
    sandbox.tokens.revoke(token)  # signed out elsewhere / idle too long
    assert await tokens.refresh_after_401(token) is None
    assert tokens.state == AuthState.NEEDS_SIGN_IN
    for _ in range(5):
        with pytest.raises(SignInRequired, match="sign in again"):
            await tokens.token()
        assert await tokens.refresh_after_401(token) is None
    assert len(calls) == 1  # one refused refresh, then nothing more until the user signs in


async def test_unreachable_token_endpoint_keeps_a_valid_token_and_reports_an_error(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def offline(record: TokenRecord, **kwargs: object) -> TokenRecord:
        raise httpx2.ConnectError("offline")

    token = await tokens.token()
    monkeypatch.setattr(oauth_tokens, "refresh_tokens", offline)
    sandbox.state.advance_clock(0.9 * HOUR)
    assert await tokens.token() == token and tokens.state == AuthState.ERROR  # still valid: used
    sandbox.state.advance_clock(0.2 * HOUR)
    with pytest.raises(httpx2.HTTPError):
        await tokens.token()  # expired and no way to refresh: the proxy answers "cannot reach Port"


async def test_a_closed_provider_never_writes_the_old_sign_in_back(
    sandbox: Sandbox, signed_in: Profile, tokens: OAuthTokenProvider
) -> None:
    await tokens.token()
    before = get_secret(signed_in.secret_refs[TOKENS_REF])
    tokens.close()
    sandbox.state.advance_clock(0.9 * HOUR)
    with pytest.raises(SignInRequired):
        await tokens.token()
    assert get_secret(signed_in.secret_refs[TOKENS_REF]) == before


async def test_not_signed_in_says_so(store: SettingsStore) -> None:
    tokens = OAuthTokenProvider(store.load().get_profile("acme"))
    assert tokens.state == AuthState.NEEDS_SIGN_IN
    with pytest.raises(SignInRequired, match="Acme is not signed in"):
        await tokens.token()


async def test_token_mode_exchanges_again_after_a_clock_jump(sandbox: Sandbox) -> None:
    secret = DEMO_CREDENTIALS["acme-builder-demo"][0]
    loads: list[int] = []

    def load() -> tuple[str, str]:
        loads.append(1)
        return "acme-builder-demo", secret

    tokens = ClientCredentialsProvider(f"{sandbox.url}/v1", profile_name="Acme", load=load, clock=sandbox.state.now)
    first = await tokens.token()
    assert await tokens.token() == first and len(loads) == 1  # the keychain is read once
    sandbox.state.advance_clock(3 * HOUR + 1)
    second = await tokens.token()
    assert second != first
    sandbox.tokens.verify(second)


def test_doctor_uses_the_saved_sign_in_but_never_refreshes_it(
    sandbox: Sandbox, store: SettingsStore, signed_in: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge.doctor import run_checks

    calls = counting(monkeypatch)
    checks = {c.name: c for c in run_checks(store.load(), signed_in)}
    assert checks["Sign-in"].ok and checks["MCP"].ok
    record = saved(signed_in)
    monkeypatch.setattr("bridge.auth.oauth_tokens.now", lambda: record.expires_at + 10)  # the laptop slept
    checks = {c.name: c for c in run_checks(store.load(), signed_in)}
    assert not checks["Sign-in"].ok and "running bridge renews it" in checks["Sign-in"].detail
    assert calls == [] and saved(signed_in) == record
