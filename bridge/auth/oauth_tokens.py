"""The bridge's token source for a browser-signed-in profile: one per profile, one refresh at a time.

- The tokens are read from the keychain once (in a worker thread) and kept in memory; every refresh result is written
  back *before* the new tokens are used, so a rotated refresh token is never lost to a crash.
- Proactive refresh at about 80 % of the access token's lifetime, judged by the wall clock: after the machine sleeps
  through the expiry, the first request (or the background timer, whichever comes first) refreshes.
- Reactive refresh after an upstream 401, shared by all requests that saw it (single flight).
- `invalid_grant` means the sign-in is over (revoked, idle too long, or a refresh token reused): the profile becomes
  "sign-in needed" and stays so, without retry loops, until the user signs in again; the saved record is marked
  `refused`, so every other reader of the keychain (`profiles list`, doctor, another process) says so too.
- Each refresh holds the sign-in's inter-process lock (`sign_in_lock`) and re-reads the keychain under it: tokens
  another process has just rotated are taken into use, never refreshed a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import filelock
import httpx2

from bridge.auth import store
from bridge.auth.records import TOKENS_REF, TokenRecord, now
from bridge.auth.tokens import AuthState
from bridge.errors import KeychainError, SignInRequired
from bridge.settings import Profile
from bridge.system import paths

log = logging.getLogger(__name__)

Clock = Callable[[], float]
REFUSED = "the saved sign-in has expired or was revoked, so Port asks you to sign in again."


def sign_in_lock(entry: str) -> filelock.BaseFileLock:
    """The inter-process lock of one sign-in (its keychain entry), taken around each refresh: a refresh token is
    spent by use, so two processes refreshing it at once would end the sign-in (Port's reuse detection)."""
    folder = paths.config_dir() / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = hashlib.sha256(entry.encode()).hexdigest()[:32]
    return filelock.FileLock(folder / f"sign-in-{name}.lock", mode=0o600, thread_local=False)


@contextlib.asynccontextmanager
async def _held(lock: filelock.BaseFileLock, timeout: float) -> AsyncIterator[None]:
    """`lock` taken in a worker thread (it may wait on another process). Cancelled while waiting, the lock is given
    back as soon as the thread gets it, so a cancelled request never leaves the sign-in locked."""
    taking = asyncio.ensure_future(asyncio.to_thread(lock.acquire, timeout=timeout))
    try:
        await asyncio.shield(taking)
    except asyncio.CancelledError:

        def give_back(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                lock.release()

        taking.add_done_callback(give_back)
        raise
    try:
        yield
    finally:
        lock.release()


class RefreshRefused(Exception):
    """The authorization server will not refresh these tokens any more (`invalid_grant` and the like)."""


async def refresh_tokens(record: TokenRecord, *, clock: Clock = now) -> TokenRecord:
    """One refresh-token grant with authlib. Raises `RefreshRefused`, or httpx2.HTTPError when Port is unreachable."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError  # a few MiB: only when refreshing

    if not record.refresh_token:
        raise RefreshRefused("no refresh token")
    issued = clock()
    async with AsyncOAuth2Client(
        client_id=record.client_id,
        client_secret=record.client_secret,
        token_endpoint_auth_method=record.token_endpoint_auth_method,
        timeout=30,
    ) as client:
        extra = {"resource": record.resource} if record.resource else {}
        try:
            token = await client.refresh_token(record.token_endpoint, refresh_token=record.refresh_token, **extra)
        except OAuthError as exc:
            if exc.error in ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"):
                raise RefreshRefused(exc.error) from None
            raise httpx2.HTTPError(f"token endpoint error {exc.error}") from None
    return TokenRecord.from_response(dict(token), now=issued, previous=record)


class OAuthTokenProvider:
    """`TokenProvider` for an OAuth profile. Create it anywhere; it does its I/O on first use, in the bridge's loop."""

    REFRESH_FRACTION = 0.8
    LOCK_WAIT = 60.0  # seconds for another process's refresh (30 s at most) to finish
    TICK = 30.0  # the background timer re-reads the wall clock this often, so sleep and clock jumps are noticed

    def __init__(self, profile: Profile, *, clock: Clock | None = None, refresh: bool = True) -> None:
        self._profile_id = profile.id
        self._name = profile.name
        self._entry = profile.secret_refs.get(TOKENS_REF)
        self._clock = clock or (lambda: now())  # looked up at each call: tests move the wall clock
        self._may_refresh = refresh  # False for a second process (doctor): only the bridge refreshes, or they'd race
        self._record: TokenRecord | None = None
        self._loaded = False
        self._lock: asyncio.Lock | None = None
        self._timer: asyncio.Task[None] | None = None
        self._closed = False
        self.refreshes = 0  # how many refresh grants this provider sent (status, tests)
        self.state = AuthState.SIGNED_IN if self._entry else AuthState.NEEDS_SIGN_IN
        self.message: str | None = None

    # --- what the bridge and the GUI read -------------------------------------------------------------------

    @property
    def expires_at(self) -> float | None:
        return self._record.expires_at if self._record else None

    @property
    def record(self) -> TokenRecord | None:
        return self._record

    # --- TokenProvider ------------------------------------------------------------------------------------------

    async def token(self) -> str:
        record = await self._load()
        usable = self.state != AuthState.NEEDS_SIGN_IN
        if record is not None and usable and not record.refresh_due(self._clock(), self.REFRESH_FRACTION):
            return record.access_token
        record = await self._refresh(due_only=True)
        return record.access_token

    async def refresh_after_401(self, rejected: str) -> str | None:
        try:
            return (await self._refresh(rejected=rejected)).access_token
        except SignInRequired:
            return None

    async def load(self) -> None:
        """Read the saved sign-in now, not at the first request: the bridge at start, so the state it shows (the tray's
        icon) is what the keychain holds, "sign-in needed" included."""
        with contextlib.suppress(SignInRequired):
            await self._load()

    def close(self) -> None:
        """The profile's settings changed (new sign-in, sign-out): stop, and never write to the keychain again."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()

    # --- internals ----------------------------------------------------------------------------------------------

    def _needs_sign_in(self, why: str) -> SignInRequired:
        self.state = AuthState.NEEDS_SIGN_IN
        self.message = why
        return SignInRequired(why)

    async def _load(self) -> TokenRecord | None:
        if self._loaded:
            return self._record
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._loaded:
                try:
                    self._record = await asyncio.to_thread(store.load_tokens, self._entry)
                except KeychainError as exc:
                    raise self._needs_sign_in(exc.message) from None
                self._loaded = True
                if self._record is None:
                    self._needs_sign_in(f"{self._name} is not signed in.")
                elif self._record.refused:  # Port refused it before, perhaps to another process
                    self._needs_sign_in(REFUSED)
                elif self._may_refresh:
                    self._schedule()
        return self._record

    async def _refresh(self, *, due_only: bool = False, rejected: str | None = None) -> TokenRecord:
        await self._load()
        assert self._lock is not None
        async with self._lock:
            record = self._record
            if self.state == AuthState.NEEDS_SIGN_IN or record is None:
                raise SignInRequired(self.message or f"{self._name} is not signed in.")
            current = self._clock()
            if self._served(record, current, due_only, rejected):
                return record  # another caller refreshed while we waited, or the rejected token was replaced
            if not self._may_refresh:
                if record.expired(current) or rejected is not None:
                    raise SignInRequired(
                        "the saved access token has expired. The running bridge renews it: start Port MCP Bridge, or "
                        "sign in again.",
                        cli="The bridge is `port-mcp-bridge serve` (or the app).",
                    )
                return record
            assert self._entry is not None  # the record was read from it (`_load`)
            try:
                async with _held(sign_in_lock(self._entry), self.LOCK_WAIT):
                    # Another process (a CLI, another bridge) may have rotated the tokens meanwhile: sending the
                    # spent refresh token again would make Port revoke the whole sign-in.
                    try:
                        saved = await asyncio.to_thread(store.load_tokens, self._entry)
                    except KeychainError:
                        saved = record  # the keychain is gone for now: refresh what we hold, as before
                    if saved is None or saved.refused:
                        raise self._needs_sign_in(REFUSED if saved else f"{self._name} was signed out.")
                    if (saved.access_token, saved.refresh_token) != (record.access_token, record.refresh_token):
                        self._record = record = saved
                        self.state, self.message = AuthState.SIGNED_IN, None
                        if self._served(record, current, due_only, rejected):
                            return record
                    return await self._grant(record, current, rejected)
            except filelock.Timeout:  # another process has held the sign-in's lock for a minute: it is stuck
                self.state = AuthState.ERROR
                log.warning("profile %s: the sign-in is locked by another process; not refreshing", self._profile_id)
                if not record.expired(current) and rejected is None:
                    return record
                raise httpx2.HTTPError("the sign-in is locked by another process") from None

    def _served(self, record: TokenRecord, current: float, due_only: bool, rejected: str | None) -> bool:
        """`record` already answers the need: not due yet, or not the token Port rejected."""
        if due_only and not record.refresh_due(current, self.REFRESH_FRACTION):
            return True
        return rejected is not None and record.access_token != rejected

    async def _grant(self, record: TokenRecord, current: float, rejected: str | None) -> TokenRecord:
        """One refresh grant, under the sign-in's inter-process lock; the result saved before anyone uses it."""
        assert self._entry is not None
        try:
            fresh = await refresh_tokens(record, clock=self._clock)
        except RefreshRefused as exc:
            log.warning("profile %s: Port refused to refresh the sign-in (%s)", self._profile_id, exc)
            if not self._closed:  # so `profiles list`, doctor and any other process say so too, without asking Port
                with contextlib.suppress(KeychainError):
                    await asyncio.to_thread(store.save_tokens, self._entry, dataclasses.replace(record, refused=True))
            raise self._needs_sign_in(REFUSED) from None
        except httpx2.HTTPError as exc:
            self.state = AuthState.ERROR
            log.warning("profile %s: token refresh failed: %s", self._profile_id, type(exc).__name__)
            if not record.expired(current) and rejected is None:
                return record  # still valid: use it, and try again on the next request
            raise
        self.refreshes += 1
        if self._closed:
            raise SignInRequired(f"{self._name} was signed in again or out; retry.")
        try:
            await asyncio.to_thread(store.save_tokens, self._entry, fresh)  # before anyone uses it
        except KeychainError as exc:
            log.error("profile %s: could not save refreshed tokens: %s", self._profile_id, exc.title)
        self._record = fresh
        self.state = AuthState.SIGNED_IN
        self.message = None
        self._schedule()
        return fresh

    def _schedule(self) -> None:
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(self._keep_fresh(), name=f"refresh-{self._profile_id}")

    async def _keep_fresh(self) -> None:
        """Refresh when due even when no request comes: keeps Port's idle limit from ending the sign-in."""
        while not self._closed and self.state != AuthState.NEEDS_SIGN_IN:
            record = self._record
            if record is None:
                return
            wait = record.issued_at + record.lifetime * self.REFRESH_FRACTION - self._clock()
            if wait > 0:
                await asyncio.sleep(min(wait, self.TICK))
                continue
            with contextlib.suppress(SignInRequired, httpx2.HTTPError):
                await self._refresh(due_only=True)
            if self.state == AuthState.ERROR:
                await asyncio.sleep(self.TICK)  # Port unreachable: don't spin
