"""Browser sign-in against the sandbox: discovery, registration, consent, tokens into the keychain, and every way it
can end badly."""

from __future__ import annotations

import asyncio
import html
import json
import socket

import httpx2
import pytest

from bridge.auth import account, callback
from bridge.auth.browser import SignInStep
from bridge.auth.callback import PORT_RANGE
from bridge.auth.callback import stable_port as real_stable_port
from bridge.auth.keychain import get_secret
from bridge.auth.records import CLIENT_REF, TOKENS_REF, TokenRecord, client_entry
from bridge.errors import RegistrationRefused, SignInCancelled, SignInFailed
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.settings import SettingsStore
from tests.support.browser import GLOBEX_DANA, Browser
from tests.support.memory_keyring import MemoryKeyring


async def test_sign_in_keeps_tokens_in_the_keychain_and_names_the_organization(
    sandbox: Sandbox, store: SettingsStore, browser: Browser, memory_keyring: MemoryKeyring
) -> None:
    steps: list[SignInStep] = []
    done = await account.browser_login(store, "acme", open_browser=browser, progress=steps.append)

    assert done.identity.organization_name == "Acme Corp (demo)" and done.identity.email == "dana@acme.example"
    profile = store.load().get_profile("acme")
    assert profile.organization == "Acme Corp (demo)" and profile.organization_id == "org_AcmeDemo00000EU1"
    assert profile.secret_refs[CLIENT_REF] == client_entry("acme")
    record = TokenRecord.from_json(get_secret(profile.secret_refs[TOKENS_REF]) or "")
    assert record.refresh_token and record.expires_at > record.issued_at + 3000  # absolute expiry, ~1 h ahead
    assert record.token_endpoint == f"{sandbox.mcp_url}/token" and record.resource == sandbox.mcp_url
    # Nothing secret in the settings file; the tokens are in the keychain only.
    settings_text = (store.path).read_text()
    assert record.access_token not in settings_text and (record.refresh_token or "-") not in settings_text
    # The browser went to Port's authorize page with PKCE S256 and came back to our page.
    url = httpx2.URL(browser.opened[0])
    assert url.params["code_challenge_method"] == "S256" and url.params["redirect_uri"].startswith("http://127.0.0.1:")
    assert "offline_access" in url.params["scope"].split()
    assert browser.landed[0].status_code == 200
    assert "signed in" in browser.last_page and "close this tab" in browser.last_page
    # The page names whom and which organization the sign-in was for: an unexpected organization shows at once.
    assert "as dana@acme.example in the organization Acme Corp (demo)" in html.unescape(browser.last_page)
    assert any("browser" in s.text for s in steps)
    # The access token works against the MCP server.
    answer = httpx2.post(sandbox.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                         headers={"authorization": f"Bearer {record.access_token}",
                                  "accept": "application/json, text/event-stream"})  # fmt: skip
    assert answer.status_code != 401


async def test_long_tokens_are_chunked_for_size_limited_keychains(
    sandbox: Sandbox, store: SettingsStore, browser: Browser, memory_keyring: MemoryKeyring
) -> None:
    await account.browser_login(store, "acme", open_browser=browser)
    assert all(len(value) <= 1000 for value in memory_keyring.entries.values())
    entry = store.load().get_profile("acme").secret_refs[TOKENS_REF]
    assert len(get_secret(entry) or "") > 1000  # the record itself is longer than one entry


async def test_the_organization_picked_in_the_browser_is_the_profiles(sandbox: Sandbox, store: SettingsStore) -> None:
    done = await account.browser_login(store, "acme", open_browser=Browser(choice=GLOBEX_DANA))
    assert done.profile.organization == "Globex (demo)" and done.profile.organization_id == "org_GlobexDemo000002"


async def test_two_profiles_on_one_organization_get_a_warning(sandbox: Sandbox, store: SettingsStore) -> None:
    store.add_profile("Acme again", sandbox.mcp_url)
    first = await account.browser_login(store, "acme", open_browser=Browser())
    assert first.warnings == ()
    second = await account.browser_login(store, "acme-again", open_browser=Browser())
    assert (
        len(second.warnings) == 1
        and "Acme" in second.warnings[0]
        and "one connection per organization" in (second.warnings[0])
    )


async def test_registration_is_reused_and_renewed_when_it_no_longer_fits(
    sandbox: Sandbox, store: SettingsStore
) -> None:
    await account.browser_login(store, "acme", open_browser=Browser())
    assert len(sandbox.tokens.clients) == 1
    await account.browser_login(store, "acme", open_browser=Browser())
    assert len(sandbox.tokens.clients) == 1  # same redirect port, same client

    # The usual redirect port is taken: another port, so the redirect URI changed, so a new registration.
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", callback.stable_port("acme")))
    blocker.listen(1)
    try:
        browser = Browser()
        await account.browser_login(store, "acme", open_browser=browser)
    finally:
        blocker.close()
    assert f":{callback.stable_port('acme')}/" not in httpx2.URL(browser.opened[0]).params["redirect_uri"]
    assert len(sandbox.tokens.clients) == 2

    # The server forgot the client (invalid_client): registered again before the browser opens.
    sandbox.tokens.clients.clear()
    browser = Browser()
    await account.browser_login(store, "acme", open_browser=browser)
    assert len(sandbox.tokens.clients) == 1 and browser.landed[0].status_code == 200


