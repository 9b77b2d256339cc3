"""Two token providers of one sign-in with nothing in common but the keychain (two bridges, a bridge and a CLI):
refreshes are serialised by the sign-in's inter-process lock, a token the other just rotated is used rather than
refreshed again, and a sign-in Port ended reads as "sign-in needed" everywhere, not "signed in"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bridge.auth import account
from bridge.auth.oauth_tokens import OAuthTokenProvider
from bridge.auth.tokens import AuthState
from bridge.errors import SignInRequired
from bridge.sandbox import Sandbox
from bridge.settings import Profile, SettingsStore
from tests.auth.test_refresh import HOUR, saved
from tests.support.browser import Browser


@pytest.fixture
async def signed_in(sandbox: Sandbox, store: SettingsStore) -> Profile:
    return (await account.browser_login(store, "acme", open_browser=Browser())).profile


def grants(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The refresh grants that reached the sandbox's token endpoint."""
    reached: list[str] = []
    real = sandbox.tokens.refresh

    def spy(client_id: str, refresh_token: str) -> dict[str, Any]:
        reached.append(refresh_token)
        return real(client_id, refresh_token)

    monkeypatch.setattr(sandbox.tokens, "refresh", spy)
    return reached


async def test_two_providers_due_at_once_send_one_refresh_and_both_get_the_valid_token(
    sandbox: Sandbox, signed_in: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (OAuthTokenProvider(signed_in, clock=sandbox.state.now) for _ in range(2))
    try:
        await asyncio.gather(first.token(), second.token())  # each reads the keychain into its own memory
        reached = grants(sandbox, monkeypatch)
        sandbox.state.advance_clock(0.9 * HOUR)
        one, two = await asyncio.gather(first.token(), second.token())
        assert one == two and len(reached) == 1  # before: two grants with one refresh token, and Port ended both
        sandbox.tokens.verify(one)
        assert first.refreshes + second.refreshes == 1
        assert first.state == second.state == AuthState.SIGNED_IN
        assert saved(signed_in).access_token == one
        sandbox.state.advance_clock(0.9 * HOUR)  # and the sign-in goes on: the rotated refresh token still works
        assert await second.token() != one and len(reached) == 2
    finally:
        first.close()
        second.close()


async def test_tokens_another_process_rotated_are_used_not_refreshed_again(
    sandbox: Sandbox, signed_in: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This provider's memory still holds the spent refresh token; the keychain, read under the lock, has the new."""
    mine, theirs = (OAuthTokenProvider(signed_in, clock=sandbox.state.now) for _ in range(2))
    try:
        await asyncio.gather(mine.token(), theirs.token())
        sandbox.state.advance_clock(0.9 * HOUR)
        their_token = await theirs.token()
        reached = grants(sandbox, monkeypatch)
        assert await mine.token() == their_token and reached == [] and mine.refreshes == 0
        rejected = their_token
        sandbox.tokens.expire_all()  # a 401 for the token both hold: one of them renews it, the other takes it
        renewed = await theirs.refresh_after_401(rejected)
        assert renewed and await mine.refresh_after_401(rejected) == renewed and len(reached) == 1
    finally:
        mine.close()
        theirs.close()


async def test_a_sign_in_port_ended_says_sign_in_needed_everywhere(
    sandbox: Sandbox, signed_in: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`profiles list`, the Profiles page and doctor read the keychain: after `invalid_grant` it says so, and a
    provider in another process stops at once instead of sending a refresh Port will refuse."""
    bridge = OAuthTokenProvider(signed_in, clock=sandbox.state.now)
    try:
        await bridge.token()
        assert account.sign_in_status(signed_in).state == "signed in"
        sandbox.tokens.revoke(saved(signed_in).refresh_token or "")  # the family ended at Port
        sandbox.state.advance_clock(0.9 * HOUR)
        with pytest.raises(SignInRequired):
            await bridge.token()
        assert account.sign_in_status(signed_in).state == "sign-in needed"  # before: "signed in"
        reached = grants(sandbox, monkeypatch)
        other = OAuthTokenProvider(signed_in, clock=sandbox.state.now)
        with pytest.raises(SignInRequired, match="sign in again"):
            await other.token()
        assert other.state == AuthState.NEEDS_SIGN_IN and reached == []
        other.close()
    finally:
        bridge.close()
