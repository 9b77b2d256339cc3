"""The proxy itself: a raw ASGI app that forwards MCP's Streamable HTTP transport to the profile's Port server.

POST bodies are parsed to apply policy to `tools/call` and to spot `tools/list` requests, whose results are the only
thing rewritten (`toolslist`); responses stream back as they arrive (JSON or SSE). GET streams and DELETE pass
through. Every error a client can meet is a JSON-RPC error that says what happened and what to do. Those about Port
arrive as `UpstreamUnavailable` (from the sender, `Response.aread`, or `_refusal`: `upstream_errors` makes them) and
become each request's error in one place per method, before anything of an answer was relayed; an answer that breaks
off after that is cut (`AnswerCut`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from typing import Any

import httpx2
from starlette.types import Receive, Scope, Send

from bridge.errors import UpstreamUnavailable
from bridge.policy import decide_call
from bridge.proxy import http11, jsonrpc, sse
from bridge.proxy.headers import downstream_response_headers
from bridge.proxy.replies import BodyTooLarge, read_body, reply, reply_raw
from bridge.proxy.sender import DELETE_TIMEOUTS, POST_TIMEOUTS, STREAM_TIMEOUTS, Response, Sender
from bridge.proxy.state import ClientInfo, Resolver, Sessions, Upstream
from bridge.proxy.toolslist import gc_paused, rewrite_event, rewrite_json
from bridge.proxy.upstream_errors import not_mcp, short_message

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
# A client that hangs up cancels the upstream stream. Watching for that needs a task of its own; a response done
# before this many seconds never starts one (an MCP answer usually takes milliseconds).
_WATCH_AFTER = 0.05
_LARGE = 1 << 20  # after a response this big has gone through, give the freed heap back (`_release_memory`)


class AnswerCut(Exception):
    """Port's answer broke off (the connection died, or it stopped answering) after its start had been relayed.
    Raised out of the proxy so that uvicorn closes the client's connection: a half answer must not end like a whole
    one (the client may resume it, or retry). Logged in one line where it happened; `already_logged` keeps uvicorn's
    traceback for it out of the log (`bridge/system/loopback.py`).

    Not an `UpstreamUnavailable`: there is no JSON-RPC error left to give once the answer's start has gone out, only a
    connection to cut. So a relayed stream's `http11.errors()` are caught where it is relayed, not at the boundary."""

    already_logged = True


def _cut(upstream: Upstream, exc: Exception) -> AnswerCut:
    log.warning(
        "The answer from %s for profile %s broke off (%s): the client's connection is closed so it knows.",
        upstream.host, upstream.profile.id, type(exc).__name__,
    )  # fmt: skip
    return AnswerCut(type(exc).__name__)


