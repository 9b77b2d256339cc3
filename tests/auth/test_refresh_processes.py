"""Two token providers of one sign-in with nothing in common but the keychain (two bridges, a bridge and a CLI):
refreshes are serialised by the sign-in's inter-process lock, a token the other just rotated is used rather than
refreshed again, and a sign-in Port ended reads as "sign-in needed" everywhere, not "signed in"."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
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
from tests.support.memory_keyring import MemoryKeyring
from tests.support.processes import Children, child_env


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
        from bridge.doctor import check_token, read_only_tokens

        check, token = await check_token(signed_in, read_only_tokens(signed_in))  # what doctor says
        assert not check.ok and token is None and "sign in again" in check.detail and reached == []
    finally:
        bridge.close()


# A process holding the sign-in: it reads the keychain, says "ready", and on "go" moves its clock past 80 % of the
# token's hour, so both processes find it due at the same moment with the same refresh token in memory.
CHILD = """
import asyncio, json, sys, time
from bridge.auth.oauth_tokens import OAuthTokenProvider
from bridge.settings import SettingsStore

shift = [0.0]

async def main():
    provider = OAuthTokenProvider(SettingsStore().load().get_profile("acme"), clock=lambda: time.time() + shift[0])
    await provider.load()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    shift[0] = 3000.0
    token = await provider.token()
    print(json.dumps({"token": token, "refreshes": provider.refreshes, "state": provider.state.value}), flush=True)
    provider.close()

asyncio.run(main())
"""


async def test_two_processes_due_at_once_send_one_refresh_and_both_get_the_valid_token(
    sandbox: Sandbox,
    signed_in: Profile,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    children: Children,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keychain = {f"{service}/{user}": value for (service, user), value in memory_keyring.entries.items()}
    (tmp_path / "keychain.json").write_text(json.dumps(keychain))
    env = child_env(tmp_path, Path(os.environ["PORT_MCP_BRIDGE_HOME"]))  # the test's settings, a file keychain
    reached = grants(sandbox, monkeypatch)
    procs = [children.start([sys.executable, "-c", CHILD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    for proc in procs:
        assert proc.stdout is not None and await asyncio.to_thread(proc.stdout.readline) == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    said = [json.loads(await asyncio.to_thread(proc.stdout.readline)) for proc in procs if proc.stdout]
    assert [s["state"] for s in said] == ["signed_in", "signed_in"]
    assert said[0]["token"] == said[1]["token"] and len(reached) == 1  # before: two grants, and Port ended both
    assert sorted(s["refreshes"] for s in said) == [0, 1]
    sandbox.tokens.verify(said[0]["token"])
