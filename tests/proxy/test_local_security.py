"""The local endpoint's defences and its answers to bad input, over real loopback HTTP."""

from __future__ import annotations

import logging
import socket

import httpx2
import pytest

from bridge.proxy.guard import host_allowed, key_matches, mcp_path, origin_allowed
from bridge.proxy.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR
from tests.support.net import wait_until
from tests.support.stack import ACCEPT, Stack

JSON = "application/json"


def post(rig: Stack, body: bytes | str, *, content_type: str = JSON, **headers: str) -> httpx2.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx2.post(
        rig.url, content=data, headers={**rig.headers(**ACCEPT), "Content-Type": content_type, **headers}
    )


def test_dns_rebinding_host_and_foreign_origins_are_refused(rig: Stack) -> None:
    r = post(rig, '{"jsonrpc":"2.0","id":1,"method":"ping"}', Host="evil.example")
    assert r.status_code == 421
    r = post(rig, '{"jsonrpc":"2.0","id":1,"method":"ping"}', Host=f"localhost:{rig.bridge.port + 1}")
    assert r.status_code == 421
    r = post(rig, '{"jsonrpc":"2.0","id":1,"method":"ping"}', Origin="https://evil.example")
    assert r.status_code == 403
    r = post(rig, '{"jsonrpc":"2.0","id":1,"method":"ping"}', Origin="null")
    assert r.status_code == 403


def test_the_local_key_is_required_and_never_forwarded(rig: Stack) -> None:
    r = httpx2.post(rig.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=ACCEPT)
    assert r.status_code == 401 and "local key" in r.json()["error"]["message"]
    r = httpx2.post(rig.url, json={}, headers={**ACCEPT, "Authorization": "Bearer wrong"})
    assert r.status_code == 401
    # With the key, the request reaches the sandbox, which only accepts the bridge's Port token: the key did not leak.
    r = post(rig, '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
                  '"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}')  # fmt: skip
    assert r.status_code == 200 and r.headers.get("mcp-session-id")
    assert httpx2.get(f"{rig.bridge.url}/healthz").json()["ok"] is True  # health needs no key


DEEP = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", JSON, 400, PARSE_ERROR),
        ('{"id": 1, "method": "ping"}', JSON, 400, INVALID_REQUEST),
        ("[]", JSON, 400, INVALID_REQUEST),
        (b"\x80\x00 not text", JSON, 400, PARSE_ERROR),  # found by the fuzzer: was a 500
        (DEEP, JSON, 400, PARSE_ERROR),  # found by the fuzzer: a RecursionError, a 500
        ('{"jsonrpc":"2.0","id":true,"method":"ping"}', JSON, 400, INVALID_REQUEST),
        ('{"jsonrpc":"2.0","id":1,"method":"ping"}', "text/plain", 415, INVALID_REQUEST),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"ping","pad":"' + b"x" * (4 * 1024 * 1024) + b'"}',
            JSON,
            413,
            INVALID_REQUEST,
        ),
    ],
)
def test_bad_input_gets_a_jsonrpc_error(
    rig: Stack, body: bytes | str, content_type: str, status: int, code: int
) -> None:
    r = post(rig, body, content_type=content_type)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