async def test_registration_refused_for_sso_explains_and_gives_the_support_request(
    sandbox: Sandbox, store: SettingsStore
) -> None:
    sandbox.faults.dcr_enabled = False
    browser = Browser()
    with pytest.raises(RegistrationRefused) as refused:
        await account.browser_login(store, "acme", open_browser=browser)
    text = refused.value.message
    assert "SSO" in text and "domain level" in text and "Port support" in text
    assert "Dynamic Client Registration (DCR)" in text and "API credentials" in text
    assert refused.value.support_request and refused.value.support_request in text
    assert browser.opened == []  # no browser tab for a sign-in that cannot work
    assert store.load().get_profile("acme").secret_refs == {}


async def test_an_sso_organization_sees_ports_error_page_and_the_waiting_step_explains_it_at_once(
    sandbox: Sandbox, store: SettingsStore
) -> None:
    """As Port does (port-docs overview-and-installation.md): registration succeeds, the login page is Auth0's error
    page and never redirects. The step that says the sign-in waits for the browser already carries what it means."""
    sandbox.faults.sso_login_error = True
    store.set_profile("acme", organization="Acme Corp")
    browser, steps = Browser(), list[SignInStep]()
    task = asyncio.create_task(account.browser_login(store, "acme", open_browser=browser, progress=steps.append))
    await asyncio.wait_for(browser.was_opened.wait(), 10)
    await asyncio.gather(*browser.tasks)  # the browser has shown its page
    assert "Oops!, something went wrong" in browser.last_page and browser.landed[0].status_code == 400
    assert len(sandbox.tokens.clients) == 1  # registered: the failure is at the login, not the registration
    waiting = steps[-1]
    assert waiting.text == "Waiting for the browser…" and waiting.sso is not None
    assert not task.done()  # still waiting, and the user already has the explanation and the request
    assert '"Oops!, something went wrong"' in waiting.sso.hint and "API credentials" in waiting.sso.hint
    assert "domain level" in waiting.sso.explanation and "Dynamic Client Registration" in waiting.sso.explanation
    request = waiting.sso.support_request
    assert "Organization: Acme Corp." in request and f"Region: {sandbox.mcp_url}." in request
    assert "SSO authentication error" in request and "domain level" in request
    assert "avatar menu → Credentials" in waiting.sso.way_out
    assert "Oops!" in str(waiting) and request in str(waiting)  # the command line prints all of it
    assert all(step.sso is None for step in steps[:-1])  # before the browser opens there is nothing to explain
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.load().get_profile("acme").secret_refs == {}


async def test_the_time_out_after_an_sso_error_page_says_what_it_meant(sandbox: Sandbox, store: SettingsStore) -> None:
    sandbox.faults.sso_login_error = True
    with pytest.raises(SignInCancelled) as stopped:
        await account.browser_login(store, "acme", open_browser=Browser(act=False), timeout=0.5)
    text = stopped.value.message
    assert text.startswith("No answer from the browser within 0.5 seconds")
    assert "Oops!, something went wrong" in text and "domain level" in text and "API credentials" in text
    request = stopped.value.support_request
    assert request in text and "Organization: <your organization's name in Port>." in request
    assert "port-mcp-bridge" not in text  # the app shows it too: no command in it


async def test_denied_in_the_browser(sandbox: Sandbox, store: SettingsStore) -> None:
    browser = Browser(decision="deny")
    with pytest.raises(SignInCancelled, match="not approved"):
        await account.browser_login(store, "acme", open_browser=browser)
    assert "did not complete" in browser.last_page
    assert store.load().get_profile("acme").secret_refs == {}


