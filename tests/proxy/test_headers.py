"""Which headers cross the bridge, in each direction (`bridge/proxy/headers.py`), as pure functions."""

from __future__ import annotations

from bridge.proxy.headers import downstream_response_headers, upstream_request_headers


def test_what_goes_upstream() -> None:
    client = [
        (b"Host", b"127.0.0.1:47773"), (b"Accept", b"application/json, text/event-stream"),
        (b"Authorization", b"Bearer local-key"), (b"Cookie", b"a=b"), (b"Origin", b"http://localhost"),
        (b"Content-Length", b"12"), (b"Accept-Encoding", b"gzip"), (b"X-Read-Only-Mode", b"0"),
        (b"X-Allowed-Actions-To-Run", b"*"), (b"Connection", b"keep-alive, X-Secret-Hop"), (b"X-Secret-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"), (b"TE", b"trailers"), (b"Mcp-Session-Id", b"s-1"),
        (b"MCP-Protocol-Version", b"2025-11-25"), (b"Last-Event-ID", b"7"), (b"User-Agent", b"Cursor/1.0"),
        (b"Expect", b"100-continue"), (b"X-Port-MCP-Bridge-Via", b"stdio"),
    ]  # fmt: skip
    assert upstream_request_headers(client) == [
        (b"accept", b"application/json, text/event-stream"), (b"mcp-session-id", b"s-1"),
        (b"mcp-protocol-version", b"2025-11-25"), (b"last-event-id", b"7"), (b"user-agent", b"Cursor/1.0"),
    ]  # fmt: skip


def test_what_comes_back() -> None:
    port = [
        (b"Content-Type", b"text/event-stream"), (b"Content-Length", b"99"), (b"Content-Encoding", b"gzip"),
        (b"Set-Cookie", b"edge=1"), (b"WWW-Authenticate", b'Bearer resource_metadata="x"'),
        (b"Transfer-Encoding", b"chunked"), (b"Connection", b"close, X-Edge"), (b"X-Edge", b"1"),
        (b"Mcp-Session-Id", b"s-2"), (b"Alt-Svc", b'h3=":443"'), (b"Strict-Transport-Security", b"max-age=1"),
        (b"Cache-Control", b"no-cache"), (b"Date", b"Mon, 23 Nov 2026 16:12:25 GMT"),
    ]  # fmt: skip
    assert downstream_response_headers(port) == [
        (b"content-type", b"text/event-stream"),
        (b"mcp-session-id", b"s-2"),
        (b"cache-control", b"no-cache"),
    ]
