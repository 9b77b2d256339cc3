"""The loopback redirect listener (RFC 8252 §7.3): where the browser lands after the user approves, or not.

It listens on 127.0.0.1 only, on a port that stays the same for a profile (so the registered redirect URI stays
valid), or on any free port when that one is taken. Only a request addressed to that loopback address is taken (its
`Host` must be `127.0.0.1:<port>` or `localhost:<port>`: a page elsewhere cannot reach it through a rebound DNS name).
The browser tab ends on a page of ours that says what happened, once the sign-in has finished: the organization and
the user that were signed in (`signed_in`), so a sign-in to an unexpected organization shows at once, or why it
failed; and that it can be closed. It runs inside the caller's event loop, with uvicorn's signal handling off so that
Ctrl+C reaches the command line, not the listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bridge.auth.records import Identity
from bridge.endpoint import base_url, bind_or_any
from bridge.errors import BridgeError
from bridge.system.acceptor import LimitedServer
from bridge.system.loopback import server_config

log = logging.getLogger(__name__)

PATH = "/callback"
# Stable per profile, away from the bridge's 47773, and below macOS' and Windows' ephemeral ports (49152+). Linux hands
# out 32768-60999, so there another connection may hold one now and then: `_bind` then takes any free port.
PORT_RANGE = (47780, 47979)
_FINISH_WAIT = 60.0  # seconds the tab waits for the code exchange and the identity before a page without them


def stable_port(profile_id: str) -> int:
    """The profile's usual redirect port: the same on every run, different between profiles."""
    low, high = PORT_RANGE
    return low + zlib.crc32(profile_id.encode()) % (high - low + 1)


@dataclass(frozen=True)
class Redirect:
    """What came back on the redirect: a code, or an error the authorization server reported."""

    params: dict[str, str]

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def error_description(self) -> str:
        return self.params.get("error_description", "")


class _QuietServer(LimitedServer):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave SIGINT/SIGTERM to the program that started the sign-in


class RedirectListener:
    """`async with RedirectListener(profile_id, expected_state) as listener: ... await listener.wait()`."""

    def __init__(self, profile_id: str, expected_state: str, *, profile_name: str = "") -> None:
        self._state = expected_state
        self._profile_name = profile_name
        self._sock = bind_or_any(stable_port(profile_id))
        self.port: int = self._sock.getsockname()[1]
        self.redirect_uri = base_url(self.port) + PATH
        self._result: asyncio.Future[Redirect] | None = None
        self._outcome: asyncio.Future[HTMLResponse] | None = None  # the page the tab ends on, once signed in
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RedirectListener:
        self._result = asyncio.get_running_loop().create_future()
        self._outcome = asyncio.get_running_loop().create_future()
        app = Starlette(routes=[Route(PATH, self._landed)])
        config = server_config(app, log_level="warning", lifespan="off", access_log=False)  # the local servers' limits
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        return self

    async def __aexit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, BridgeError):  # the sign-in failed after the redirect (the code exchange): the tab says so
            self.failed(exc.message)
        self._finish(self._received())  # whatever happened, a tab still waiting is answered before the server stops
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5)
        self._sock.close()

    async def wait(self) -> Redirect:
        """The first redirect that carries our `state` (others, e.g. a stale tab, are answered and ignored)."""
        assert self._result is not None, "use RedirectListener in `async with`"
        return await asyncio.shield(self._result)

    def signed_in(self, identity: Identity) -> None:
        """The sign-in is done: the tab names the organization and the user it was for."""
        if not identity.organization_name and not identity.email:
            self._finish(self._received())
            return
        who = f" as {identity.email}" if identity.email else ""
        org = identity.organization_name or identity.organization_id
        where = f" in the organization {org}" if org else ""
        profile = f" for {self._profile_name}" if self._profile_name else ""
        self._finish(_page(
            "You're signed in",
            f"Port MCP Bridge is signed in{profile}{who}{where}. If that is not the organization you meant, sign out "
            "in Port MCP Bridge and sign in again, choosing it in Port. You can close this tab and go back to your "
            "editor.",
            ok=True,
        ))  # fmt: skip

    def failed(self, message: str) -> None:
        """The sign-in failed after the browser came back (Port issued no tokens, say): the tab says why."""
        self._finish(_page("Sign-in did not complete", f"{message} You can close this tab.", ok=False))

    def _received(self) -> HTMLResponse:
        who = f" for {self._profile_name}" if self._profile_name else ""
        return _page(
            "You're signed in",
            f"Port MCP Bridge received your sign-in{who}. You can close this tab and go back to your editor.",
            ok=True,
        )

    def _finish(self, page: HTMLResponse) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(page)

    async def _landed(self, request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items()}
        assert self._result is not None and self._outcome is not None
        host = request.headers.get("host", "").lower()
        if host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):  # a rebound name, or not the browser
            log.warning("The sign-in listener refused a request addressed to another host.")
            return _page(
                "Wrong address",
                "This page only answers at the address Port MCP Bridge gave Port. Start the sign-in again from Port "
                "MCP Bridge.",
                ok=False,
                status=421,
            )
        if params.get("state") != self._state:
            return _page(
                "This sign-in link is no longer valid",
                "It belongs to an earlier sign-in attempt. Start the sign-in again from Port MCP Bridge.",
                ok=False,
                status=400,
            )
        if self._result.done():
            return _page("Already done", "This sign-in has already been handled. You can close this tab.", ok=True)
        redirect = Redirect(params)
        self._result.set_result(redirect)
        if redirect.error:
            why = redirect.error_description or redirect.error
            return _page(
                "Sign-in did not complete",
                f"Port said: {why}. Go back to Port MCP Bridge to try again. You can close this tab.",
                ok=False,
            )
        try:  # the page says who was signed in, known once the code is exchanged (`signed_in`)
            return await asyncio.wait_for(asyncio.shield(self._outcome), _FINISH_WAIT)
        except TimeoutError:
            return self._received()


_STYLE = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;background:#f5f6f8;color:#1d2330;
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:14px;box-shadow:0 6px 30px rgba(20,30,60,.12);padding:40px 48px;max-width:460px;
text-align:center}
.mark{width:56px;height:56px;border-radius:50%;margin:0 auto 18px;display:flex;align-items:center;
justify-content:center;font-size:30px;color:#fff}
.ok{background:#1f9d55}.bad{background:#d64545}
h1{font-size:22px;margin:0 0 10px}p{line-height:1.5;color:#4a5263;margin:0}
small{display:block;margin-top:22px;color:#8a91a0}
@media (prefers-color-scheme:dark){body{background:#15181e;color:#e8eaf0}main{background:#1f232b;
box-shadow:none}p{color:#b5bbc8}}
"""


def _page(title: str, message: str, *, ok: bool, status: int = 200) -> HTMLResponse:
    mark = '<div class="mark ok">✓</div>' if ok else '<div class="mark bad">!</div>'
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)} · Port MCP Bridge</title>"
        f"<meta name=viewport content='width=device-width'><style>{_STYLE}</style>"
        f"<main>{mark}<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p><small>Port MCP Bridge</small></main>"
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