def test_unknown_paths_and_methods(rig: Stack) -> None:
    r = httpx2.get(f"{rig.bridge.url}/nope", headers=rig.headers())
    assert r.status_code == 404 and "/mcp" in r.json()["error"]["message"]
    r = httpx2.put(rig.url, headers=rig.headers(), content=b"{}")
    assert r.status_code == 405
    r = httpx2.post(f"{rig.bridge.url}/p/no-such-profile/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                    headers=rig.headers(**ACCEPT))  # fmt: skip
    assert r.status_code == 404 and "profiles list" in r.json()["error"]["message"]
    for path in ("/p/acme/x/mcp", "/mcp/x", "/p//mcp"):
        r = httpx2.post(f"{rig.bridge.url}{path}", json={}, headers=rig.headers(**ACCEPT))
        assert r.status_code == 404 and "/mcp" in r.json()["error"]["message"]


def test_the_bridge_survives_a_client_that_hangs_up(rig: Stack) -> None:
    with socket.create_connection(("127.0.0.1", rig.bridge.port)) as raw:
        head = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n" % (
            rig.bridge.port,
            rig.key.encode(),
        )
        raw.sendall(head + b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc"')
    assert httpx2.get(f"{rig.bridge.url}/healthz").json()["ok"] is True


@pytest.mark.parametrize(
    ("host", "ok"),
    [("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("LOCALHOST:8000", True),
     ("127.0.0.1:8001", False), ("127.0.0.1", False), ("evil.example:8000", False), ("127.0.0.1.evil:8000", False),
     (None, False)],
)  # fmt: skip
def test_host_rule(host: str | None, ok: bool) -> None:
    assert host_allowed(host, 8000) is ok


@pytest.mark.parametrize(
    ("origin", "ok"),
    [(None, True), ("http://127.0.0.1:3000", True), ("http://localhost", True), ("http://[::1]:9", True),
     ("https://localhost", False), ("http://evil.example", False), ("null", False), ("http://localhost.evil", False),
     ("vscode-webview://abc", False)],
)  # fmt: skip
def test_origin_rule(origin: str | None, ok: bool) -> None:
    assert origin_allowed(origin) is ok


@pytest.mark.parametrize(
    ("path", "profile"),
    [("/mcp", ""), ("/p/acme/mcp", "acme"), ("/p/acme-dev/mcp", "acme-dev"), ("/p//mcp", None), ("/p/a/b/mcp", None),
     ("/mcp/", None), ("/pmcp", None), ("/p/mcp", None), ("/healthz", None), ("/x/mcp", None)],
)  # fmt: skip
def test_which_paths_are_the_mcp_endpoint(path: str, profile: str | None) -> None:
    assert mcp_path(path) == profile


def test_key_rule() -> None:
    assert key_matches("Bearer abc", "abc") and key_matches("bearer abc", "abc")
    assert not key_matches("Bearer abd", "abc") and not key_matches("abc", "abc") and not key_matches(None, "abc")


def test_the_key_requirement_can_be_turned_off_and_on_while_running(
    rig: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}

    def status_without_key() -> int:
        return httpx2.post(rig.url, json=ping, headers=ACCEPT).status_code

    def status() -> dict[str, object]:
        return httpx2.get(f"{rig.bridge.url}/status", headers=rig.headers()).json()

    assert status_without_key() == 401 and status()["local_key_required"] is True
    with caplog.at_level(logging.WARNING, logger="bridge.proxy.service"):
        rig.store.update(lambda s: setattr(s, "require_local_key", False))
        wait_until(lambda: not rig.bridge.settings.require_local_key, "the bridge read require_local_key = false")
    assert status_without_key() != 401
    assert status()["local_key_required"] is False  # what `port-mcp-bridge status` shows (test_cli_bridge.py)
    assert "The local key is turned off" in caplog.text and "any program on this computer" in caplog.text
    rig.store.update(lambda s: setattr(s, "require_local_key", True))
    wait_until(lambda: rig.bridge.settings.require_local_key, "the bridge read require_local_key = true")
    assert status_without_key() == 401
    assert post(rig, '{"jsonrpc":"2.0","id":1,"method":"ping"}').status_code != 401  # the same key as before


@pytest.mark.parametrize(
    "params",
    ["[1, 2]", '"run_action"', "42", "null", '{"name": 7}', '{"name": ["x"]}', '{"arguments": {}}',
     '{"name": "list_blueprints", "arguments": [1]}', '{"name": "list_blueprints", "arguments": "x"}'],
)  # fmt: skip
def test_a_tool_call_of_the_wrong_shape_is_an_invalid_params_error_never_a_500(rig: Stack, params: str) -> None:
    """Was an AttributeError in the proxy (`params.get` on a list or a string): a 500 with a traceback."""

    def call(msg_id: str) -> str:
        return f'{{"jsonrpc":"2.0",{msg_id}"method":"tools/call","params":{params}}}'

    r = post(rig, call('"id":7,'))
    assert r.status_code == 200 and r.json()["id"] == 7 and r.json()["error"]["code"] == INVALID_PARAMS
    r = post(rig, "[" + call('"id":"a",') + "," + call('"id":8,') + "]")
    assert r.status_code == 200
    assert [(m["id"], m["error"]["code"]) for m in r.json()] == [("a", INVALID_PARAMS), (8, INVALID_PARAMS)]
    # Without an id it is a notification: nothing to answer, and nothing goes to Port.
    r = post(rig, call(""))
    assert r.status_code == 202 and r.content == b""
    assert httpx2.get(f"{rig.bridge.url}/healthz").json()["ok"] is True
