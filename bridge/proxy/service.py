"""The bridge as one object: settings, per-profile upstreams, sessions and the local HTTP server.

`serve` runs it in the foreground; the tray app and tests run it in a background thread with its own event loop. The
settings watcher's callbacks hop onto that loop, so all proxy state is touched from one thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge import __version__
from bridge.activity.recorder import Recorder
from bridge.approvals.broker import Broker
from bridge.approvals.model import Asker
from bridge.auth import store as auth_store
from bridge.auth.localkey import local_key
from bridge.auth.records import CREDENTIALS_REF
from bridge.auth.tokens import PROFILE_STATE, ClientCredentialsProvider, ProfileState, TokenProvider
from bridge.endpoint import NONCE_MAX, NONCE_MIN, base_url, listen, proof, valid_nonce
from bridge.errors import BridgeError
from bridge.policy import Policy
from bridge.policy.renames import ToolDrift
from bridge.proxy import jsonrpc, sse
from bridge.proxy.busy import busy
from bridge.proxy.forward import McpProxy
from bridge.proxy.guard import LocalGuard
from bridge.proxy.replies import reply
from bridge.proxy.state import Sessions, Upstream
from bridge.proxy.warm import Warm, follow, settle
from bridge.settings import AuthMode, Profile, Settings, SettingsStore, Watcher
from bridge.system.instance import BridgeLock
from bridge.system.loopback import LoopbackServer

log = logging.getLogger(__name__)
T = TypeVar("T")

TokenFactory = Callable[[Profile], TokenProvider]
LIST_CHANGED = sse.message_event({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
KEY_OFF = (
    "The local key is turned off (require_local_key is false in the settings): any program on this computer can use "
    "your Port sign-in through the bridge. Set require_local_key back to true in settings.json to require it again."
)


def default_tokens(profile: Profile) -> TokenProvider:
    """The profile's token source. Nothing is read here: providers read the keychain in a worker thread on first use."""
    from bridge.auth.oauth_tokens import OAuthTokenProvider

    if profile.auth_mode == AuthMode.TOKEN:
        entry = profile.secret_refs.get(CREDENTIALS_REF)
        return ClientCredentialsProvider(
            profile.api_url,
            profile_name=profile.name,
            load=lambda: auth_store.client_credentials(entry),
            no_url=profile.api_url_problem(),
        )
    return OAuthTokenProvider(profile)


@dataclass(frozen=True)
class ProfileStatus:
    id: str
    name: str
    active: bool
    state: ProfileState
    last_error: str | None
    expires_at: float | None = None  # the current access token's, wall clock (the tray shows it)
    tool_drift: ToolDrift | None = None  # the exposure list against Port's last tools/list (renamed tools)