class McpProxy:
    """ASGI endpoint for `/mcp` (active profile) and `/p/{profile_id}/mcp` (a pinned profile)."""

    def __init__(self, resolve: Resolver, sessions: Sessions, http: httpx2.AsyncClient | None = None) -> None:
        self.resolve = resolve
        self.sessions = sessions
        self.sender = Sender(http)

    async def aclose(self) -> None:
        await self.sender.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        pinned = scope.get("path_params", {}).get("profile_id")
        upstream = self.resolve(pinned)
        if upstream is None:
            await reply(send, 404 if pinned else 503, _no_profile(pinned))
            return
        headers = scope["headers"]
        session_id = _header(headers, b"mcp-session-id")
        if session_id and not self.sessions.usable(session_id, upstream.profile.id):
            # The session belongs to another profile (or was ended by a switch): the client must start over.
            await reply(send, 404, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Session not found"))
            return
        if method == "POST":
            if session_id is None:
                await self._post(scope, receive, send, upstream, session_id)
            else:
                with self.sessions.busy(session_id):  # a DELETE after a profile switch waits for this answer
                    await self._post(scope, receive, send, upstream, session_id)
        elif method == "GET":
            await self._get(scope, receive, send, upstream, session_id)
        elif method == "DELETE":
            try:
                response = await self.sender.send(upstream, b"DELETE", headers, b"", DELETE_TIMEOUTS, repeatable=True)
                try:
                    content = await response.aread()
                finally:
                    await response.aclose()
            except UpstreamUnavailable as error:
                await reply(send, 502, _error(error))
                return
            if session_id:
                self.sessions.forget(session_id)
            await reply_raw(send, response.status_code, downstream_response_headers(response.headers), content)
        else:
            await reply(send, 405, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Use POST, GET or DELETE."),
                         extra=[(b"allow", b"GET, POST, DELETE")])  # fmt: skip

    async def end_sessions(self, upstream: Upstream, session_ids: list[str]) -> None:
        """DELETE upstream the sessions a profile switch ended, so Port frees them now rather than at their expiry.

        Each once the requests already under way on it have been answered (a DELETE would cut their answers off; no new
        one can start: the ended session gets 404 here), or after the longest an answer may take. Best effort: a
        failure is left at that (the sender logs one that reached no server), the client has already been told to
        start over."""
        await self.sessions.until_idle(session_ids, POST_TIMEOUTS["timeout"]["read"])
        for session_id in session_ids:
            header = [(b"mcp-session-id", session_id.encode("latin-1"))]
            try:
                response = await self.sender.send(upstream, b"DELETE", header, b"", DELETE_TIMEOUTS, repeatable=True)
            except UpstreamUnavailable:
                continue
            await response.aclose()

    # --- POST -----------------------------------------------------------------------------------------------

    async def _post(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream, session_id: str | None
    ) -> None:
        headers = scope["headers"]
        content_type = (_header(headers, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            await reply(
                send, 415, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Content-Type must be application/json.")
            )
            return
        try:
            raw = await read_body(receive, MAX_BODY)
        except BodyTooLarge:
            await reply(send, 413, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Request body larger than 4 MiB."))
            return
        try:
            body = jsonrpc.parse_body(raw)
        except json.JSONDecodeError as exc:
            await reply(send, 400, jsonrpc.error(None, jsonrpc.PARSE_ERROR, f"Parse error: {exc.msg}"))
            return
        except jsonrpc.InvalidMessage as exc:
            await reply(send, 400, jsonrpc.error(None, exc.code, str(exc)))
            return

        refused: list[dict[str, Any]] = []
        forward: list[dict[str, Any]] = []
        list_ids: set[Any] = set()
        client: ClientInfo | None = None  # from an initialize: bound to the session Port creates for it
        for message in body.messages:
            if message.get("method") == "initialize":
                client = ClientInfo.from_initialize(message.get("params"))
            if message.get("method") == "tools/call":
                error = _call_refusal(upstream, message)
                if error is not None:
                    if message.get("id") is not None:
                        refused.append(error)
                    continue  # a refused call without an id (a notification) is not sent either: it has no answer
            elif message.get("method") == "tools/list" and message.get("id") is not None:
                list_ids.add(message["id"])
            forward.append(message)

        if not forward:  # everything was refused locally: Port never hears of it
            if not refused:  # only notifications, none of them sent: nothing to answer
                await reply_raw(send, 202, [], b"")
                return
            await reply(send, 200, refused if body.batch else refused[0])
            return
        payload = raw if len(forward) == len(body.messages) else jsonrpc.encode(forward if body.batch else forward[0])
        try:
            response = await self.sender.send(
                upstream, b"POST", headers, payload, POST_TIMEOUTS, repeatable=jsonrpc.safe_to_repeat(forward)
            )
            try:
                new_session = response.header(b"mcp-session-id")
                if new_session:
                    self.sessions.bind(new_session, upstream.profile.id, client)
                status = response.status_code
                if status == 404 and session_id:
                    self.sessions.forget(session_id)  # ended upstream: the 404 goes on, the client starts over
                elif status >= 400 and body.requests() and await self._refusal(send, upstream, response):
                    return
                await self._relay(receive, send, upstream, response, list_ids, refused)
            finally:
                await response.aclose()
                if response.received > _LARGE:
                    _release_memory()  # its buffers are gone now: give the heap they took back
        except UpstreamUnavailable as error:  # raised before any of an answer went out: each request is told why
            await reply(send, 200, _for_each_request(body, error))

    async def _relay(
        self,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        response: Response,
        list_ids: set[Any],
        refused: list[dict[str, Any]],
    ) -> None:
        headers = downstream_response_headers(response.headers)
        content_type = response.header(b"content-type") or ""
        if content_type.startswith("text/event-stream"):
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            for error in refused:
                await send({"type": "http.response.body", "body": sse.message_event(error), "more_body": True})
            try:
                await _until_disconnect(receive, self._relay_events(send, upstream, response, list_ids))
            except http11.errors() as exc:
                raise _cut(upstream, exc) from None
            await send({"type": "http.response.body", "body": b""})
            return
        if content_type.startswith("application/json") and (list_ids or refused):
            content = await response.aread()  # one that breaks off: nothing relayed yet, `_post` tells each request
            response.received = len(content)
            with gc_paused(len(content)):
                try:
                    data = json.loads(content)  # a JSON reply is complete by nature: rewriting it is safe
                    content = jsonrpc.encode(rewrite_json(upstream, data, list_ids, refused))
                except (ValueError, RecursionError):
                    pass  # not JSON after all, or too deep to handle: Port's answer is passed on as it is
                else:
                    headers = [(b"content-type", b"application/json"), *(h for h in headers if h[0] != b"content-type")]
            await reply_raw(send, response.status_code, headers, content)
            return
        length = response.header(b"content-length")
        if (
            length is not None
            and length.isdigit()
            and response.header(b"transfer-encoding") is None
            and response.status_code not in (204, 304)  # no body whatever the header says: uvicorn would object
        ):
            headers.append((b"content-length", length.encode()))  # the body goes on as it came: so does its length
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        try:
            async for chunk in response.stream:
                response.received += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except http11.errors() as exc:
            raise _cut(upstream, exc) from None
        await send({"type": "http.response.body", "body": b""})

    async def _refusal(self, send: Send, upstream: Upstream, response: Response) -> bool:
        """An HTTP error answer that is not an MCP one (a firewall's web page, a load balancer's 503) raises
        `UpstreamUnavailable`: each request gets a JSON-RPC error that says what the status usually means and what to
        do, instead of the page. An MCP error answer passes (returns True); an event stream is left to `_relay`
        (returns False)."""
        content_type = response.header(b"content-type") or ""
        if content_type.startswith("text/event-stream"):
            return False
        content = await response.aread()
        data = jsonrpc.loads_or_none(content) if "json" in content_type else None
        if jsonrpc.is_message(data):
            await reply_raw(send, response.status_code, downstream_response_headers(response.headers), content)
            return True
        log.warning("%s answered HTTP %d (%s) for profile %s: not an MCP answer", upstream.host, response.status_code,
                    content_type or "no content type", upstream.profile.id)  # fmt: skip
        upstream.last_error = f"{upstream.host} answered HTTP {response.status_code}"  # the tray shows it
        raise not_mcp(upstream, response.status_code, short_message(data, content, content_type))

    async def _relay_events(self, send: Send, upstream: Upstream, response: Response, list_ids: set[Any]) -> None:
        chunks = response.stream.__aiter__()
        if list_ids:  # whole events until the tools/list answer has gone by, then chunks as they come
            splitter = sse.EventSplitter()
            async for chunk in chunks:
                response.received += len(chunk)
                out = [rewrite_event(upstream, event, list_ids) for event in splitter.feed(chunk)]
                if out:
                    await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
                if not list_ids:
                    break
            rest = splitter.rest()
            if rest:
                await send({"type": "http.response.body", "body": rest, "more_body": True})
        async for chunk in chunks:
            response.received += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    # --- GET: the server-to-client stream ----------------------------------------------------------------------

    async def _get(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream, session_id: str | None
    ) -> None:
        try:
            response = await self.sender.send(upstream, b"GET", scope["headers"], b"", STREAM_TIMEOUTS, repeatable=True)
            try:
                headers = downstream_response_headers(response.headers)
                if response.status_code != 200 or not session_id:
                    content = await response.aread()
                    await reply_raw(send, response.status_code, headers, content)
                    return
                queue = self.sessions.open_stream(session_id)
                try:
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    try:
                        await _until_disconnect(receive, _merge_stream(send, response, queue), watch_after=0)
                    except http11.errors() as exc:
                        raise _cut(upstream, exc) from None
                    with contextlib.suppress(OSError, RuntimeError):
                        await send({"type": "http.response.body", "body": b""})
                finally:
                    self.sessions.close_stream(session_id, queue)
            finally:
                await response.aclose()
        except UpstreamUnavailable as error:  # raised before any of an answer went out
            await reply(send, 502, _error(error))


_malloc_trim: Any = None


def _release_memory() -> None:
    """After a large response has gone through: give the freed heap back to the system (glibc keeps it otherwise:
    ~15 MiB after a 2,000-tool list). Elsewhere (macOS, Windows, musl) there is nothing to call: this does nothing."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        if sys.platform == "linux":
            try:
                import ctypes

                _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):
                pass
    if _malloc_trim:
        _malloc_trim(0)


# --- streams ------------------------------------------------------------------------------------------------------


async def _merge_stream(send: Send, response: Response, queue: asyncio.Queue[bytes]) -> None:
    """Relay the upstream stream event by event, slipping the bridge's own events in between whole events."""
    splitter = sse.EventSplitter()
    upstream_iter = response.stream.__aiter__()
    pending_chunk: asyncio.Task[bytes] | None = None
    pending_local: asyncio.Task[bytes] | None = None
    try:
        while True:
            pending_chunk = pending_chunk or asyncio.ensure_future(upstream_iter.__anext__())
            pending_local = pending_local or asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({pending_chunk, pending_local}, return_when=asyncio.FIRST_COMPLETED)
            if pending_chunk in done:
                try:
                    chunk = pending_chunk.result()
                except StopAsyncIteration:
                    return
                pending_chunk = None
                events = b"".join(splitter.feed(chunk))
                if events:
                    await send({"type": "http.response.body", "body": events, "more_body": True})
            if pending_local in done:
                event = pending_local.result()
                pending_local = None
                if not event:
                    return  # the session was ended by a profile switch
                await send({"type": "http.response.body", "body": event, "more_body": True})
    finally:
        for task in (pending_chunk, pending_local):
            if task is not None:
                task.cancel()


async def _until_disconnect(receive: Receive, work: Any, watch_after: float = _WATCH_AFTER) -> None:
    """Run `work` (in this task) until it ends or the client goes away (then the upstream stream is closed by the
    caller). The watcher task is only started once `work` has taken `watch_after` seconds: most answers are done
    sooner, and a client that hung up meanwhile is noticed as soon as it starts."""
    current = asyncio.current_task()
    assert current is not None
    gone = False
    watcher: asyncio.Task[None] | None = None

    async def watch() -> None:
        nonlocal gone
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone = True
                current.cancel()
                return

    def start_watching() -> None:
        nonlocal watcher
        watcher = asyncio.ensure_future(watch())

    loop = asyncio.get_running_loop()
    timer = loop.call_later(watch_after, start_watching) if watch_after > 0 else None
    if timer is None:
        start_watching()
    try:
        await work
    except asyncio.CancelledError:
        if not gone:
            raise  # cancelled from outside (server shutdown): not ours to swallow
        current.uncancel()
    finally:
        if timer is not None:
            timer.cancel()
        if watcher is not None:
            watcher.cancel()


def _call_refusal(upstream: Upstream, message: dict[str, Any]) -> dict[str, Any] | None:
    """The error a `tools/call` gets here instead of going to Port (its shape is wrong, or the policy refuses it),
    or None when it may go. Checked for calls without an id too: a policy must not be passed by leaving the id out."""
    params = message.get("params", {})
    msg_id = message.get("id")
    if not isinstance(params, dict):
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, 'The "params" of tools/call must be a JSON object.')
    name = params.get("name")
    if not isinstance(name, str):
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, 'tools/call needs the tool\'s "name", a string.')
    arguments = params.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, 'The "arguments" of tools/call must be a JSON object.')
    decision = decide_call(
        upstream.policy, name, arguments, upstream.known_tools.get(name), profile=upstream.profile.name
    )
    if decision.allowed:
        return None
    return jsonrpc.error(msg_id, jsonrpc.POLICY_REFUSED, decision.reason)


def _error(error: UpstreamUnavailable, msg_id: Any = None) -> dict[str, Any]:
    """The JSON-RPC error a request gets for `error` in place of Port's answer."""
    return jsonrpc.error(msg_id, error.code, error.message, error.data)


def _for_each_request(body: jsonrpc.Body, error: UpstreamUnavailable) -> Any:
    """`error` as the answer to each request of `body`, in its shape (one message or a batch; id None without one)."""
    errors = [_error(error, m["id"]) for m in body.requests()]
    return errors if body.batch else (errors[0] if errors else _error(error))


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """`headers.first` for the client's request, whose names ASGI gives in lower case: no lowering per name."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _no_profile(pinned: str | None) -> dict[str, Any]:
    if pinned:
        text = (
            f"No profile '{pinned}'. See `port-mcp-bridge profiles list` for the ids, or use /mcp for the active one."
        )
    else:
        text = (
            "No Port profile is active. Add one in Port MCP Bridge (Settings → Profiles) or with "
            "`port-mcp-bridge profiles add`."
        )
    return jsonrpc.error(None, jsonrpc.INVALID_REQUEST, text)
