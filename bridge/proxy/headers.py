"""Which headers cross the bridge, in each direction. Pure functions over lists of (name, value) byte pairs."""

from __future__ import annotations

from collections.abc import Iterable

# RFC 9110 §7.6.1 hop-by-hop headers, plus what the bridge sets itself or must never pass on.
_HOP_BY_HOP = {
    b"connection", b"keep-alive", b"proxy-connection", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade",
}  # fmt: skip
_NOT_UPSTREAM = _HOP_BY_HOP | {
    b"host",  # httpx sets the upstream host
    b"content-length",  # recomputed for the body actually sent
    b"accept-encoding",  # the bridge asks for identity so it can stream and rewrite events
    b"authorization",  # the local key (or anything a client sends) never leaves the machine
    b"cookie",
    b"origin",
    b"referer",
    b"x-read-only-mode",  # policy comes from the profile, never from the client
    b"x-allowed-actions-to-run",
    b"x-port-mcp-bridge-via",  # the stdio shim's mark, for Activity: the bridge's business, not Port's
    b"expect",  # uvicorn answered the client's 100-continue; the bridge sends the whole body at once
}
_NOT_DOWNSTREAM = _HOP_BY_HOP | {
    b"content-length",  # the body may be rewritten
    b"content-encoding",
    b"set-cookie",  # upstream cookies stay with the bridge
    b"www-authenticate",  # the client must not start an OAuth flow against Port through the bridge
    b"alt-svc",
    b"strict-transport-security",
    b"date",  # the bridge's server dates every answer itself: a second Date would make the answer malformed
}


def _filtered(headers: Iterable[tuple[bytes, bytes]], drop: set[bytes]) -> list[tuple[bytes, bytes]]:
    """The headers whose (lower-cased) name is neither in `drop` nor named in a `Connection:` header (hop-by-hop too,
    RFC 9110 §7.6.1), names lower-cased. One pass; a second only when a `Connection:` header names others."""
    out: list[tuple[bytes, bytes]] = []
    named: set[bytes] = set()
    for name, value in headers:
        name = name.lower()
        if name == b"connection":
            named |= {t.strip().lower() for t in value.split(b",") if t.strip()}
        elif name not in drop:
            out.append((name, value))
    return [h for h in out if h[0] not in named] if named else out


def first(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of header `name` (given in lower case) among raw pairs of any case, as text (latin-1)."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def upstream_request_headers(client_headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return _filtered(client_headers, _NOT_UPSTREAM)


def downstream_response_headers(upstream_headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return _filtered(upstream_headers, _NOT_DOWNSTREAM)
