"""The proxy itself: a raw ASGI app that forwards MCP's Streamable HTTP transport to the profile's Port server.

POST bodies are parsed to apply policy to `tools/call` and to spot `tools/list` requests, whose results are the only
thing rewritten (`toolslist`); responses stream back as they arrive (JSON or SSE). GET streams and DELETE pass
through. Every error a client can meet is a JSON-RPC error that says what happened and what to do. Those about Port
arrive as `UpstreamUnavailable` (from the sender, `Response.aread`, or `_refusal`: `upstream_errors` makes them) and
become each request's error in one place per method, before anything of an answer was relayed; an answer that breaks
off after that is cut (`AnswerCut`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

import httpx2
from starlette.types import Receive, Scope, Send

from bridge.activity.recorder import NoRecorder, Recorder
from bridge.approvals.broker import GONE, Broker, Verdict
from bridge.approvals.rule import needs_approval
from bridge.errors import UpstreamUnavailable
from bridge.proxy import http11, jsonrpc, sse
from bridge.proxy.approve import ask_in_ide, decide, request_for
from bridge.proxy.approve import refusal as refusal_error
from bridge.proxy.calls import KEEP_MAX, VIA_HEADER, Call, CallBook, call_refusal
from bridge.proxy.headers import downstream_response_headers
from bridge.proxy.memory import release_memory
from bridge.proxy.replies import BodyTooLarge, read_body, reply, reply_raw
from bridge.proxy.sender import DELETE_TIMEOUTS, POST_TIMEOUTS, STREAM_TIMEOUTS, Response, Sender
from bridge.proxy.state import ClientInfo, Resolver, Sessions, Upstream
from bridge.proxy.streams import merge_stream, until_disconnect
from bridge.proxy.toolslist import gc_paused, rewrite_event, rewrite_json
from bridge.proxy.upstream_errors import not_mcp, short_message

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
_LARGE = 1 << 20  # after a response this big has gone through, give the freed heap back (`memory.release_memory`)


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

    def __init__(
        self,
        resolve: Resolver,
        sessions: Sessions,
        http: httpx2.AsyncClient | None = None,
        *,
        recorder: Recorder | None = None,
        broker: Broker | None = None,
    ) -> None:
        self.resolve = resolve
        self.sessions = sessions
        self.sender = Sender(http)
        self.recorder: Recorder = recorder or NoRecorder()  # each tools/call's record goes there (`calls.CallBook`)
        self.broker = broker or Broker(lambda: 60.0)  # who approves calls the profile asks before

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
                self.broker.forget_session(session_id)  # its "Allow for this session" ends with it
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
        book: CallBook | None = None  # made for the first call with an id: every such call is recorded once
        asking: list[Call] = []  # calls the profile's "Ask before" holds until the user says yes
        for message in body.messages:
            method = message.get("method")
            if method is None and self.broker.expecting(message, session_id):
                self.broker.answer(message)  # the client's answer to the bridge's own question: not for Port
                continue
            if method == "initialize":
                client = ClientInfo.from_initialize(message.get("params"))
            if method == "tools/call":
                if message.get("id") is not None and book is None:
                    via = "stdio" if _header(headers, VIA_HEADER) == "stdio" else "http"
                    book = CallBook(self.recorder, upstream, self.sessions.client(session_id), via, body.batch)
                call = book.add(message) if book is not None else None
                refusal = call_refusal(upstream, message)
                if refusal is not None:
                    if call is not None and book is not None:
                        refused.append(refusal[0])
                        book.settle(call, refusal[1], refusal[2])
                    continue  # a refused call without an id (a notification) is not sent either: it has no answer
                if self._needs_approval(upstream, message):
                    if call is None:
                        continue  # no id, so no way to answer it or to ask about it: not sent
                    asking.append(call)
            elif method == "tools/list" and message.get("id") is not None:
                list_ids.add(message["id"])
            forward.append(message)

        if asking and book is not None:
            alone = len(body.messages) == 1
            accepts = "text/event-stream" in (_header(headers, b"accept") or "")
            session = self.sessions.client(session_id)
            can_elicit = alone and accepts and session is not None and session.elicitation
            for call in asking:
                request = request_for(upstream, book.client, call, self.broker.timeout)
                verdict = await decide(self.broker, receive, request, session_id, can_elicit)
                if verdict is None:  # ask inside the IDE, on this call's own answer
                    verdict = await ask_in_ide(self.broker, receive, send, request, session_id)
                    await self._after_elicit(send, receive, upstream, headers, raw, book, call, verdict)
                    return
                if verdict.allowed:
                    book.approved(call, verdict.approval)
                    continue
                if verdict is GONE:  # the client left while asked: nothing of its request goes to Port
                    for left in [c for c in book.calls if not c.done]:
                        book.settle(left, "declined", verdict.detail)
                    return
                forward = [m for m in forward if m.get("id") != call.msg_id or m.get("method") != "tools/call"]
                refused.append(refusal_error(call.msg_id, verdict, upstream, call.name, request.timeout))
                book.settle(call, "declined", verdict.detail, verdict.approval)

        if not forward:  # everything was refused locally: Port never hears of it
            if not refused:  # only notifications (or answers to the bridge), none of them sent: nothing to answer
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
                    self.broker.forget_session(session_id)
                elif status >= 400 and body.requests() and await self._refusal(send, upstream, response, book):
                    return
                await self._relay(receive, send, upstream, response, list_ids, refused, book)
            finally:
                await response.aclose()
                if response.received > _LARGE:
                    release_memory()  # its buffers are gone now: give the heap they took back
        except UpstreamUnavailable as error:  # raised before any of an answer went out: each request is told why
            if book is not None:
                book.finish(error.message)
            await reply(send, 200, _for_each_request(body, error))
        except AnswerCut:
            if book is not None:
                book.cut = True
            raise
        finally:
            if book is not None:
                book.finish()

    def _needs_approval(self, upstream: Upstream, message: dict[str, Any]) -> bool:
        ask_before = upstream.profile.ask_before
        if ask_before == "never":
            return False  # the usual case: nothing to look at
        params = message["params"]  # checked by `call_refusal`: a dict with a string name
        name = params["name"]
        return needs_approval(ask_before, name, params.get("arguments"), upstream.known_tools.get(name))

    async def _after_elicit(
        self,
        send: Send,
        receive: Receive,
        upstream: Upstream,
        headers: list[tuple[bytes, bytes]],
        raw: bytes,
        book: CallBook,
        call: Call,
        verdict: Verdict,
    ) -> None:
        """The rest of an answer opened as an SSE stream to ask in the IDE: Port's answer relayed onto it once the
        user said yes (a JSON one as one event), or the declined error; then the stream ends."""
        try:
            if not verdict.allowed:
                book.settle(call, "declined", verdict.detail, verdict.approval)
                if verdict is not GONE:
                    error = refusal_error(call.msg_id, verdict, upstream, call.name, self.broker.timeout)
                    await send({"type": "http.response.body", "body": sse.message_event(error), "more_body": True})
                return
            book.approved(call, verdict.approval)
            try:
                response = await self.sender.send(upstream, b"POST", headers, raw, POST_TIMEOUTS, repeatable=False)
            except UpstreamUnavailable as error:
                book.finish(error.message)
                event = sse.message_event(_error(error, call.msg_id))
                await send({"type": "http.response.body", "body": event, "more_body": True})
                return
            try:
                if (response.header(b"content-type") or "").startswith("text/event-stream"):
                    await until_disconnect(receive, self._relay_events(send, upstream, response, set(), book))
                    book.cut = book.waiting()
                    return
                content = await response.aread()
                message = jsonrpc.loads_or_none(content)
                if not isinstance(message, dict) or not jsonrpc.is_message(message):
                    why = f"{upstream.host} answered HTTP {response.status_code} without an MCP answer."
                    message = jsonrpc.error(call.msg_id, jsonrpc.UPSTREAM_UNAVAILABLE, why)
                    book.finish(why)
                book.note_json(content)
                await send({"type": "http.response.body", "body": sse.message_event(message), "more_body": True})
            except http11.errors() as exc:
                book.cut = True
                raise _cut(upstream, exc) from None
            finally:
                await response.aclose()
        finally:
            book.finish()
            with contextlib.suppress(OSError, RuntimeError):
                await send({"type": "http.response.body", "body": b""})

    async def _relay(
        self,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        response: Response,
        list_ids: set[Any],
        refused: list[dict[str, Any]],
        book: CallBook | None,
    ) -> None:
        headers = downstream_response_headers(response.headers)
        content_type = response.header(b"content-type") or ""
        if content_type.startswith("text/event-stream"):
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            for error in refused:
                await send({"type": "http.response.body", "body": sse.message_event(error), "more_body": True})
            try:
                await until_disconnect(receive, self._relay_events(send, upstream, response, list_ids, book))
            except http11.errors() as exc:
                raise _cut(upstream, exc) from None
            if book is not None:
                book.cut = book.waiting()  # the client left, or Port's stream ended, before the answer: it may have run
            await send({"type": "http.response.body", "body": b""})
            return
        if content_type.startswith("application/json") and (list_ids or refused):
            content = await response.aread()  # one that breaks off: nothing relayed yet, `_post` tells each request
            response.received = len(content)
            if book is not None:
                book.note_json(content)
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
        kept: list[bytes] | None = [] if book is not None and content_type.startswith("application/json") else None
        try:
            async for chunk in response.stream:
                response.received += len(chunk)
                if kept is not None and response.received <= KEEP_MAX:
                    kept.append(chunk)  # a reference, no copy: the recorder reads the answer off the request path
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except http11.errors() as exc:
            raise _cut(upstream, exc) from None
        if book is not None and kept is not None:
            book.note_json(b"".join(kept) if response.received <= KEEP_MAX else b"")
        await send({"type": "http.response.body", "body": b""})

    async def _refusal(self, send: Send, upstream: Upstream, response: Response, book: CallBook | None) -> bool:
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
            if book is not None:
                book.note_json(content)
            await reply_raw(send, response.status_code, downstream_response_headers(response.headers), content)
            return True
        log.warning("%s answered HTTP %d (%s) for profile %s: not an MCP answer", upstream.host, response.status_code,
                    content_type or "no content type", upstream.profile.id)  # fmt: skip
        upstream.last_error = f"{upstream.host} answered HTTP {response.status_code}"  # the tray shows it
        raise not_mcp(upstream, response.status_code, short_message(data, content, content_type))

    async def _relay_events(
        self, send: Send, upstream: Upstream, response: Response, list_ids: set[Any], book: CallBook | None = None
    ) -> None:
        chunks = response.stream.__aiter__()
        noting = sse.EventSplitter() if book is not None else None  # whole events for the book; chunks go on as-is
        if list_ids:  # whole events until the tools/list answer has gone by, then chunks as they come
            splitter = sse.EventSplitter()
            async for chunk in chunks:
                response.received += len(chunk)
                events = list(splitter.feed(chunk))
                if book is not None:
                    for event in events:
                        book.note_event(event)
                out = [rewrite_event(upstream, event, list_ids) for event in events]
                if out:
                    await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
                if not list_ids:
                    break
            rest = splitter.rest()
            if rest:
                if noting is not None:
                    list(noting.feed(rest))  # a partial event (no whole one): the book's splitter carries on from it
                await send({"type": "http.response.body", "body": rest, "more_body": True})
        async for chunk in chunks:
            response.received += len(chunk)
            if noting is not None and book is not None and book.waiting():
                for event in noting.feed(chunk):
                    book.note_event(event)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

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
                        await until_disconnect(receive, merge_stream(send, response, queue), watch_after=0)
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
