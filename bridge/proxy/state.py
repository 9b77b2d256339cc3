"""What the proxy knows at run time: one `Upstream` per profile, and which MCP session belongs to which profile."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bridge.auth.tokens import TokenProvider
from bridge.policy import Policy
from bridge.policy.renames import ToolDrift, exposure_drift
from bridge.settings import Profile


@dataclass
class Upstream:
    """A profile as the proxy uses it: where to forward, with which token and policy, and what it last listed.

    `listed` is the last `tools/list` answer the proxy rewrote for this upstream, kept so that the same list (the
    usual case: every new session lists the same tools) costs a bytes comparison instead of decode, rewrite and
    encode. It records the policy it was rewritten under, so a policy change is a miss by construction.
    """

    profile: Profile
    tokens: TokenProvider
    policy: Policy
    known_tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_error: str | None = None
    refused: bool = False  # Port refused the token even after a refresh: the profile needs a sign-in
    listed: Any = field(default=None, repr=False, compare=False)  # a `forward.ListedTools`
    # The names Port listed last (None: no list seen yet) and those that appeared since the first list this run: what
    # `tool_drift` compares the profile's exposure list with (`toolslist.note_listed` keeps them).
    listed_names: frozenset[str] | None = field(default=None, repr=False, compare=False)
    appeared_names: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    noted_known: Any = field(default=None, repr=False, compare=False)  # the `known` dict last noted (a cache hit: same)
    _drift: tuple[tuple[Any, ...], ToolDrift] | None = field(default=None, repr=False, compare=False)
    # Per-request constants, built once: (policy they were built for, header pairs) and (token, header pair).
    _policy_headers: tuple[Policy | None, list[tuple[bytes, bytes]]] = field(
        default=(None, []), repr=False, compare=False
    )
    _authorization: tuple[str | None, tuple[bytes, bytes]] = field(
        default=(None, (b"authorization", b"")), repr=False, compare=False
    )

    def policy_headers(self) -> list[tuple[bytes, bytes]]:
        """`x-read-only-mode` / `x-allowed-actions-to-run` as header pairs, rebuilt only when the policy changes."""
        policy, headers = self._policy_headers
        if policy is not self.policy:
            headers = [(k.encode(), v.encode()) for k, v in self.policy.upstream_headers().items()]
            self._policy_headers = (self.policy, headers)
        return headers

    def authorization(self, token: str) -> tuple[bytes, bytes]:
        """The `Authorization` header pair for `token`, rebuilt only when the token changes."""
        cached, header = self._authorization
        if cached != token:
            header = (b"authorization", f"Bearer {token}".encode())
            self._authorization = (token, header)
        return header

    def tool_drift(self) -> ToolDrift | None:
        """The profile's exposure list against Port's last list (None before any list): names gone, new, renamed."""
        listed, appeared = self.listed_names, self.appeared_names
        if listed is None:
            return None
        tools, read_only = self.profile.tools, self.profile.read_only
        # Asked on every snapshot (the tray polls each second): computed again only when an input changed.
        key = (listed, appeared, tools.mode, tuple(tools.names), read_only)  # the sets by identity, below
        cached = self._drift
        if cached is not None and cached[0][0] is listed and cached[0][1] is appeared and cached[0][2:] == key[2:]:
            return cached[1]
        drift = exposure_drift(tools.mode, tools.names, listed, read_only=read_only, known=self.known_tools,
                               appeared=appeared)  # fmt: skip
        self._drift = (key, drift)
        return drift

    @property
    def url(self) -> str:
        return self.profile.mcp_url

    @property
    def host(self) -> str:
        return urlsplit(self.profile.mcp_url).netloc

    def describe(self) -> str:
        """'mcp.port.io (EU region)': how errors name the upstream."""
        return f"{self.host} ({self.profile.region_label})"


@dataclass(frozen=True)
class ClientInfo:
    """Who is on the other end of a session, as its `initialize` said: what Activity names, and whether an approval
    can be asked inside the IDE (`elicitation/create`). Read leniently: a client that says nothing is "" / False."""

    name: str = ""
    version: str = ""
    elicitation: bool = False

    @classmethod
    def from_initialize(cls, params: Any) -> ClientInfo:
        params = params if isinstance(params, dict) else {}
        info = params.get("clientInfo")
        info = info if isinstance(info, dict) else {}
        capabilities = params.get("capabilities")
        capabilities = capabilities if isinstance(capabilities, dict) else {}

        def text(value: Any) -> str:
            return value[:100] if isinstance(value, str) else ""  # a label, not a place to store a novel

        return cls(text(info.get("name")), text(info.get("version")), isinstance(capabilities.get("elicitation"), dict))


class Sessions:
    """Binds each upstream `Mcp-Session-Id` to the profile that created it, and ends sessions on a profile switch.

    A session never crosses organizations: a request whose session belongs to another profile than the one it is
    addressed to is answered 404, and the client starts a new session, as the MCP spec says.

    At most `limit` sessions are remembered, the oldest forgotten first: an IDE that quits without ending its session
    (most do) leaves one behind, and the tray app runs for weeks. A forgotten session still in use is answered 404
    and its client starts over, which Port (whose sessions expire much sooner) would have asked of it anyway.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._owner: dict[str, str] = {}
        self._clients: dict[str, ClientInfo] = {}  # session id -> its client, from its initialize
        self._streams: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._busy: dict[str, int] = {}  # session id -> requests being answered (on the proxy's loop only)
        self._lock = threading.Lock()

    def bind(self, session_id: str, profile_id: str, client: ClientInfo | None = None) -> None:
        with self._lock:
            self._owner.setdefault(session_id, profile_id)
            if client is not None:
                self._clients.setdefault(session_id, client)
            if len(self._owner) > self._limit:
                oldest = next(iter(self._owner))  # dicts keep insertion order: the oldest
                del self._owner[oldest]
                self._clients.pop(oldest, None)

    def client(self, session_id: str | None) -> ClientInfo | None:
        """The client that started the session (None: not known here, or no session)."""
        return self._clients.get(session_id) if session_id else None

    def owner(self, session_id: str) -> str | None:
        return self._owner.get(session_id)

    def usable(self, session_id: str, profile_id: str) -> bool:
        # A session this bridge did not see created (e.g. before a restart) is not trusted either: it might belong
        # to another organization on the same Port host, and a 404 costs the client only a new handshake.
        return self._owner.get(session_id) == profile_id

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._owner.pop(session_id, None)
            self._clients.pop(session_id, None)

    def end_profile(self, profile_id: str) -> list[str]:
        """End every session of a profile; returns their ids (the caller may DELETE them upstream)."""
        with self._lock:
            ended = [sid for sid, owner in self._owner.items() if owner == profile_id]
            for sid in ended:
                del self._owner[sid]
                self._clients.pop(sid, None)
        for sid in ended:
            for queue in self._streams.get(sid, set()):
                queue.put_nowait(b"")  # an empty item closes the client's stream
        return ended

    @contextlib.contextmanager
    def busy(self, session_id: str) -> Iterator[None]:
        """While a request on the session is being answered: `until_idle` waits for it."""
        self._busy[session_id] = self._busy.get(session_id, 0) + 1
        try:
            yield
        finally:
            left = self._busy[session_id] - 1
            if left:
                self._busy[session_id] = left
            else:
                del self._busy[session_id]

    async def until_idle(self, session_ids: list[str], timeout: float) -> None:
        """Until no request on these sessions is being answered, or `timeout` seconds. Polled: it runs only after a
        profile switch, and an ended session takes no new requests (404), so the count only goes down."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        while any(sid in self._busy for sid in session_ids) and loop.time() < give_up:
            await asyncio.sleep(0.05)

    def requests_under_way(self) -> int:
        """Requests being answered now, on every session (`/status`; tests wait on it rather than on time)."""
        return sum(list(self._busy.values()))  # list(): read from another thread while the loop may change it

    # server-to-client streams (GET), so the bridge can add its own notifications

    def streams_open(self) -> int:
        """Server-to-client streams open now (tests wait on it rather than on time)."""
        with self._lock:
            return sum(len(queues) for queues in self._streams.values())

    def open_stream(self, session_id: str) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        with self._lock:
            self._streams.setdefault(session_id, set()).add(queue)
        return queue

    def close_stream(self, session_id: str, queue: asyncio.Queue[bytes]) -> None:
        with self._lock:
            streams = self._streams.get(session_id)
            if streams is not None:
                streams.discard(queue)
                if not streams:
                    del self._streams[session_id]

    def notify(self, profile_id: str, event: bytes) -> int:
        """Queue an SSE event on every open stream of the profile's sessions; returns how many got it."""
        with self._lock:
            queues = [q for sid, qs in self._streams.items() if self._owner.get(sid) == profile_id for q in qs]
        for queue in queues:
            queue.put_nowait(event)
        return len(queues)


Resolver = Callable[[str | None], Upstream | None]
"""Given a pinned profile id (or None for the active profile), the Upstream to use, or None if there is none."""
