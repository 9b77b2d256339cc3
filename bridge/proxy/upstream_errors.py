"""What an IDE gets in place of Port's answer when there is none to relay: `UpstreamUnavailable` (bridge/errors.py),
carrying the JSON-RPC error (code, message, data) that says what happened and what to do: sign in, Port unreachable, a
redirect not followed, an error page that is not an MCP answer, an answer that broke off, a computer out of connections
(file descriptors). `McpProxy` turns it into each request's error in one place.

`UpstreamFailures` is the one boundary where the upstream hop's third-party exceptions (httpcore2's, which
`http11.Pool` raises too; httpx2's from a token provider; OSError, so ssl's and timeouts) become these. Also what an
error answer says, briefly.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Literal

import httpcore2
import httpx2

from bridge.errors import SignInRequired, UpstreamUnavailable
from bridge.proxy import jsonrpc
from bridge.proxy.state import Upstream
from bridge.system.descriptors import out_of_descriptors
from bridge.system.logs import redact

log = logging.getLogger(__name__)

# What the hop raises when it fails: httpcore2's errors, the classes httpx2's own mapping knows (`http11.Pool` raises
# them as well, so one tuple serves both routes), and OSError (ssl.SSLError and TimeoutError are ones) for a socket's
# error that would escape them.
_HOP_FAILURES = (
    httpcore2.TimeoutException, httpcore2.NetworkError, httpcore2.ProtocolError, httpcore2.ProxyError,
    httpcore2.UnsupportedProtocol, OSError,
)  # fmt: skip
_KINDS: dict[type[BaseException], str] = {
    httpcore2.ConnectTimeout: "the connection timed out",
    httpx2.ConnectTimeout: "the connection timed out",
    httpcore2.ReadTimeout: "it stopped answering",
    httpx2.ReadTimeout: "it stopped answering",
    httpcore2.ConnectError: "the connection failed",
    httpx2.ConnectError: "the connection failed",
}
# Failures that leave Port without the whole request: no connection (or none through the proxy), no free one, a
# request head refused before it went out, a write that failed. Port cannot have acted on it.
_NOT_SENT = (
    httpcore2.ConnectError, httpcore2.ConnectTimeout, httpcore2.PoolTimeout, httpcore2.ProxyError,
    httpcore2.UnsupportedProtocol, httpcore2.LocalProtocolError, httpcore2.WriteError, httpcore2.WriteTimeout,
)  # fmt: skip


class UpstreamFailures:
    """The boundary of one exchange with Port: `with failures:` turns what fails inside into `UpstreamUnavailable`.

    - `SignInRequired` (the token provider): "Sign in to <profile>" (-32011).
    - httpx2's errors, which only a token provider's own client raises (Port's token endpoint): "Cannot reach Port"
      (-32012). The provider shows its state itself (`tokens.state`), so `last_error` is left alone.
    - Any of those because the OS had no file descriptor left (EMFILE, ENFILE: `descriptors.out_of_descriptors`):
      "this computer is out of connections", logged in one line.
    - The hop's own failures (`_HOP_FAILURES`): before the answer's head, "Cannot reach Port", logged and shown in the
      tray (`upstream.last_error`); once `answered` (the body is being read, none of it relayed), "broke off".
      Except for a request that is not `repeatable` (a `tools/call`) that reached Port (the failure came after it was
      sent: not `_NOT_SENT`): "may have run", which says how to check before trying again, never "check your
      network", which invites a retry that could run an action twice.
    - Anything else (a cancellation, an `UpstreamUnavailable` raised inside, a bug) passes unchanged.

    A class rather than a `contextlib.contextmanager`: no generator per request, and the sender makes one per
    exchange, which its `Response` keeps for reading the body (`Response.aread`)."""

    __slots__ = ("answered", "method", "repeatable", "upstream")

    def __init__(self, upstream: Upstream, method: bytes, *, repeatable: bool = True) -> None:
        self.upstream = upstream
        self.method = method
        self.repeatable = repeatable
        self.answered = False

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if exc is None:
            return False
        upstream = self.upstream
        if isinstance(exc, (*_HOP_FAILURES, httpx2.HTTPError)) and out_of_descriptors(exc):
            upstream.last_error = "this computer is out of connections (file handles)"
            log.warning(
                "%s %s for profile %s failed: out of file descriptors", self.method.decode(), upstream.host,
                upstream.profile.id,
            )  # fmt: skip
            raise no_descriptors(upstream) from None
        if isinstance(exc, _HOP_FAILURES):
            sent = self.answered or not isinstance(exc, _NOT_SENT)
            if not self.answered:
                upstream.last_error = f"cannot reach {upstream.host}"
                log.warning(
                    "%s %s for profile %s failed: %s%s",
                    self.method.decode(), upstream.host, upstream.profile.id, type(exc).__name__,
                    " (after it was sent: it may have run)" if sent and not self.repeatable else "",
                )  # fmt: skip
            if sent and not self.repeatable:
                raise may_have_run(upstream, exc, answered=self.answered) from None
            if self.answered:
                raise broke_off(upstream, exc) from None
            raise unreachable(upstream, exc) from None
        if isinstance(exc, SignInRequired):
            raise sign_in_error(upstream, exc.message) from None
        if isinstance(exc, httpx2.HTTPError):
            raise unreachable(upstream, exc) from None
        return False


def upstream_error(upstream: Upstream, message: str, **data: Any) -> UpstreamUnavailable:
    """-32012 about the profile's upstream, with the profile and host as data for clients and the GUI."""
    return UpstreamUnavailable(
        message, code=jsonrpc.UPSTREAM_UNAVAILABLE, data={"profile": upstream.profile.id, "host": upstream.host, **data}
    )


def sign_in_error(upstream: Upstream, why: str) -> UpstreamUnavailable:
    name = upstream.profile.name
    return UpstreamUnavailable(
        f"Sign in to {name}: {why} Sign in from Port MCP Bridge (its menu, or Settings → Profiles), or run "
        f"`port-mcp-bridge login {upstream.profile.id}`.",
        code=jsonrpc.SIGN_IN_REQUIRED,
        data={"profile": upstream.profile.id, "state": "needs_sign_in"},
        title="Sign-in required",
    )


def unreachable(upstream: Upstream, exc: BaseException) -> UpstreamUnavailable:
    """What went wrong is said by the exception's class, never its text (which may quote a request)."""
    kind = _KINDS.get(type(exc))
    if kind is None:
        if isinstance(exc, TimeoutError):
            kind = "the connection timed out"
        elif isinstance(exc, OSError):  # refused, no route, TLS: a socket's own error
            kind = "the connection failed"
        else:
            kind = type(exc).__name__
    return upstream_error(
        upstream,
        f"Cannot reach Port at {upstream.describe()}: {kind}. Check your network or VPN (your organization may allow "
        "only some IP addresses), then run `port-mcp-bridge doctor` for details.",
    )


def no_descriptors(upstream: Upstream) -> UpstreamUnavailable:
    """The OS had no file descriptor left for a connection to Port (EMFILE for the bridge, ENFILE for the system)."""
    return upstream_error(
        upstream,
        f"Port MCP Bridge could not open a connection to Port at {upstream.describe()}: this computer is out of "
        "connections (open file handles), for the bridge or for all programs. Try again in a moment; if it goes on, "
        "close programs you do not need, or restart Port MCP Bridge.",
        state="out_of_descriptors",
    )


def redirected(upstream: Upstream, status: int, location: str | None) -> UpstreamUnavailable:
    return upstream_error(
        upstream,
        f"Port at {upstream.describe()} answered with a redirect (HTTP {status}) to {location or 'nowhere'}. The "
        "bridge follows redirects only within the same server, so your sign-in is never sent elsewhere. If Port's "
        f"address has changed, set it on the profile (`port-mcp-bridge profiles set {upstream.profile.id} --region "
        "<URL>`), then check with `port-mcp-bridge doctor`.",
        status=status,
    )


def not_mcp(upstream: Upstream, status: int, said: str | None) -> UpstreamUnavailable:
    """The error for an HTTP error answer that is not an MCP one (a web page from a firewall or proxy, a load
    balancer's 503, a plain-text 404), by what the status usually means; `said` is Port's own short message, if any."""
    profile = upstream.profile
    if status in (401, 403, 407):
        why = ("something between you and Port (a VPN, firewall or proxy) may be blocking it: your organization may "
               "allow only some IP addresses")  # fmt: skip
    elif status == 404:
        why = (f"there is no MCP endpoint at {upstream.url}. Check the profile's address "
               f"(`port-mcp-bridge profiles set {profile.id} --region eu|us|<URL>`)")  # fmt: skip
    elif status == 429:
        why = "Port is limiting requests. Wait a moment and try again"
    elif status >= 500:
        why = "Port could not answer: it may be down or busy. Try again in a moment"
    else:
        why = "the request was not accepted"
    quoted = f' Port said: "{said}".' if said else ""
    return upstream_error(
        upstream,
        f"Port at {upstream.describe()} answered HTTP {status}, not an MCP answer: {why}.{quoted} If it goes on, run "
        "`port-mcp-bridge doctor`.",
        status=status,
    )


def broke_off(upstream: Upstream, exc: BaseException) -> UpstreamUnavailable:
    """The error for an answer that broke off before any of it had been relayed."""
    return upstream_error(
        upstream,
        f"Port's answer from {upstream.describe()} broke off ({type(exc).__name__}). Try again; if it keeps happening, "
        "run `port-mcp-bridge doctor`.",
    )


def may_have_run(upstream: Upstream, exc: BaseException, *, answered: bool) -> UpstreamUnavailable:
    """The error for a request that may change something (a `tools/call`) whose answer never came, or broke off,
    after Port had it: it may have run. Distinct from "Cannot reach Port" (it never left), so a person checks before
    trying again rather than running a self-service action twice."""
    what = "its answer broke off" if answered else "the connection ended before Port answered"
    return upstream_error(
        upstream,
        f"Port at {upstream.describe()} received the request, but {what} ({type(exc).__name__}): the tool call may "
        "have run. Before trying again, check in Port whether it did: for a self-service action, the status of its "
        "run (the action's runs, or Audit log > Runs). If Port keeps failing, run `port-mcp-bridge doctor`.",
        may_have_run=True,
    )


def short_message(data: Any, content: bytes, content_type: str) -> str | None:
    """What an error answer says, if it says it briefly: a JSON `message` (or `error_description`, `error`) or a short
    plain text. Never a web page; redacted like the logs, and at most 200 characters."""
    text: Any = None
    if isinstance(data, dict):
        text = next((data[k] for k in ("message", "error_description", "error") if isinstance(data.get(k), str)), None)
    elif content_type.startswith("text/plain"):
        text = content.decode("utf-8", "replace")
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return redact(text) if 0 < len(text) <= 200 else None
