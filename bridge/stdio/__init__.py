"""The stdio shim: MCP on stdin/stdout for clients that only launch commands (Claude Desktop and others).

It relays every message to the local bridge over HTTP with the local key, so one process (the bridge) still owns all
tokens. If no bridge is running it starts the headless one and waits for it. No Node.js involved.

The relay passes bytes through: each stdin line is POSTed as it is (Streamable HTTP), and each answer (a JSON body or
the `data` of each server-sent event) is written to stdout as one line. It parses a line only to learn its request ids
and method, re-encodes only an answer that spans several lines, and never imports the `mcp` SDK (0.6 s and 30 MiB per
process, and a validation and re-encoding of every message). Requests run concurrently: a long `tools/call` holds up
nothing else; stdin is read, and stdout written, by the event loop for pipes and by a thread otherwise (Windows). The
HTTP goes through the bridge's own upstream client (`bridge.proxy.http11`: kept-alive connections, a C parser), so
the shim loads neither httpx2 nor, unless something fails, httpcore2.

What a person can meet becomes a JSON-RPC error for each request id of the message, never a hang or a traceback: the
bridge stopped, an HTTP error, a timeout. A session the bridge no longer knows (404: a profile switch, a restart) is
replaced transparently: the client's `initialize` is replayed, the message retried once, and the client told to list
tools again (`notifications/tools/list_changed`: the new profile's tools may differ).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from bridge.errors import BridgeError, BridgeUnavailable
from bridge.proxy import http11, jsonrpc
from bridge.proxy.headers import first
from bridge.proxy.sse import EventSplitter, data_span, event_data

log = logging.getLogger("bridge.stdio")

LIST_CHANGED = b'{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'
_INITIALIZED = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
# (connect, read) timeouts in seconds; read is the longest silence while an answer is awaited or streams
_POST_TIMEOUT = (10.0, 300.0)  # a tool call may take minutes: the bridge gives up at 300 s
_STREAM_TIMEOUT = (10.0, None)  # the GET stream is quiet while the server has nothing
_DELETE_TIMEOUT = (2.0, 2.0)
_MAX_LINE = 64 << 20
_RECOVERIES = (5, 60.0)  # at most this many new sessions in this many seconds: beyond, the bridge is refusing them


class _Origin:
    """Where the bridge listens, as `http11.Pool` takes it: its key, and its Host header and path."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.key: http11.Key = ("http", parts.hostname or "127.0.0.1", parts.port or 80)
        self.host = parts.netloc.encode()
        self.path = (parts.path or "/").encode()


def bridge_running(url: str) -> bool:
    """Whether the bridge answers at `url` (its `/healthz`, within a second)."""
    return asyncio.run(_healthy(_Origin(url)))


async def _healthy(origin: _Origin) -> bool:
    pool = http11.Pool(None)  # plain HTTP on loopback: no TLS context, no certificate store to load
    try:
        head = http11.request_head(b"GET", b"/healthz", [(b"Host", origin.host)])
        response = await pool.request(origin.key, head, b"", connect_timeout=1, read_timeout=1, repeatable=True)
        try:
            answer = jsonrpc.loads_or_none(await response.aread())
        finally:
            await response.aclose()
        return isinstance(answer, dict) and answer.get("app") == "port-mcp-bridge"
    except http11.errors():
        return False
    finally:
        await pool.aclose()


def serve_command() -> list[str]:
    """`port-mcp-bridge serve` as this installation runs it: the bundled program, or this Python's `-m bridge`."""
    if getattr(sys, "frozen", False):  # an installed bundle: sys.executable is a program, not a Python
        from bridge.export.program import find_program

        return [find_program() or sys.executable, "serve"]
    return [sys.executable, "-m", "bridge", "serve"]


def ensure_bridge(url: str, *, wait: float = 15.0) -> None:
    """Start `port-mcp-bridge serve` in the background unless a bridge already answers at `url`."""
    if bridge_running(url):
        return
    flags = {"start_new_session": True} if os.name != "nt" else {"creationflags": subprocess.DETACHED_PROCESS}
    subprocess.Popen(
        serve_command(),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **flags,
    )  # fmt: skip
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if bridge_running(url):
            return
        time.sleep(0.1)
    raise BridgeUnavailable(
        f"Started the bridge but it did not answer at {url} within {wait:g} s. Run `port-mcp-bridge serve` in a "
        "terminal to see why."
    )


# --- stdin and stdout ------------------------------------------------------------------------------------------------


def _pipe_like(fd: int) -> bool:
    """Whether asyncio can watch `fd` itself (a pipe or socket on POSIX); a file, a console or Windows cannot."""
    if os.name == "nt":
        return False
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode) or stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False


