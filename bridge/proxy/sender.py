"""How a request reaches the profile's Port server: the route httpx2 would take for its URL (direct through
`http11.Pool`, or through a proxy by httpcore2), the profile's token and policy headers, one refresh and replay after
a 401, redirects followed within the same server. `Sender.send` returns only a response; when there is none to relay it
raises `UpstreamUnavailable` (bridge/errors.py), carrying the JSON-RPC error that says what to do. Third-party
exceptions become that at one boundary, `upstream_errors.UpstreamFailures`, around the whole exchange.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore2
import httpx2

from bridge.proxy import http11
from bridge.proxy.headers import first, upstream_request_headers
from bridge.proxy.state import Upstream
from bridge.proxy.upstream_errors import UpstreamFailures, redirected, sign_in_error

log = logging.getLogger(__name__)

_TIMEOUT = httpx2.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)
# The same limits as httpcore takes them (per request, in `extensions`), built once; GET streams never time out reading.
POST_TIMEOUTS = {"timeout": {"connect": 10.0, "read": 300.0, "write": 30.0, "pool": 10.0}}
STREAM_TIMEOUTS = {"timeout": {"connect": 10.0, "read": None, "write": 30.0, "pool": 10.0}}
DELETE_TIMEOUTS = {"timeout": {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 10.0}}  # answered at once
_IDENTITY = (b"accept-encoding", b"identity")  # the bridge streams and rewrites events: no compression
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 3


class Sender:
    """Sends the proxy's requests upstream, over one `httpx2.AsyncClient`'s choices (proxies, TLS settings)."""

    def __init__(self, http: httpx2.AsyncClient | None = None) -> None:
        self.http = http or httpx2.AsyncClient(timeout=_TIMEOUT, limits=httpx2.Limits(max_keepalive_connections=20))
        self.routes: dict[str, Route] = {}
        self._direct: http11.Pool | None = None  # made with the first direct route, from httpx2's TLS settings
        self._redirects_told: set[tuple[str, str]] = set()  # (from, to) redirects already logged

    async def aclose(self) -> None:
        if self._direct is not None:
            await self._direct.aclose()
        await self.http.aclose()

    def route(self, url: str) -> Route:
        """How requests to `url` are sent. httpx2 chooses, once per URL, as it would for a request of its own: env
        proxies (HTTPS_PROXY, NO_PROXY, ...) and its TLS settings (CAs, SSL_CERT_FILE) apply. A direct connection with
        httpx2's default settings goes through `http11.Pool` (a C parser on asyncio's transports); anything else (a
        proxy, a custom transport setting) straight to the httpcore2 pool httpx2 made for it. Either way without
        httpx2's per-request work (URL parsing, header merging, auth, redirects, cookies), none of which the proxy
        uses."""
        route = self.routes.get(url)
        if route is None:
            parsed = httpx2.URL(url)
            transport = self.http._transport_for_url(parsed)
            pool = getattr(transport, "_pool", None)
            if pool is None:  # not httpx2's own transport: nothing to send through directly
                raise TypeError(f"Sender needs httpx2's AsyncHTTPTransport, not {type(transport).__name__}")
            target = httpcore2.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port,
                                   target=parsed.raw_path)  # fmt: skip
            defaults = [(k.lower(), v) for k, v in self.http.headers.raw if k.lower() != b"accept-encoding"]
            direct = None
            if _plain_pool(pool):
                if self._direct is None:
                    self._direct = http11.Pool(pool._ssl_context)
                direct = self._direct
            key = (parsed.scheme, parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
            route = Route(pool, target, (b"host", parsed.netloc), defaults, direct, key)
            self.routes[url] = route
        return route

    async def send(
        self,
        upstream: Upstream,
        method: bytes,
        client_headers: list[tuple[bytes, bytes]],
        body: bytes,
        extensions: dict[str, Any],
        *,
        repeatable: bool = False,
    ) -> Response:
        """Send upstream with the profile's token; on 401 refresh once and replay; follow a 307/308 redirect to the same
        server (method and body kept). Returns the response once its status and headers are in. Raises
        `UpstreamUnavailable` when there is none to relay (sign in, Port unreachable, a redirect not followed): what
        each request gets instead. `repeatable`: see `http11.Pool.request` (a 401 or a redirect is followed whatever it
        says: Port did nothing with the request but answer that)."""
        url = upstream.url
        route = self.route(url)
        headers = upstream_request_headers(client_headers)
        present = {name for name, _ in headers}
        headers = [*headers, *(h for h in route.defaults if h[0] not in present), _IDENTITY, *upstream.policy_headers()]
        if body:
            headers.append((b"content-length", str(len(body)).encode()))
        timeouts = extensions["timeout"]
        refreshed = False
        redirects = 0
        failures = UpstreamFailures(upstream, method, repeatable=repeatable)  # the exchange's one boundary
        with failures:
            token = await upstream.tokens.token()
            while True:
                sent = [route.host, *headers, upstream.authorization(token)]
                if route.direct is not None:
                    raw: Any = await route.direct.request(
                        route.key, http11.request_head(method, route.url.target, sent), body,
                        connect_timeout=timeouts["connect"], read_timeout=timeouts["read"], repeatable=repeatable,
                    )  # fmt: skip
                else:
                    request = httpcore2.Request(method, route.url, headers=sent, content=body, extensions=extensions)
                    raw = await route.pool.handle_async_request(request)
                response = Response(raw, failures)
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True
                    await response.aclose()
                    new_token = await upstream.tokens.refresh_after_401(token)
                    if new_token is None:
                        log.warning("Port refused the token of profile %s and no new one could be had",
                                    upstream.profile.id)  # fmt: skip
                        upstream.last_error, upstream.refused = None, True  # Port answered: the state says sign-in
                        raise sign_in_error(upstream, "Port no longer accepts the saved sign-in.")
                    token = new_token
                    continue
                if status in _REDIRECTS:
                    location = response.header(b"location")
                    await response.aclose()
                    target = same_server(url, location) if status in (307, 308) else None
                    if target is None or redirects == _MAX_REDIRECTS:
                        log.warning("%s for profile %s answered %d to %s: not followed", url, upstream.profile.id,
                                    status, location)  # fmt: skip
                        raise redirected(upstream, status, location)
                    if (url, target) not in self._redirects_told:
                        self._redirects_told.add((url, target))
                        log.warning("%s for profile %s redirects to %s: setting the profile's URL to it saves a "
                                    "round trip", url, upstream.profile.id, target)  # fmt: skip
                    redirects += 1
                    url, route = target, self.route(target)
                    continue
                break
            if status == 401:
                await response.aclose()
                upstream.last_error, upstream.refused = None, True  # Port answered: the state says sign-in
                raise sign_in_error(upstream, "Port refused the token even after a refresh.")
        upstream.last_error, upstream.refused = None, False
        failures.answered = True  # from here on a failure breaks off an answer: `Response.aread`
        return response


@dataclass(frozen=True, slots=True)
class Route:
    """How requests to one upstream URL are sent (`Sender.route`)."""

    pool: Any  # httpcore2.AsyncConnectionPool, or AsyncHTTPProxy / AsyncSOCKSProxy when a proxy is configured
    url: httpcore2.URL
    host: tuple[bytes, bytes]
    defaults: list[tuple[bytes, bytes]]  # httpx2's default headers (Accept, User-Agent, ...) a client did not send
    direct: http11.Pool | None  # set when the connection is direct with default settings: the fast client
    key: http11.Key


def _plain_pool(pool: Any) -> bool:
    """Whether httpx2 would connect directly, with nothing `http11.Pool` does not do: no proxy, no Unix socket, no
    local address or socket options, no HTTP/2."""
    return (
        type(pool) is httpcore2.AsyncConnectionPool
        and getattr(pool, "_proxy", None) is None
        and not getattr(pool, "_uds", None)
        and not getattr(pool, "_local_address", None)
        and not getattr(pool, "_socket_options", None)
        and not getattr(pool, "_http2", False)
        and getattr(pool, "_retries", 0) == 0
    )


class Response:
    """An upstream response as `http11.Pool` or httpcore2 returns it: status, raw headers, and a body stream to
    iterate (raising what the hop raises: `http11.errors()`) or read whole (`aread`)."""

    __slots__ = ("_failures", "_raw", "headers", "received", "status_code", "stream")

    def __init__(self, raw: httpcore2.Response | http11.Response, failures: UpstreamFailures) -> None:
        self._raw = raw
        self._failures = failures
        self.received = 0  # body bytes relayed so far
        self.status_code: int = raw.status
        self.headers: list[tuple[bytes, bytes]] = raw.headers
        self.stream: AsyncIterator[bytes] = raw.stream  # type: ignore[assignment]  # httpcore2 types its stream as Iterable | AsyncIterable; it is async here

    def header(self, name: bytes) -> str | None:
        """The first value of a header (`name` in lower case), decoded as latin-1."""
        return first(self.headers, name)

    async def aread(self) -> bytes:
        """The whole body. One that breaks off raises `UpstreamUnavailable` ("broke off"): none of it was relayed."""
        with self._failures:
            return b"".join([chunk async for chunk in self.stream])

    async def aclose(self) -> None:
        await self._raw.aclose()


def same_server(url: str, location: str | None) -> str | None:
    """Where a redirect from `url` to `location` leads, if that is the same server (scheme, host and port): only there
    may the profile's token follow it. None otherwise, or with no location."""
    if not location:
        return None
    target = urljoin(url, location)
    before, after = urlsplit(url), urlsplit(target)
    defaults = {"http": 80, "https": 443}
    try:
        same = (before.scheme, before.hostname, before.port or defaults.get(before.scheme)) == (
            after.scheme, after.hostname, after.port or defaults.get(after.scheme)
        )  # fmt: skip
    except ValueError:  # a port that is not a number
        return None
    return target.split("#", 1)[0] if same else None
