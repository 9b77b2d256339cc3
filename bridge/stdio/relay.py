"""The relay: one client's session with the bridge, kept alive across the bridge's own session changes.

Each stdin line is POSTed as it is (Streamable HTTP) and each answer written to stdout; requests run concurrently, so
a long `tools/call` holds up nothing else. Once initialized, the session's GET stream brings the server's own messages
(resumed with `Last-Event-ID` when it drops). A session the bridge no longer knows (404: a profile switch, a restart)
is replaced transparently: the client's `initialize` replayed, the message retried once, and the client told to list
tools again. Whatever fails becomes a JSON-RPC error for each request id, never a hang. At EOF the session is DELETEd.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from bridge import endpoint
from bridge.proxy import http11, jsonrpc
from bridge.proxy.headers import first
from bridge.proxy.sse import EventSplitter
from bridge.stdio.framing import answered_ids, event_id, event_line, method_of, one_line, request_ids
from bridge.stdio.launch import moved_to
from bridge.stdio.pipes import Stdout, stdin_lines

log = logging.getLogger(__name__)

LIST_CHANGED = b'{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'
_INITIALIZED = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
_HEALTH = endpoint.HEALTH_PATH.encode()
# (connect, read) timeouts in seconds; read is the longest silence while an answer is awaited or streams
_POST_TIMEOUT = (10.0, 300.0)  # a tool call may take minutes: the bridge gives up at 300 s
_STREAM_TIMEOUT = (10.0, None)  # the GET stream is quiet while the server has nothing
_DELETE_TIMEOUT = (2.0, 2.0)
_RECOVERIES = (5, 60.0)  # at most this many new sessions in this many seconds: beyond, the bridge is refusing them


class _Origin:
    """Where the bridge listens, as `http11.Pool` takes it: its key, and its Host header and path."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.key: http11.Key = ("http", parts.hostname or endpoint.HOST, parts.port or 80)
        self.host = parts.netloc.encode()
        self.path = (parts.path or "/").encode()