async def _stdin_lines(loop: asyncio.AbstractEventLoop) -> AsyncIterator[bytes]:
    """stdin, a line at a time: through the event loop for a pipe, else through one reader thread."""
    if _pipe_like(0):
        reader = asyncio.StreamReader(limit=_MAX_LINE)
        pipe = os.fdopen(os.dup(0), "rb", buffering=0)  # the transport closes its file: fd 0 itself stays open
        transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
        try:
            while True:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than _MAX_LINE: what was buffered is dropped, the rest fails to parse
                    log.warning("Skipped a line on stdin longer than %d MiB.", _MAX_LINE >> 20)
                    continue
                if not line:
                    return
                yield line
        finally:
            transport.close()
            with contextlib.suppress(OSError):
                os.set_blocking(0, True)  # the flag belongs to the pipe, which the client may share
    queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue()

    def read() -> None:  # os.read, not sys.stdin: no buffer lock for interpreter shutdown to trip over
        rest = b""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
            try:
                while chunk := os.read(0, 1 << 16):
                    *lines, rest = (rest + chunk).split(b"\n")
                    if lines:
                        loop.call_soon_threadsafe(queue.put_nowait, lines)
            except OSError:
                pass
            loop.call_soon_threadsafe(queue.put_nowait, [rest] if rest else [])
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while (lines := await queue.get()) is not None:
        for line in lines:
            yield line


class _Stdout:
    """The one writer of stdout: each `write` puts a whole line, in order, flushed.

    A pipe is written by the event loop (a transport with flow control); anything else (a file, a console, Windows)
    by one writer thread, so a client slow to read never blocks the loop. `gone` is set when the client stops reading.
    """

    def __init__(self) -> None:
        self.gone = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._queue: Any = None
        self._thread: threading.Thread | None = None

    async def open(self, loop: asyncio.AbstractEventLoop) -> None:
        same_as_stderr = False
        with contextlib.suppress(OSError):
            out, err = os.fstat(1), os.fstat(2)
            same_as_stderr = (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino)
        if _pipe_like(1) and not same_as_stderr:  # non-blocking stdout would make stderr's writes fail too
            pipe = os.fdopen(os.dup(1), "wb", buffering=0)
            transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
            self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
            return
        import queue

        self._queue = queue.SimpleQueue()

        def write() -> None:
            while (data := self._queue.get()) is not None:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(1, view) :]
                except OSError:
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(self.gone.set)
                    return

        self._thread = threading.Thread(target=write, name="stdout", daemon=True)
        self._thread.start()

    async def write(self, line: bytes) -> None:
        if self.gone.is_set():
            return
        if self._writer is None:
            self._queue.put(line + b"\n")
            return
        if self._writer.transport.is_closing():
            self.gone.set()
            return
        self._writer.write(line + b"\n")
        try:
            await self._writer.drain()
        except ConnectionError:
            self.gone.set()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer.wait_closed(), 2)
            with contextlib.suppress(OSError):
                os.set_blocking(1, True)
        elif self._thread is not None:
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 2)


# --- the relay -------------------------------------------------------------------------------------------------------


