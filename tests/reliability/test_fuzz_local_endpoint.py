"""Property-based fuzzing of the local endpoint over a real socket: whatever arrives, the bridge answers with a
proper HTTP status and, for MCP requests, a JSON-RPC error it wrote itself, and keeps serving.

`FUZZ_EXAMPLES` sets the number of generated requests (the default run: 1,500; `python3 dev.py soak`: 10,000).
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import KEY
from tests.support.stack import ACCEPT, Stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1500"))
pytestmark = pytest.mark.timeout(900)

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                     st.text(max_size=40))  # fmt: skip
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12),
                     inner, max_size=5), max_leaves=20)  # fmt: skip
_ids = st.one_of(st.integers(-5, 2**63), st.text(max_size=20), st.none(), st.floats(allow_nan=False), _json)
_methods = st.sampled_from(["tools/list", "tools/call", "initialize", "ping", "resources/list", "prompts/get",
                            "notifications/initialized", "server/discover", "", "rpc.x", "tools/call "])  # fmt: skip
_tool_names = st.sampled_from(["list_entities", "run_action", "delete_entity", "run_deploy", "nope", "", "x" * 300])


@st.composite
def _message(draw: st.DrawFn) -> Any:
    shape = draw(st.sampled_from(["request", "call", "notification", "response", "junk"]))
    if shape == "junk":
        return draw(_json)
    message: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "1.0", 2, None]))}
    if shape != "notification":
        message["id"] = draw(_ids)
    if shape == "response":
        message["result"] = draw(_json)
        return message
    message["method"] = "tools/call" if shape == "call" else draw(_methods)
    if shape == "call":  # a params, name or arguments of another type too (a list as params was a 500)
        message["params"] = draw(st.one_of(
            st.fixed_dictionaries({"name": _tool_names, "arguments": _json}),
            st.fixed_dictionaries({"name": _json}, optional={"arguments": _json}),
            _scalars, st.lists(_scalars, min_size=1, max_size=3),
        ))  # fmt: skip
    elif draw(st.booleans()):
        message["params"] = draw(_json)
    return message


def _deep(depth: int) -> bytes:
    return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * depth + b"]" * depth + b"}"


VALID = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
                   "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}).encode()  # fmt: skip


_CALL = b'{"jsonrpc":"2.0","method":"tools/call",'  # a well-formed call whose params are fuzzed (sent well addressed)


@st.composite
def _call(draw: st.DrawFn) -> bytes:
    """A tools/call, one or a batch, whose envelope is right and whose params are anything: what passes the checks
    before the proxy's own and reaches the code that reads params (a list as params was a 500 there)."""
    named = st.fixed_dictionaries({"name": _tool_names | _json}, optional={"arguments": _json})
    params = json.dumps(draw(st.one_of(_json, st.lists(_scalars, min_size=1, max_size=3), named))).encode()
    count = draw(st.integers(1, 3))
    calls = [_CALL[:-1] + b',"id":%d,"params":%s}' % (n, params) for n in range(count)]
    return calls[0] if len(calls) == 1 else b"[" + b",".join(calls) + b"]"


@st.composite
def _body(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["one", "one", "batch", "text", "bytes", "deep", "huge", "bom", "latin1", "valid",
                                 "call"]))  # fmt: skip
    if kind == "valid":
        return VALID
    if kind == "call":
        return draw(_call())
    if kind == "one":
        return json.dumps(draw(_message())).encode()
    if kind == "batch":
        return json.dumps(draw(st.lists(_message(), max_size=6))).encode()
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        return _deep(draw(st.sampled_from([50, 900, 5_000, 100_000])))
    if kind == "huge":
        return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"a" * draw(
            st.sampled_from([1_000_000, 4_200_000])) + b'"}}'  # fmt: skip
    if kind == "bom":
        return b"\xef\xbb\xbf" + json.dumps(draw(_message())).encode()
    return json.dumps(draw(_message()), ensure_ascii=False).encode("latin-1", "replace")


@st.composite
def _headers(draw: st.DrawFn, port: int) -> dict[str, str]:
    headers = {
        "content-type": draw(
            st.sampled_from(
                [
                    "application/json",
                    "application/json; charset=utf-8",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "",
                ]
            )
        ),
        "accept": draw(st.sampled_from(["application/json, text/event-stream", "application/json", "*/*", ""])),
    }
    auth = draw(st.sampled_from(["good", "good", "good", "none", "wrong", "basic", "empty"]))
    headers["authorization"] = {"good": f"Bearer {KEY}", "none": "", "wrong": "Bearer nope", "basic": "Basic eDp5",
                                "empty": "Bearer"}[auth]  # fmt: skip
    host = draw(st.sampled_from(["ok", "ok", "ok", "evil", "other-port", "ip6"]))
    headers["host"] = {"ok": f"127.0.0.1:{port}", "evil": "attacker.example", "other-port": "127.0.0.1:1",
                       "ip6": f"[::1]:{port}"}[host]  # fmt: skip
    origin = draw(st.sampled_from([None, None, "http://127.0.0.1", "https://attacker.example", "null"]))
    if origin:
        headers["origin"] = origin
    for name in ("mcp-session-id", "mcp-protocol-version", "last-event-id"):
        if draw(st.integers(0, 4)) == 0:
            headers[name] = draw(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
    return {k: v for k, v in headers.items() if v}


ALLOWED = {200, 202, 307, 400, 401, 403, 404, 405, 406, 413, 415, 421, 502, 503, 504}


def test_the_local_endpoint_survives_whatever_arrives(stack: Stack) -> None:
    port = stack.bridge.port
    seen: dict[int, int] = {}

    with httpx2.Client(timeout=30) as http:

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(method=st.sampled_from(["POST"] * 6 + ["GET", "DELETE", "PUT", "PATCH", "OPTIONS"]),
               path=st.sampled_from(["/mcp"] * 5 + ["/p/globex/mcp", "/p/nope/mcp", "/mcp/", "/x", "/status"]),
               body=_body(), headers=_headers(port))  # fmt: skip
        def one(method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
            if body == VALID or _CALL[:-1] in body[:40]:  # well addressed, so fuzzing also reaches the proxy itself
                method, path, headers = "POST", "/mcp", {**stack.headers(**ACCEPT), "content-type": "application/json"}
            response = http.request(method, f"{stack.bridge.url}{path}", content=body, headers=headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
            kind = response.headers.get("content-type", "")
            if response.status_code >= 400 and path.startswith(("/mcp", "/p/")) and kind.startswith("application/json"):
                error = response.json()
                assert isinstance(error, dict) and "error" in error, error
                if "jsonrpc" in error:
                    assert isinstance(error["error"]["code"], int) and error["error"]["message"]
            assert KEY not in response.text  # the key is never echoed

        one()

    alive = httpx2.get(f"{stack.bridge.url}/healthz", headers={"host": f"127.0.0.1:{port}"})
    assert alive.status_code == 200 and alive.json()["ok"]
    assert seen.get(200, 0) > 0 and sum(seen.values()) >= EXAMPLES  # valid requests were served too
