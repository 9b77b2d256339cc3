"""`upstream_errors.UpstreamFailures`, the one boundary where the upstream hop's failures become `UpstreamUnavailable`:
each kind of failure, over real loopback sockets and through both routes (`http11.Pool` for a direct connection,
httpcore2's pool as behind a proxy), is the JSON-RPC error the IDE gets, marks the tray as before, and never carries
the token."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx2
import pytest

from bridge.auth.tokens import AuthState, StaticTokenProvider
from bridge.errors import BridgeError, SignInRequired, UpstreamUnavailable
from bridge.policy import Policy
from bridge.proxy import sender as sender_module
from bridge.proxy.jsonrpc import SIGN_IN_REQUIRED, UPSTREAM_UNAVAILABLE
from bridge.proxy.sender import Sender
from bridge.proxy.state import Upstream
from bridge.settings import SettingsStore
from tests.proxy.test_http11 import _certificates, read_request, serving

TOKEN = "tok-9f3a-must-never-appear-in-an-error"
TIMEOUTS = {"timeout": {"connect": 5.0, "read": 0.2, "write": 5.0, "pool": 5.0}}
BODY = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'


def upstream_at(url: str) -> Upstream:
    profile = SettingsStore().add_profile("Odd", url, auth_mode="token", make_active=True)
    return Upstream(profile, StaticTokenProvider(TOKEN), Policy.from_profile(profile))


async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await reader.read()  # no answer, until the test's server goes away


async def breaks_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
                 b'{"jsonrpc":"2.0","id"')  # fmt: skip
    await writer.drain()  # and `serving` closes the connection: 20 bytes of 200


def assert_safe(error: UpstreamUnavailable) -> None:
    said = f"{error} {error.data!r}"
    assert TOKEN not in said and "Bearer" not in said and "authorization" not in said.lower()


@pytest.mark.parametrize("route", ["direct", "httpcore2"])
@pytest.mark.parametrize("failure", ["refused", "tls", "read timeout", "breaks off"])
async def test_each_failure_is_the_error_the_ide_gets(
    route: str, failure: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if route == "httpcore2":
        monkeypatch.setattr(sender_module, "_plain_pool", lambda pool: False)
    sender = Sender(httpx2.AsyncClient(trust_env=False))  # no env proxy; the system's CAs, not the test's
    try:
        if failure == "refused":
            with socket.socket() as free:
                free.bind(("127.0.0.1", 0))
                port = free.getsockname()[1]
            upstream = upstream_at(f"http://127.0.0.1:{port}/v1")
            with pytest.raises(UpstreamUnavailable) as caught:
                await sender.send(upstream, b"POST", [], BODY, TIMEOUTS, repeatable=True)
            kind, marked = "the connection failed", True
        else:
            handler = {"tls": stall, "read timeout": stall, "breaks off": breaks_off}[failure]
            tls = _certificates(tmp_path)[1] if failure == "tls" else None
            async with serving(handler, tls=tls) as server:
                port = server.port
                upstream = upstream_at(f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1")
                with pytest.raises(UpstreamUnavailable) as caught:
                    response = await sender.send(upstream, b"POST", [], BODY, TIMEOUTS, repeatable=True)
                    assert failure == "breaks off" and response.status_code == 200  # the head came whole
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            kind = {"tls": "the connection failed", "read timeout": "it stopped answering"}.get(failure, "broke off")
            marked = failure != "breaks off"  # as before: an answer that broke off is not the tray's to show
        error = caught.value
        assert isinstance(error, BridgeError) and error.code == UPSTREAM_UNAVAILABLE
        assert error.data == {"profile": "odd", "host": f"127.0.0.1:{port}"}
        assert f"127.0.0.1:{port}" in error.message and kind in error.message and "doctor" in error.message
        assert_safe(error)
        assert upstream.last_error == (f"cannot reach 127.0.0.1:{port}" if marked else None)
    finally:
        await sender.aclose()


class _Tokens:
    state = AuthState.ERROR

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def token(self) -> str:
        raise self.failure

    async def refresh_after_401(self, rejected: str) -> str | None:
        return None


async def test_the_token_providers_failures_and_what_is_not_a_failure_of_the_hop() -> None:
    """No sign-in is -32011, Port's token endpoint out of reach -32012 (the provider shows its own state: the tray's
    `last_error` is left alone), and a bug is not dressed up as either."""
    sender = Sender(httpx2.AsyncClient(trust_env=False))
    upstream = upstream_at("http://127.0.0.1:9/v1")
    try:
        upstream.tokens = _Tokens(SignInRequired("nobody is signed in."))
        with pytest.raises(UpstreamUnavailable) as caught:
            await sender.send(upstream, b"POST", [], BODY, TIMEOUTS)
        assert caught.value.code == SIGN_IN_REQUIRED and caught.value.title == "Sign-in required"
        assert caught.value.message.startswith("Sign in to Odd: nobody is signed in.")
        assert caught.value.data == {"profile": "odd", "state": "needs_sign_in"}

        upstream.tokens = _Tokens(httpx2.ConnectError("refused"))
        with pytest.raises(UpstreamUnavailable) as caught:
            await sender.send(upstream, b"POST", [], BODY, TIMEOUTS)
        assert caught.value.code == UPSTREAM_UNAVAILABLE and "the connection failed" in caught.value.message
        assert upstream.last_error is None

        upstream.tokens = _Tokens(KeyError("a bug"))
        with pytest.raises(KeyError):
            await sender.send(upstream, b"POST", [], BODY, TIMEOUTS)
    finally:
        await sender.aclose()


@pytest.mark.parametrize("route", ["direct", "httpcore2"])
@pytest.mark.parametrize("failure", ["refused", "read timeout", "breaks off"])
async def test_a_request_not_safe_to_repeat_that_reached_port_may_have_run(
    route: str, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `tools/call` (not `repeatable`) that Port received and never answered, or whose answer broke off: "may have
    run", with how to check, on both routes; one whose connection was refused never left: "Cannot reach Port"."""
    if route == "httpcore2":
        monkeypatch.setattr(sender_module, "_plain_pool", lambda pool: False)
    sender = Sender(httpx2.AsyncClient(trust_env=False))
    call = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_action"}}'
    try:
        if failure == "refused":
            with socket.socket() as free:
                free.bind(("127.0.0.1", 0))
                port = free.getsockname()[1]
            with pytest.raises(UpstreamUnavailable) as caught:
                await sender.send(upstream_at(f"http://127.0.0.1:{port}/v1"), b"POST", [], call, TIMEOUTS)
        else:
            async with serving(stall if failure == "read timeout" else breaks_off) as server:
                upstream = upstream_at(f"http://127.0.0.1:{server.port}/v1")
                with pytest.raises(UpstreamUnavailable) as caught:
                    response = await sender.send(upstream, b"POST", [], call, TIMEOUTS)
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
        error = caught.value
        assert_safe(error)
        if failure == "refused":
            assert error.message.startswith("Cannot reach Port") and "may_have_run" not in error.data
        else:
            assert error.data["may_have_run"] is True and "the tool call may have run" in error.message
            assert "status of its run" in error.message and "Check your network" not in error.message
    finally:
        await sender.aclose()