class BridgeService:
    def __init__(
        self,
        store: SettingsStore | None = None,
        *,
        port: int | None = None,
        tokens: TokenFactory = default_tokens,
        host: str = "127.0.0.1",
        key: str | None = None,
        warm: bool = True,
        recorder: Recorder | None = None,
        asker: Asker | None = None,
        approval_timeout: float | None = None,
    ) -> None:
        """`recorder` takes each tools/call's record (default: none kept); `asker` asks the user to approve calls
        (the tray app's dialog; `approvals.set_asker` changes it later); `approval_timeout` overrides the settings'
        seconds (tests)."""
        self.store = store or SettingsStore()
        self.settings: Settings = self.store.load()
        self.sessions = Sessions()
        self._tokens = tokens
        self._upstreams: dict[str, Upstream] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # fire-and-forget work on the loop (`_background`)
        # `key` overrides the keychain's local key (the demo, which must run where no keychain exists).
        self._key: str | None = key or (local_key() if self.settings.require_local_key else None)
        if not self.settings.require_local_key:
            log.warning("%s", KEY_OFF)
        # One bridge per settings folder, held until it stops: two would refresh the same sign-in and lose it.
        self._instance = BridgeLock(self.store.path.parent)
        self._instance.acquire()
        try:
            self._sock = listen(self.settings.local_port if port is None else port, host)
        except BaseException:
            self._instance.release()
            raise
        self.port: int = self._sock.getsockname()[1]
        self._instance.announce(self.port)
        self.url = base_url(self.port, host)
        self.approvals = Broker(lambda: self.settings.approval_timeout, asker)
        self.approvals.override = approval_timeout
        self.proxy = McpProxy(self.resolve, self.sessions, recorder=recorder, broker=self.approvals)
        self.app = self._build_app()
        self._runner = LoopbackServer(self.app, self._sock, name="port-mcp-bridge", busy=busy)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watcher: Watcher | None = None
        self._warm_wanted = warm  # keep the active profile's Port connected (`proxy/warm.py`); off for byte-exact tests
        self._warming = False  # while a server runs (its lifespan), when wanted
        self.warm: Warm | None = None
        self._retired: set[asyncio.Task[None]] = set()  # keepers stopped by a profile switch, still ending
        self.paused = False  # the tray's Pause: keep the port, answer "paused" to every MCP request
        # Why the settings in use are not the file's (it could not be read): /status shows it until a good one comes.
        self.settings_problem: str | None = None

    # --- routing ---------------------------------------------------------------------------------------------

    def resolve(self, pinned: str | None) -> Upstream | None:
        profile = self.settings.find_profile(pinned) if pinned else self.settings.active()
        if profile is None or (pinned and profile.id != pinned):
            return None
        upstream = self._upstreams.get(profile.id)
        if upstream is None:
            upstream = Upstream(profile, self._tokens(profile), Policy.from_profile(profile))
            self._upstreams[profile.id] = upstream
        return upstream

    def apply_settings(self, new: Settings) -> None:
        """Take new settings into use (on the proxy's loop). Ends what must end, tells clients what changed."""
        old = self.settings
        self.settings = new
        self.settings_problem = None
        if old.require_local_key != new.require_local_key:
            if new.require_local_key:
                log.info("The local key is required again: clients must send it.")
            else:
                log.warning("%s", KEY_OFF)
        old_active, new_active = old.active_profile, new.active_profile
        if old_active and old_active != new_active:
            ended = self.sessions.end_profile(old_active)  # no request is ever answered from another organization
            upstream = self._upstreams.get(old_active)
            if ended and upstream is not None:
                self._background(self.proxy.end_sessions(upstream, ended))
        for profile_id, upstream in list(self._upstreams.items()):
            profile = new.find_profile(profile_id)
            if profile is None or profile.id != profile_id:
                self._drop(profile_id)
                continue
            before = upstream.profile
            if (before.mcp_url, before.auth_mode, before.secret_refs) != (
                profile.mcp_url,
                profile.auth_mode,
                profile.secret_refs,
            ):
                self._drop(profile_id)  # rebuilt with the new sign-in on the next request
                continue
            policy = Policy.from_profile(profile)
            upstream.profile = profile
            if policy != upstream.policy:
                upstream.policy = policy
                self.sessions.notify(profile_id, LIST_CHANGED)
        self._keep_warm()

    def _keep_warm(self) -> None:
        """Connections to the active profile's Port kept open and verified (at start, after a switch)."""
        if self._warming:
            active = self.settings.active()
            self.warm = follow(self.warm, self.proxy.sender, active.mcp_url if active else None, self._retired)

    def _read_active_sign_in(self) -> None:
        """The active OAuth profile's sign-in read at start, so its state is the keychain's (a sign-in Port ended shows
        as "sign-in needed" before any client asks) rather than "idle"."""
        active = self.settings.active()
        if active is None or active.auth_mode != AuthMode.OAUTH:
            return
        upstream = self.resolve(None)
        load = getattr(upstream.tokens, "load", None) if upstream else None
        if load is not None:
            self._background(load())

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on the loop without waiting for it; the task is kept referenced until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop(self, profile_id: str) -> None:
        self.sessions.end_profile(profile_id)
        upstream = self._upstreams.pop(profile_id)
        close = getattr(upstream.tokens, "close", None)
        if close is not None:
            close()  # a refresh in flight must not write the old sign-in back to the keychain

    def set_key(self, key: str) -> None:
        """Take a regenerated local key into use at once (clients with the old one get 401)."""
        self._key = key

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the bridge's event loop from another thread (the tray app's workers)."""
        if self._loop is None:
            coro.close()
            raise BridgeError("The bridge is not running.", title="Not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    @property
    def key(self) -> str | None:
        """The local key clients must send, or None when the user turned the requirement off."""
        if not self.settings.require_local_key:
            return None
        if self._key is None:
            self._key = local_key()  # turned on while running: read (or create) it now
        return self._key

    def status(self) -> list[ProfileStatus]:
        out = []
        for profile in self.settings.profiles:
            upstream = self._upstreams.get(profile.id)
            state: ProfileState = (
                "idle"
                if upstream is None
                else "needs_sign_in"
                if upstream.refused
                else PROFILE_STATE[upstream.tokens.state]
            )
            expires = getattr(upstream.tokens, "expires_at", None) if upstream else None
            out.append(ProfileStatus(profile.id, profile.name, profile.id == self.settings.active_profile, state,
                                     upstream.last_error if upstream else None, expires,
                                     upstream.tool_drift() if upstream else None))  # fmt: skip
        return out

    # --- the HTTP app ----------------------------------------------------------------------------------------

    def _build_app(self) -> LocalGuard:
        async def health(request: Request) -> Response:
            active = self.settings.active()
            said: dict[str, Any] = {
                "ok": True,
                "app": "port-mcp-bridge",
                "version": __version__,
                "activeProfile": active.id if active else None,
            }
            challenge = request.query_params.get("challenge")
            if challenge is not None:  # proves to the shim, doctor, status that this is the bridge, before the key
                if not valid_nonce(challenge):
                    why = f"challenge: {NONCE_MIN} to {NONCE_MAX} characters of A-Z, a-z, 0-9, - and _"
                    return JSONResponse({"ok": False, "error": why}, status_code=400)
                key = self.key
                if key is not None:  # the answer is worth nothing without the key, and on another port
                    said["proof"] = proof(key, self.port, challenge)
            return JSONResponse(said)

        async def not_found(request: Request, exc: Exception) -> Response:
            return JSONResponse(
                {
                    "jsonrpc": "2.0",
                    "id": None,
                    "error": {"code": -32600, "message": "Not found: the MCP endpoint is /mcp."},
                },
                status_code=404,
            )

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            loop = self._loop = asyncio.get_running_loop()

            def changed(settings: Settings) -> None:  # on the watcher's thread: apply them on the loop
                loop.call_soon_threadsafe(self.apply_settings, settings)

            def unreadable(message: str) -> None:  # the watcher logged it; kept for /status
                loop.call_soon_threadsafe(setattr, self, "settings_problem", message)

            watcher = self._watcher = self.store.watch(changed, on_error=unreadable)
            self._read_active_sign_in()
            self._warming = self._warm_wanted
            self._keep_warm()
            try:
                yield
            finally:
                watcher.stop()
                self._warming = False  # a settings change arriving now starts no keeper on a closing loop
                warm, self.warm = self.warm, None
                await settle([warm.stop() if warm else None, *self._retired])  # their connects end before the loop
                await self.proxy.aclose()

        async def status(request: Request) -> Response:
            return JSONResponse(
                {
                    "running": True,
                    "paused": self.paused,
                    "pid": os.getpid(),
                    "url": self.url,
                    "local_key_required": self.settings.require_local_key,
                    "settings_problem": self.settings_problem,
                    "version": __version__,
                    "profiles": [asdict(p) for p in self.status()],  # tool_drift is a dataclass too
                }
            )

        mcp = _Pausable(self.proxy, lambda: self.paused)
        routes = [Route("/healthz", health), Route("/status", status)]  # /mcp and /p/<id>/mcp: the guard sends them on
        app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})
        return LocalGuard(app, port=lambda: self.port, key=lambda: self.key, mcp=mcp)

    # --- running -----------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> BridgeService:
        """Serve from a background thread (tray app, tests); returns once the server accepts connections."""
        try:
            self._runner.start(timeout)
        except BaseException:
            self._instance.release()
            raise
        return self

    def stop(self) -> None:
        try:
            self._runner.stop()
        finally:
            self._instance.release()

    def serve_forever(self) -> None:
        try:
            self._runner.serve_forever()
        finally:
            self._instance.release()

    def __enter__(self) -> BridgeService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Pausable:
    """The MCP endpoint, or while paused a JSON-RPC error that says how to resume (the port stays ours)."""

    def __init__(self, app: ASGIApp, paused: Callable[[], bool]) -> None:
        self.app = app
        self.paused = paused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.paused():
            await self.app(scope, receive, send)
            return
        why = (
            "Port MCP Bridge is paused. Resume it from Port MCP Bridge's menu, and your assistant can reach Port again."
        )
        await reply(send, 503, jsonrpc.error(None, jsonrpc.UPSTREAM_UNAVAILABLE, why, {"state": "paused"}))
