"""Token mode never posts credentials to a host it guessed (issue 16, section 4): a custom MCP URL without an API URL
is refused before anything leaves the machine. Proven over a real socket: every HTTP(S) request goes through a
proxy that is a listening socket of this test (`HTTPS_PROXY`), which must receive nothing; with the API URL given,
the same socket receives exactly one request, for the host the user typed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bridge.api import BridgeApi
from bridge.auth.account import CREDENTIALS_REF
from bridge.auth.keychain import get_secret, set_secret
from bridge.errors import SignInFailed, SignInRequired
from bridge.proxy.service import default_tokens
from bridge.settings import AuthMode, Settings, SettingsStore

LAB = "https://mcp.lab.test/v1"  # not loopback: without an API URL, no default applies


@dataclass
class Trap:
    """A proxy that records the request line of each connection and hangs up."""

    server: socket.socket
    heads: list[str] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return  # closed at the end of the test
            with conn:
                self.heads.append(conn.recv(4096).decode("latin-1").split("\r\n", 1)[0])
            self.arrived.set()


@pytest.fixture
def trap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Trap]:
    server = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    caught = Trap(server)
    thread = threading.Thread(target=caught.serve, daemon=True)
    thread.start()
    try:
        yield caught
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (closing alone does not, on Linux)
        server.close()
        thread.join(5)


def _old_file_profile(store: SettingsStore) -> str:
    """A token-mode profile on a custom URL as a settings file from before `api_base_url` holds it (saving it now
    would be refused), with its API credentials in the keychain: everything the old rule needed to post them."""
    store.add_profile("Lab", LAB)
    ref = "profile/lab/client-credentials"
    set_secret(ref, json.dumps({"clientId": "lab-client", "clientSecret": "lab-secret-not-to-leave"}))

    def old(settings: Settings) -> None:
        profile = settings.get_profile("lab")
        profile.auth_mode = AuthMode.TOKEN
        profile.secret_refs = {CREDENTIALS_REF: ref}

    store.update(old)
    return "lab"


def test_sign_in_without_an_api_url_is_refused_before_anything_is_sent(trap: Trap) -> None:
    store = SettingsStore()
    store.add_profile("Lab", LAB)
    api = BridgeApi(store, port=0)
    try:
        with pytest.raises(SignInFailed, match="will not guess where to send the credentials"):
            api.sign_in_with_token("lab", "lab-client", "lab-secret-not-to-leave").result(30)
    finally:
        api.stop()
    assert trap.heads == [] and not trap.arrived.is_set()
    assert get_secret("profile/lab/client-credentials") is None  # nothing kept either


def test_the_bridge_never_sends_saved_credentials_to_a_guessed_host(trap: Trap) -> None:
    store = SettingsStore()
    profile_id = _old_file_profile(store)
    profile = store.load().get_profile(profile_id)
    provider = default_tokens(profile)

    async def token() -> str:
        return await provider.token()

    with pytest.raises(SignInRequired, match="Give the profile its API URL"):
        asyncio.run(token())
    assert trap.heads == [] and not trap.arrived.is_set()


def test_with_the_api_url_given_the_credentials_go_there_only(trap: Trap) -> None:
    store = SettingsStore()
    store.add_profile("Lab", LAB, api_url="https://api.lab.test")
    api = BridgeApi(store, port=0)
    try:
        with pytest.raises(SignInFailed, match=r"Could not reach Port at api\.lab\.test"):
            api.sign_in_with_token("lab", "lab-client", "lab-secret-not-to-leave").result(30)
    finally:
        api.stop()
    assert trap.arrived.wait(5)
    assert trap.heads == ["CONNECT api.lab.test:443 HTTP/1.1"]  # the host typed, never mcp.lab.test
