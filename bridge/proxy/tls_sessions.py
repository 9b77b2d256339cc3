"""TLS session resumption for the upstream connections (`http11.Pool`): per origin, the newest session a connection to
it received, offered when the pool opens the next one, so the server can skip sending and signing its certificate.
With TLS 1.3 the handshake still takes one round trip: what it saves is CPU on both sides and the certificate's bytes
(docs/performance.md, "TLS session resumption"). A server that refuses the session does a full handshake by itself.

Nothing here logs: a session is a secret of the connection's."""

from __future__ import annotations

import ssl
import time
from typing import cast

Origin = tuple[str, str, int]  # scheme, host, port: `http11.Key`


class TlsSessions:
    """One pool's sessions (all made by its one context, so only ever offered to the context they came from)."""

    def __init__(self) -> None:
        self.newest: dict[Origin, ssl.SSLSession] = {}

    def remember(self, origin: Origin, ssl_object: ssl.SSLObject | None) -> None:
        """Keep the session of a connection to `origin` that has read a complete answer (TLS 1.3's tickets arrive after
        the handshake: by then they are in), if the server can resume it (a ticket) and it has not expired."""
        session = ssl_object.session if ssl_object is not None else None
        if session is not None and session.has_ticket and _fresh(session):
            self.newest[origin] = session

    def offer(self, origin: Origin, context: ssl.SSLContext) -> ssl.SSLContext:
        """What a new connection to `origin` is given as its TLS context: `context`, offering the origin's session when
        one is kept and fresh."""
        session = self.newest.get(origin)
        if session is None:
            return context
        if not _fresh(session):
            del self.newest[origin]
            return context
        return cast(ssl.SSLContext, _Resuming(context, session))


def _fresh(session: ssl.SSLSession) -> bool:
    """Not past its lifetime (the server's ticket lifetime hint, when it gave one, and OpenSSL's own timeout)."""
    age = time.time() - session.time
    hint = session.ticket_lifetime_hint
    return age < session.timeout and (not hint or age < hint)


class _Resuming:
    """A client TLS context offering `session`, for one connection: the pool's context (its CA store, hostname check
    and every setting as they are) with `session=` added where a TLS connection begins, `wrap_bio`.

    Neither asyncio's nor uvloop's `create_connection` takes a session; both call `wrap_bio` on the `ssl` they are
    given, and nothing else of it (uvloop checks its type in `start_tls` and servers, not here). The context itself
    is httpx2's too (its proxied connections), so it is wrapped, not changed. Anything else asked of this is the
    context's."""

    __slots__ = ("_context", "_session")

    def __init__(self, context: ssl.SSLContext, session: ssl.SSLSession) -> None:
        self._context = context
        self._session = session

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        offered = self._session if session is None else session
        return self._context.wrap_bio(
            incoming, outgoing, server_side=server_side, server_hostname=server_hostname, session=offered
        )

    def __getattr__(self, name: str) -> object:
        return getattr(self._context, name)