class _Failed(Exception):
    """A message could not be delivered: answered with a JSON-RPC error for each of its requests (or `ids`)."""

    def __init__(self, message: str, code: int = jsonrpc.UPSTREAM_UNAVAILABLE, ids: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.ids = message, code, ids


class _Expired(Exception):
    """The bridge answered 404 to a request that carried a session id: that session is gone."""


def _request_ids(message: Any) -> list[Any]:
    messages = message if isinstance(message, list) else [message]
    return [m["id"] for m in messages if isinstance(m, dict) and "method" in m and m.get("id") is not None]


def _method(message: Any) -> str | None:
    return message.get("method") if isinstance(message, dict) else None


def _event_data(event: bytes) -> bytes | None:
    """An event's data as one line (None for an event without data, such as a priming event)."""
    span = data_span(event)
    if span is not None:
        data = event[span[0] : span[1]].strip()
        return data or None
    text = event_data(event)
    if text is None or not text.strip():
        return None
    return _one_line(text.encode())


def _event_id(event: bytes) -> bytes | None:
    """An event's id, as it goes back in `Last-Event-ID` (one with a NUL is ignored, as the SSE standard says)."""
    for line in event.splitlines():
        if line.startswith(b"id:"):
            value = line[3:].removeprefix(b" ")
            return value if value and b"\0" not in value else None
    return None


def _one_line(data: bytes) -> bytes:
    """JSON that must go out as one line: re-encoded compactly only if it spans several."""
    data = data.strip()
    if b"\n" not in data and b"\r" not in data:
        return data
    try:
        return jsonrpc.encode(json.loads(data))
    except (ValueError, RecursionError):
        return data.replace(b"\r", b"").replace(b"\n", b"")


def _answered(lines: list[bytes]) -> set[Any]:
    """The ids that `lines` (messages already written) answer: only needed when an answer broke off."""
    ids: set[Any] = set()
    for line in lines:
        with contextlib.suppress(ValueError, RecursionError):
            message = json.loads(line)
            for m in message if isinstance(message, list) else [message]:
                if isinstance(m, dict) and "method" not in m and ("result" in m or "error" in m):
                    ids.add(m.get("id"))
    return ids


class _Relay:
    """One client's session with the bridge: what it sends goes to the bridge, what the bridge says comes back."""

    def __init__(self, url: str, key: str | None, out: _Stdout) -> None:
        self.url, self.origin, self.out = url, _Origin(url), out
        self.base = [(b"Host", self.origin.host), *([(b"Authorization", f"Bearer {key}".encode())] if key else [])]
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
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            log.warning("Skipped a line on stdin that is not JSON (%d bytes).", len(line))
            return
        self._spawn(self._deliver(line, message))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, line: bytes, message: Any) -> None:
        ids = _request_ids(message)
        method = _method(message)
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
                    b"GET", [(b"Host", self.origin.host)], b"", _DELETE_TIMEOUT, target=b"/healthz", repeatable=True
                )
                await probe.aclose()
            except httpcore2.ConnectError:
                stopped = True
            except http11.errors():
                pass
        if stopped:
            moved = _moved_to(self.origin.key[2])
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
                        data = _event_data(event)
                        if data is not None:
                            await emit(data)
                            written.append(data)
                data = _event_data(splitter.rest())
                if data is not None:
                    await emit(data)
                    written.append(data)
            else:
                body = await response.aread()
                if 200 <= status < 300:
                    if body.strip():
                        written.append(_one_line(body))
                        await emit(written[-1])
                else:
                    for error in self._http_error(status, body, ids):
                        written.append(error)
                        await emit(error)
        except http11.errors() as exc:  # the answer broke off: what was not answered yet gets an error
            failed = await self._unreachable(exc)
            failed.ids = [i for i in ids if i not in _answered(written)]
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
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            message = None
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            if message.get("id") is not None:
                return [_one_line(body)]
            if not ids:  # about a notification: nothing on stdout can answer it
                log.warning("The bridge refused a notification: %s", message["error"].get("message"))
                return []
            return [jsonrpc.encode({**message, "id": msg_id}) for msg_id in ids]  # about the message as a whole
        if isinstance(message, list) and message and all(isinstance(m, dict) and "error" in m for m in message):
            return [_one_line(body)]
        raise _Failed(f"The bridge answered HTTP {status}. Run `port-mcp-bridge doctor` to see why.",
                      jsonrpc.INTERNAL_ERROR)  # fmt: skip

    def _learn_protocol(self, written: list[bytes]) -> None:
        for line in written:
            with contextlib.suppress(ValueError, RecursionError):
                result = json.loads(line).get("result")
                version = result.get("protocolVersion") if isinstance(result, dict) else None
                if isinstance(version, str) and version.isascii() and version.isprintable():  # it goes in a header
                    self.protocol = version
                    return

    # --- a new session when the bridge ended ours ---

    async def _renew(self, expired: str) -> bool:
        """Replace the ended session `expired`. True if this call made the new one (so it tells the client)."""
        if self.gate is not None:  # a replay is already under way: use its session
            failed = await asyncio.shield(self.gate)
            if failed is not None:
                raise failed
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
                                last_id = _event_id(event) or last_id
                                data = _event_data(event)
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
            except (TimeoutError, *http11.errors()):  # not `suppress`: the errors are known once raised
                pass
        await self.http.aclose()


def _moved_to(port: int) -> int | None:
    """The port the settings now name, if the bridge moved there (the tray app moves when its port is taken)."""
    from bridge.settings import SettingsStore

    try:
        now = SettingsStore().load().local_port
    except (OSError, BridgeError):  # only a better message is at stake
        return None
    return now if now != port else None


async def _discard(_: bytes) -> None:
    pass


async def relay(url: str, key: str | None) -> None:
    """Relay stdin to the bridge at `url` and the bridge's messages to stdout until stdin ends (or stdout closes)."""
    loop = asyncio.get_running_loop()
    out = _Stdout()
    await out.open(loop)
    shim = _Relay(url, key, out)

    async def read() -> None:
        async for line in _stdin_lines(loop):
            shim.handle(line)

    reading = asyncio.ensure_future(read())
    gone = asyncio.ensure_future(out.gone.wait())
    try:
        await asyncio.wait({reading, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, gone):
            task.cancel()
        await asyncio.gather(reading, gone, return_exceptions=True)
        await shim.close()
        await out.close()


def _event_loop() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop

        return uvloop.new_event_loop
    except ImportError:  # Windows has none: asyncio's own loop
        return asyncio.new_event_loop


def run(profile: str | None = None) -> None:
    """`port-mcp-bridge stdio`: relay stdin/stdout to the bridge (started if need be) until stdin ends."""
    from bridge.auth.localkey import local_key
    from bridge.settings import SettingsStore

    handler = logging.StreamHandler(sys.stderr)  # stdout is the protocol: everything said goes to stderr
    handler.setFormatter(logging.Formatter("port-mcp-bridge stdio: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: the person meant it, no traceback
        settings = SettingsStore().load()
        base = f"http://127.0.0.1:{settings.local_port}"
        ensure_bridge(base)
        path = f"/p/{profile}/mcp" if profile else "/mcp"
        key = local_key() if settings.require_local_key else None
        with asyncio.Runner(loop_factory=_event_loop()) as runner:
            runner.run(relay(base + path, key))
