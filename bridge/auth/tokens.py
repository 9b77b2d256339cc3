"""Where the bridge gets the bearer token for a profile's upstream requests.

`TokenProvider` is the interface the proxy uses; the sign-in work (browser OAuth) implements it too. Here: token mode
(Port API client id + secret exchanged at `{api}/auth/access_token`) and a fixed token for tests and scripts; browser
sign-in's provider is `bridge.auth.oauth_tokens.OAuthTokenProvider`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Literal, Protocol

import httpx2

from bridge.errors import BridgeError, SignInRequired, credentials_page
from bridge.settings.values import port_address


class AuthState(StrEnum):
    SIGNED_IN = "signed_in"
    NEEDS_SIGN_IN = "needs_sign_in"  # no credentials, or they were refused: the user must act
    ERROR = "error"  # the token service could not be reached: retried on the next request


# A profile as the tray shows it: "idle" until the bridge first uses it, then its token source's state.
ProfileState = Literal["idle", "signed_in", "needs_sign_in", "error"]
PROFILE_STATE: dict[AuthState, ProfileState] = {
    AuthState.SIGNED_IN: "signed_in",
    AuthState.NEEDS_SIGN_IN: "needs_sign_in",
    AuthState.ERROR: "error",
}


class TokenProvider(Protocol):
    """One per profile. Implementations make concurrent callers share one refresh (single flight)."""

    @property
    def state(self) -> AuthState: ...

    async def token(self) -> str:
        """A token believed valid now; raises `SignInRequired` when there is none to be had."""
        ...

    async def refresh_after_401(self, rejected: str) -> str | None:
        """Upstream refused `rejected`: get a new token once, or None if the user must sign in again."""
        ...


class StaticTokenProvider:
    """A fixed token (tests, scripts); after a 401 there is nothing to refresh."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.state = AuthState.SIGNED_IN

    async def token(self) -> str:
        return self._token

    async def refresh_after_401(self, rejected: str) -> str | None:
        self.state = AuthState.NEEDS_SIGN_IN
        return None


class ClientCredentialsProvider:
    """Token mode: exchange a Port API client id and secret for a token, and again shortly before it expires.

    Expiry is judged by the wall clock, so a machine that slept past it exchanges again on the next request. The
    credentials can be given, or read from the keychain (in a worker thread) on first use with `load`.
    """

    EARLY = 60.0  # renew this many seconds before expiry, so no request carries a token about to lapse

    def __init__(
        self,
        api_url: str | None,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        profile_name: str = "this profile",
        load: Callable[[], tuple[str, str] | None] | None = None,
        clock: Callable[[], float] = time.time,
        no_url: str | None = None,
    ) -> None:
        # None: no API URL is known for this profile (a custom MCP URL without one), so no credentials go anywhere.
        self._url = None if api_url is None else api_url.rstrip("/") + "/auth/access_token"
        self._no_url = no_url or f"{profile_name} has no API URL to send its credentials to."
        self._credentials = (client_id, client_secret) if client_id and client_secret else None
        self._load_credentials = load
        self._profile = profile_name
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None
        self.state = AuthState.SIGNED_IN

    @property
    def expires_at(self) -> float | None:
        return self._expires_at if self._token else None

    def _fresh(self) -> str | None:
        """The token while it is good for a while yet, else None."""
        token = self._token
        return token if token is not None and self._clock() < self._expires_at - self.EARLY else None

    async def token(self) -> str:
        if (token := self._fresh()) is not None:
            return token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if (token := self._fresh()) is not None:
                return token  # another caller renewed it while we waited
            return await self._exchange()

    async def refresh_after_401(self, rejected: str) -> str | None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token and self._token != rejected:
                return self._token  # someone already replaced the rejected token
            try:
                return await self._exchange()
            except SignInRequired:
                return None

    async def _exchange(self) -> str:
        if self._url is None:  # checked before the keychain is even read
            self.state = AuthState.NEEDS_SIGN_IN
            raise SignInRequired(self._no_url)
        if self._credentials is None and self._load_credentials is not None:
            try:
                self._credentials = await asyncio.to_thread(self._load_credentials)
            except BridgeError as exc:  # the keychain is locked or missing: say so to the client, as a sign-in problem
                self.state = AuthState.NEEDS_SIGN_IN
                raise SignInRequired(exc.message) from None
        if self._credentials is None:
            self.state = AuthState.NEEDS_SIGN_IN
            raise SignInRequired(
                f"{self._profile} has no saved API credentials: enter them in Settings → Profiles.",
                cli="Save them with `port-mcp-bridge login --token`.",
            )
        client_id, secret = self._credentials
        async with httpx2.AsyncClient(timeout=15) as http:
            try:
                response = await http.post(self._url, json={"clientId": client_id, "clientSecret": secret})
            except httpx2.HTTPError:
                self.state = AuthState.ERROR
                raise
        if response.status_code in (401, 403, 404, 422):
            self.state = AuthState.NEEDS_SIGN_IN
            self._token = None
            raise SignInRequired(
                f"Port refused the API credentials of {self._profile}. Create new ones in Port (the … menu at the top "
                "right → Credentials) and enter them in Settings → Profiles.",
                actions=(credentials_page(web_app_url(self._url)),),
                cli="Save new ones with `port-mcp-bridge login --token`.",
            )
        response.raise_for_status()
        body = response.json()
        issued = self._clock()
        self._token = str(body["accessToken"])
        self._expires_at = issued + float(body.get("expiresIn", 10800))
        self.state = AuthState.SIGNED_IN
        return self._token


def web_app_url(api_url: str) -> str:
    """Where the user opens Port in the browser for an API address: the region's web app for Port's own hosts
    (`api.port.io` → `app.port.io`), else the address's own host and port (a custom or local Port)."""
    known = port_address(api_url)
    if known is not None:
        return f"https://{known.port_region.app_host}"
    url = httpx2.URL(api_url)
    return f"{url.scheme}://{url.netloc.decode()}"