async def test_a_browser_that_never_comes_back_times_out_and_frees_the_port(
    sandbox: Sandbox, store: SettingsStore
) -> None:
    with pytest.raises(SignInCancelled, match="No answer from the browser"):
        await account.browser_login(store, "acme", open_browser=Browser(act=False), timeout=0.5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", callback.stable_port("acme")))  # released


async def test_cancelling_the_task_stops_the_sign_in(sandbox: Sandbox, store: SettingsStore) -> None:
    browser = Browser(act=False)
    task = asyncio.create_task(account.browser_login(store, "acme", open_browser=browser))
    await asyncio.wait_for(browser.was_opened.wait(), 10)  # the sign-in waits for the user now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", callback.stable_port("acme")))


async def test_the_tab_names_the_organization_picked_and_failures_after_the_redirect(
    sandbox: Sandbox, store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser(choice=GLOBEX_DANA)
    await account.browser_login(store, "acme", open_browser=browser)
    page = html.unescape(browser.last_page)
    assert "as dana@acme.example in the organization Globex (demo)" in page and "not the organization you meant" in page

    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

    async def refused(*args: object, **kwargs: object) -> None:
        raise OAuthError(error="invalid_grant", description="the code has expired")

    monkeypatch.setattr(AsyncOAuth2Client, "fetch_token", refused)  # the code exchange fails after the redirect
    browser = Browser()
    with pytest.raises(SignInFailed):
        await account.browser_login(store, "acme", open_browser=browser)
    assert browser.landed[-1].status_code == 200 and "Sign-in did not complete" in browser.last_page
    assert "Port did not issue tokens" in html.unescape(browser.last_page)


async def test_the_listener_answers_only_requests_addressed_to_it(sandbox: Sandbox, store: SettingsStore) -> None:
    """A request for another host name (a DNS-rebinding page, say) is refused without touching the sign-in."""
    browser = Browser(act=False)
    task = asyncio.create_task(account.browser_login(store, "acme", open_browser=browser))
    await asyncio.wait_for(browser.was_opened.wait(), 10)
    redirect = httpx2.URL(httpx2.URL(browser.opened[0]).params["redirect_uri"])
    state = httpx2.URL(browser.opened[0]).params["state"]
    async with httpx2.AsyncClient() as other:
        for host in ("evil.example", f"evil.example:{redirect.port}", f"127.0.0.1:{redirect.port + 1}", ""):
            refused = await other.get(str(redirect), params={"code": "x", "state": state}, headers={"host": host})
            assert refused.status_code == 421 and "Wrong address" in refused.text, host
    assert not task.done()
    await browser._approve(browser.opened[0])  # the real tab, at 127.0.0.1:<port>, still completes the sign-in
    done = await task
    assert done.identity.organization_id == "org_AcmeDemo00000EU1"


async def test_a_stale_tab_is_answered_and_ignored(sandbox: Sandbox, store: SettingsStore) -> None:
    browser = Browser(act=False)
    task = asyncio.create_task(account.browser_login(store, "acme", open_browser=browser))
    await asyncio.wait_for(browser.was_opened.wait(), 10)  # the sign-in waits for the user now
    redirect = httpx2.URL(browser.opened[0]).params["redirect_uri"]
    async with httpx2.AsyncClient() as other:
        stale = await other.get(redirect, params={"code": "old", "state": "from-an-earlier-attempt"})
    assert stale.status_code == 400 and "no longer valid" in stale.text
    await browser._approve(browser.opened[0])  # the real tab still completes the sign-in
    done = await task
    assert done.identity.organization_id == "org_AcmeDemo00000EU1"


async def test_strict_issuer_servers_work_too(store: SettingsStore) -> None:
    with Sandbox(config=SandboxConfig(issuer_mode="strict")) as strict:
        store.set_profile("acme", region=strict.mcp_url)
        done = await account.browser_login(store, "acme", open_browser=Browser())
    assert done.identity.organization_name == "Acme Corp (demo)"


async def test_unreachable_server_says_what_to_check(store: SettingsStore) -> None:
    store.set_profile("acme", region="http://127.0.0.1:9/v1")
    with pytest.raises(SignInFailed, match=r"Could not reach 127\.0\.0\.1.*doctor"):
        await account.browser_login(store, "acme", open_browser=Browser())


async def test_logout_revokes_and_deletes_everything(
    sandbox: Sandbox, store: SettingsStore, memory_keyring: MemoryKeyring
) -> None:
    await account.browser_login(store, "acme", open_browser=Browser())
    record = TokenRecord.from_json(get_secret(store.load().get_profile("acme").secret_refs[TOKENS_REF]) or "")
    notes = await account.logout(store, "acme")
    assert notes == []
    assert memory_keyring.entries == {}
    assert store.load().get_profile("acme").secret_refs == {}
    # Revoked at Port: the refresh token no longer works.
    grant = {"grant_type": "refresh_token", "client_id": record.client_id, "refresh_token": record.refresh_token}
    refused = httpx2.post(f"{sandbox.mcp_url}/token", data=grant)
    assert refused.status_code == 400 and json.loads(refused.text)["error"] == "invalid_grant"
    assert await account.logout(store, "acme") == ["Acme was not signed in."]


async def test_a_token_that_does_not_name_its_organization_is_asked_about(
    sandbox: Sandbox, store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bridge.auth.records.identity_from_token", lambda token: None)  # an opaque token
    done = await account.browser_login(store, "acme", open_browser=Browser(choice=GLOBEX_DANA))
    assert done.identity.organization_name == "Globex (demo)" and done.identity.email == "dana@acme.example"
    assert done.profile.organization_id == "org_GlobexDemo000002"


def test_the_usual_redirect_port_is_stable_per_profile_and_in_its_range() -> None:
    ports = {name: real_stable_port(name) for name in ("acme", "globex", "acme-dev", "prod-eu")}
    assert ports == {name: real_stable_port(name) for name in ports}  # the same on every run
    assert len(set(ports.values())) == len(ports)  # different between profiles
    assert all(PORT_RANGE[0] <= port <= PORT_RANGE[1] for port in ports.values())