class _Failed(Exception):
    """A message could not be delivered: answered with a JSON-RPC error for each of its requests (or `ids`)."""

    def __init__(self, message: str, code: int = jsonrpc.UPSTREAM_UNAVAILABLE, ids: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.ids = message, code, ids


class _Expired(Exception):
    """The bridge answered 404 to a request that carried a session id: that session is gone."""


class _Session:
    """One client's session with the bridge: what it sends goes to the bridge, what the bridge says comes back."""

    def __init__(self, url: str, key: str | None, out: Stdout) -> None:
        self.url, self.origin, self.out = url, _Origin(url), out
        self.base = [(b"Host", self.origin.host), *([(b"Authorization", f"Bearer {key}".encode())] if key else [])]
        self.base.append((b"X-Port-MCP-Bridge-Via", b"stdio"))  # Activity says the call came through the shim
        # One pool of kept-alive connections, the bridge's own upstream client: no client layer (URL merging, auth,
        # redirects, cookies, proxies from the environment: nothing the shim needs), and no TLS (plain loopback).
        self.http = http11.Pool(None)
        self.session_id: str | None = None
        self.protocol: str | None = None
        self.init_line: bytes | None = None  # the client's initialize, replayed when the bridge ends the session
        self.initialized = False  # notifications/initialized went through
        self.gate: asyncio.Future[_Failed | None] | None = None  # set while initialize or a replay is in flight
        self.recoveries: deque[float] = deque(maxlen=_RECOVERIES[0])
        self.tasks: set[asyncio.Task[None]] = set()
        self.stream: asyncio.Task[None] | None = None

    # --- from the client ---

    def handle(self, line: bytes) -> None:
        line = line.strip()
        if not line:
            return
        message = jsonrpc.loads_or_none(line)
        if message is None:  # not JSON, or JSON `null`: no message either way
            log.warning("Skipped a line on stdin that is not JSON (%d bytes).", len(line))
            return
        self._spawn(self._deliver(line, message))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, line: bytes, message: Any) -> None:
        ids = request_ids(message)
        method = method_of(message)
        repeatable = jsonrpc.safe_to_repeat(message if isinstance(message, list) else [message])
        gate: asyncio.Future[_Failed | None] | None = None
        try:
            if method == "initialize":
                self.init_line, self.initialized, self.session_id = line, False, None
            elif self.gate is not None:  # the session is being made: this message belongs to the new one
                await asyncio.shield(self.gate)
            if method in ("initialize", "notifications/initialized"):
                # What follows waits for these: on separate connections it could reach the server before them.
                gate = self.gate = asyncio.get_running_loop().create_future()
            renewed = False
            try:
                await self._post(line, ids, repeatable=repeatable, initialize=method == "initialize")
            except _Expired as expired:
                if gate is not None:  # the renewal waits for no gate but its own
                    self.gate = None
                    gate.set_result(None)
                    gate = None
                renewed = await self._renew(str(expired))
                try:
                    if method != "notifications/initialized":  # the renewal has just sent that one
                        await self._post(line, ids, repeatable=repeatable)
                except _Expired:
                    raise _Failed(
                        "The bridge ended the new session at once. Try again, or restart the client."
                    ) from None
            if renewed:
                await self.out.write(LIST_CHANGED)
            if method == "notifications/initialized":
                self.initialized = True
                if self.stream is None or self.stream.done():
                    self.stream = asyncio.ensure_future(self._listen())
        except _Failed as exc:
            if exc.ids is None and not ids:
                log.warning("%s", exc.message)
            for msg_id in ids if exc.ids is None else exc.ids:
                await self.out.write(jsonrpc.encode(jsonrpc.error(msg_id, exc.code, exc.message)))
        finally:
            if gate is not None:
                self.gate = None
                gate.set_result(None)

    # --- to the bridge ---

    def _headers(
        self, session_id: str | None, accept: bytes = b"application/json, text/event-stream", protocol: bool = True
    ) -> list[tuple[bytes, bytes]]:
        headers = [*self.base, (b"Accept", accept)]
        if session_id:
            headers.append((b"Mcp-Session-Id", session_id.encode("latin-1")))
        if self.protocol and protocol:
            headers.append((b"MCP-Protocol-Version", self.protocol.encode()))
        return headers

    async def _send(
        self,
        method: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        timeout: tuple[float, float | None],
        target: bytes | None = None,
        *,
        repeatable: bool,
    ) -> http11.Response:
        """Send a request (to the MCP path unless `target`); returns with the answer's status and headers, its body
        left to stream (read it, then `aclose` it). Raises what `http11.errors()` names. `repeatable`: see
        `http11.Pool.request`."""
        if body:
            headers = [*headers, (b"Content-Length", b"%d" % len(body))]
        head = http11.request_head(method, target or self.origin.path, headers)
        return await self.http.request(
            self.origin.key, head, body, connect_timeout=timeout[0], read_timeout=timeout[1], repeatable=repeatable
        )

    async def _unreachable(self, exc: Exception) -> _Failed:
        import httpcore2  # loaded already: `exc` is one of its exceptions

        stopped = isinstance(exc, httpcore2.ConnectError | httpcore2.ConnectTimeout)
        if not stopped and not isinstance(exc, httpcore2.TimeoutException):
            # A kept-alive connection that broke: is it the bridge that stopped? A new connection tells.
            try:
                probe = await self._send(
                    b"GET", [(b"Host", self.origin.host)], b"", _DELETE_TIMEOUT, target=_HEALTH, repeatable=True
                )
                await probe.aclose()
            except httpcore2.ConnectError:
                stopped = True
            except http11.errors():
                pass
        if stopped:
            moved = moved_to(self.origin.key[2])
            if moved is not None:
                return _Failed(
                    f"The Port MCP Bridge moved to port {moved} (its port {self.origin.key[2]} was taken). Restart "
                    "this client's connection to the bridge (or the client) to follow it."
                )
            return _Failed(
                f"The Port MCP Bridge stopped: nothing answers at {self.url}. Start it again from the tray app or with "
                "`port-mcp-bridge serve`; `port-mcp-bridge doctor` checks the whole way to Port."
            )
        if isinstance(exc, httpcore2.TimeoutException):
            return _Failed("The bridge did not answer in time (300 s). Try again; `port-mcp-bridge doctor` checks "
                           "the whole way to Port.")  # fmt: skip
        return _Failed(f"The connection to the bridge broke ({type(exc).__name__}). Try again; if it keeps "
                       "happening, run `port-mcp-bridge doctor`.")  # fmt: skip

    async def _post(
        self, line: bytes, ids: list[Any], *, repeatable: bool, initialize: bool = False, replay: bool = False
    ) -> list[bytes]:
        """POST one line. Writes the answer to stdout (unless `replay`) and returns what it wrote. `repeatable`: the
        line may be sent twice should the first sending be lost (`jsonrpc.safe_to_repeat`)."""
        session_id = self.session_id
        headers = [*self._headers(session_id, protocol=not initialize), (b"Content-Type", b"application/json")]
        try:
            response = await self._send(b"POST", headers, line, _POST_TIMEOUT, repeatable=repeatable)
        except http11.errors() as exc:
            raise await self._unreachable(exc) from None
        written: list[bytes] = []
        try:
            new_session = first(response.headers, b"mcp-session-id")
            if new_session:
                self.session_id = new_session
            status = response.status
            if status == 404 and session_id and not new_session:
                await response.aread()
                raise _Expired(session_id)
            if status in (202, 204):
                return written
            emit = self.out.write if not replay else _discard
            if status == 200 and (first(response.headers, b"content-type") or "").startswith("text/event-stream"):
                splitter = EventSplitter()
                async for chunk in response.stream:
                    for event in splitter.feed(chunk):
                        data = event_line(event)
                        if data is not None:
                            await emit(data)
                            written.append(data)
                data = event_line(splitter.rest())
                if data is not None:
                    await emit(data)
                    written.append(data)
            else:
                body = await response.aread()
                if 200 <= status < 300:
                    if body.strip():
                        written.append(one_line(body))
                        await emit(written[-1])
                else:
                    for error in self._http_error(status, body, ids):
                        written.append(error)
                        await emit(error)
        except http11.errors() as exc:  # the answer broke off: what was not answered yet gets an error
            failed = await self._unreachable(exc)
            failed.ids = [i for i in ids if i not in answered_ids(written)]
            raise failed from None
        finally:
            await response.aclose()
        if ids and not written:
            raise _Failed("The bridge ended its answer without a response. Try again.", jsonrpc.INTERNAL_ERROR)
        if initialize and written:
            self._learn_protocol(written)
        return written

    def _http_error(self, status: int, body: bytes, ids: list[Any]) -> list[bytes]:
        """An HTTP error's lines for stdout: its JSON-RPC error as it is, or for each request when it names none."""
        message = jsonrpc.loads_or_none(body)
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            if message.get("id") is not None:
                return [one_line(body)]
            if not ids:  # about a notification: nothing on stdout can answer it
                log.warning("The bridge refused a notification: %s", message["error"].get("message"))
                return []
            return [jsonrpc.encode({**message, "id": msg_id}) for msg_id in ids]  # about the message as a whole
        if isinstance(message, list) and message and all(isinstance(m, dict) and "error" in m for m in message):
            return [one_line(body)]
        raise _Failed(f"The bridge answered HTTP {status}. Run `port-mcp-bridge doctor` to see why.",
                      jsonrpc.INTERNAL_ERROR)  # fmt: skip

    def _learn_protocol(self, written: list[bytes]) -> None:
        for line in written:
            message = jsonrpc.loads_or_none(line)
            result = message.get("result") if isinstance(message, dict) else None
            version = result.get("protocolVersion") if isinstance(result, dict) else None
            if isinstance(version, str) and version.isascii() and version.isprintable():  # it goes in a header
                self.protocol = version
                return

    # --- a new session when the bridge ended ours ---

    async def _renew(self, expired: str) -> bool:
        """Replace the ended session `expired`. True if this call made the new one (so it tells the client)."""
        if self.gate is not None:  # a replay is already under way: use its session
            outcome = await asyncio.shield(self.gate)
            if outcome is not None:
                raise outcome
            return False
        if self.session_id != expired:  # already replaced while this request was out
            return False
        if self.init_line is None:
            raise _Failed("The bridge ended this session (the active profile changed, or the bridge restarted) before "
                          "it was set up. Restart the client's connection.", jsonrpc.INVALID_REQUEST)  # fmt: skip
        now = time.monotonic()
        if len(self.recoveries) == _RECOVERIES[0] and now - self.recoveries[0] < _RECOVERIES[1]:
            raise _Failed("The bridge keeps ending this session. Restart the client's connection, and run "
                          "`port-mcp-bridge doctor` if it goes on.")  # fmt: skip
        self.recoveries.append(now)
        gate = self.gate = asyncio.get_running_loop().create_future()
        failed: _Failed | None = None
        try:
            self.session_id = None
            log.info("The bridge ended the session (the active profile changed, or it restarted): starting a new one.")
            try:
                answer = await self._post(self.init_line, [None], repeatable=True, initialize=True, replay=True)
                error = next(
                    (m["error"] for m in map(jsonrpc.loads_or_none, answer) if isinstance(m, dict) and "error" in m),
                    None,
                )
                if error is not None:
                    raise _Failed(f"{error.get('message', error)}", error.get("code", jsonrpc.INTERNAL_ERROR))
                await self._post(_INITIALIZED, [], repeatable=True, replay=True)
            except (_Failed, _Expired) as exc:
                why = exc.message if isinstance(exc, _Failed) else "the new session was refused"
                failed = _Failed(f"The bridge ended the session (the active profile changed, or it restarted), and "
                                 f"starting a new one failed: {why}")  # fmt: skip
                raise failed from None
        finally:
            self.gate = None
            gate.set_result(failed)
        return True

    # --- from the bridge, unasked: the GET stream ---

    async def _listen(self) -> None:
        """Relay the session's server-to-client stream, reconnecting (with a growing pause) when it drops."""
        delay, last_id, listened = 0.5, None, None
        loop = asyncio.get_running_loop()
        while True:
            if self.gate is not None:
                await asyncio.shield(self.gate)
            session_id = self.session_id
            if session_id is None:
                return  # the session is gone and was not replaced: the next notifications/initialized starts over
            if session_id != listened:
                last_id, listened = None, session_id
            headers = self._headers(session_id, accept=b"text/event-stream")
            if last_id:
                headers.append((b"Last-Event-ID", last_id))
            started = loop.time()
            try:
                response = await self._send(b"GET", headers, b"", _STREAM_TIMEOUT, repeatable=True)
                try:
                    if response.status == 405:
                        return  # this server offers no such stream
                    if response.status == 404:
                        await response.aread()
                        if await self._renew(session_id):
                            await self.out.write(LIST_CHANGED)
                        continue
                    if response.status == 200:
                        splitter = EventSplitter()
                        async for chunk in response.stream:
                            for event in splitter.feed(chunk):
                                last_id = event_id(event) or last_id
                                data = event_line(event)
                                if data is not None:
                                    await self.out.write(data)
                finally:
                    await response.aclose()
            except http11.errors():
                pass
            except _Failed as exc:
                log.warning("%s", exc.message)
                return
            delay = 0.5 if loop.time() - started > 10 else min(delay * 2, 30.0)
            await asyncio.sleep(delay)

    # --- the end ---

    async def close(self) -> None:
        """Cancel what is in flight, end the session at the bridge (best effort) and close the connections."""
        pending = [*self.tasks, *([self.stream] if self.stream else [])]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self.session_id:
            try:
                response = await asyncio.wait_for(
                    self._send(b"DELETE", self._headers(self.session_id), b"", _DELETE_TIMEOUT, repeatable=True), 2
                )
                await response.aclose()
            except Exception as exc:  # not `suppress`: http11's errors are known only once raised
                if not isinstance(exc, (TimeoutError, *http11.errors())):
                    raise
        await self.http.aclose()


async def _discard(_: bytes) -> None:
    pass


async def relay(url: str, key: str | None) -> None:
    """Relay stdin to the bridge at `url` and the bridge's messages to stdout until stdin ends and what it brought is
    answered (or stdout closes)."""
    loop = asyncio.get_running_loop()
    out = Stdout()
    await out.open(loop)
    session = _Session(url, key, out)

    async def read() -> None:
        async for line in stdin_lines(loop):
            session.handle(line)

    reading = asyncio.ensure_future(read())
    gone = asyncio.ensure_future(out.gone.wait())
    try:
        await asyncio.wait({reading, gone}, return_when=asyncio.FIRST_COMPLETED)
        # stdin ended (a client that sends its last requests and closes its end, `echo ... | port-mcp-bridge stdio`):
        # what was read before is answered first, while stdout is still there to take the answers.
        while session.tasks and not gone.done():
            await asyncio.wait({*session.tasks, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, gone):
            task.cancel()
        await asyncio.gather(reading, gone, return_exceptions=True)
        await session.close()
        await out.close()
