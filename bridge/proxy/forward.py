"""The proxy itself: a raw ASGI app that forwards MCP's Streamable HTTP transport to the profile's Port server.

POST bodies are parsed to apply policy to `tools/call` and to spot `tools/list` requests, whose results are the only
thing rewritten; responses stream back as they arrive (JSON or SSE). GET streams and DELETE pass through. Every error
a client can meet is a JSON-RPC error that says what happened and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import httpx2
from starlette.types import Message, Receive, Scope, Send

from bridge.policy import decide_call, rewrite_tools_list
from bridge.proxy import jsonrpc, sse
from bridge.proxy.headers import downstream_response_headers, upstream_request_headers
from bridge.proxy.state import Resolver, Sessions, Upstream
from bridge.tokens import SignInRequired

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
_TIMEOUT = httpx2.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)


class _BodyTooLarge(Exception):
    pass


class McpProxy:
    """ASGI endpoint for `/mcp` (active profile) and `/p/{profile_id}/mcp` (a pinned profile)."""

    def __init__(self, resolve: Resolver, sessions: Sessions, http: httpx2.AsyncClient | None = None) -> None:
        self.resolve = resolve
        self.sessions = sessions
        self.http = http or httpx2.AsyncClient(timeout=_TIMEOUT, limits=httpx2.Limits(max_keepalive_connections=20))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        pinned = scope.get("path_params", {}).get("profile_id")
        upstream = self.resolve(pinned)
        if upstream is None:
            await _reply(send, 404 if pinned else 503, _no_profile(pinned))
            return
        headers = scope["headers"]
        session_id = _header(headers, b"mcp-session-id")
        if session_id and not self.sessions.usable(session_id, upstream.profile.id):
            # The session belongs to another profile (or was ended by a switch): the client must start over.
            await _reply(send, 404, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Session not found"))
            return
        if method == "POST":
            await self._post(scope, receive, send, upstream, session_id)
        elif method == "GET":
            await self._get(scope, receive, send, upstream, session_id)
        elif method == "DELETE":
            response = await self._forward(upstream, "DELETE", headers, b"", stream=False)
            if isinstance(response, httpx2.Response):
                if session_id:
                    self.sessions.forget(session_id)
                await _reply_raw(
                    send, response.status_code, downstream_response_headers(response.headers.raw), response.content
                )
            else:
                await _reply(send, 502, response)
        else:
            await _reply(send, 405, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Use POST, GET or DELETE."),
                         extra=[(b"allow", b"GET, POST, DELETE")])  # fmt: skip

    # --- POST -----------------------------------------------------------------------------------------------

    async def _post(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream, session_id: str | None
    ) -> None:
        headers = scope["headers"]
        content_type = (_header(headers, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            await _reply(
                send, 415, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Content-Type must be application/json.")
            )
            return
        try:
            raw = await _read_body(receive, MAX_BODY)
        except _BodyTooLarge:
            await _reply(send, 413, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Request body larger than 4 MiB."))
            return
        try:
            body = jsonrpc.parse_body(raw)
        except json.JSONDecodeError as exc:
            await _reply(send, 400, jsonrpc.error(None, jsonrpc.PARSE_ERROR, f"Parse error: {exc.msg}"))
            return
        except jsonrpc.InvalidMessage as exc:
            await _reply(send, 400, jsonrpc.error(None, exc.code, str(exc)))
            return

        refused: list[dict[str, Any]] = []
        forward: list[dict[str, Any]] = []
        list_ids: set[Any] = set()
        for message in body.messages:
            if message.get("method") == "tools/call" and message.get("id") is not None:
                params = message.get("params") or {}
                name = str(params.get("name", ""))
                decision = decide_call(
                    upstream.policy, name, params.get("arguments"), upstream.known_tools.get(name),
                    profile=upstream.profile.name,
                )  # fmt: skip
                if not decision.allowed:
                    refused.append(jsonrpc.error(message["id"], jsonrpc.POLICY_REFUSED, decision.reason))
                    continue
            elif message.get("method") == "tools/list" and message.get("id") is not None:
                list_ids.add(message["id"])
            forward.append(message)

        if not forward:  # everything was refused locally: Port never hears of it
            await _reply(send, 200, refused if body.batch else refused[0])
            return
        payload = raw if not refused else jsonrpc.encode(forward if body.batch else forward[0])
        response = await self._forward(upstream, "POST", headers, payload, stream=True)
        if not isinstance(response, httpx2.Response):
            errors = [{**response, "id": m["id"]} for m in body.requests()]
            await _reply(send, 200, errors if body.batch else (errors[0] if errors else response))
            return
        try:
            new_session = response.headers.get("mcp-session-id")
            if new_session:
                self.sessions.bind(new_session, upstream.profile.id)
            if response.status_code == 404 and session_id:
                self.sessions.forget(session_id)
            await self._relay(receive, send, upstream, response, list_ids, refused)
        finally:
            await response.aclose()

    async def _relay(
        self,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        response: httpx2.Response,
        list_ids: set[Any],
        refused: list[dict[str, Any]],
    ) -> None:
        headers = downstream_response_headers(response.headers.raw)
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/event-stream"):
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            for error in refused:
                await send({"type": "http.response.body", "body": sse.message_event(error), "more_body": True})
            await _until_disconnect(receive, self._relay_events(send, upstream, response, list_ids))
            await send({"type": "http.response.body", "body": b""})
            return
        if content_type.startswith("application/json") and (list_ids or refused):
            data = json.loads(await response.aread())  # a JSON reply is complete by nature: rewriting it is safe
            data = self._rewrite_json(upstream, data, list_ids, refused)
            await _reply(send, response.status_code, data, extra=[h for h in headers if h[0] != b"content-type"])
            return
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def _rewrite_json(self, upstream: Upstream, data: Any, list_ids: set[Any], refused: list[dict[str, Any]]) -> Any:
        messages = data if isinstance(data, list) else [data]
        out = [self._rewrite_message(upstream, m, list_ids) for m in messages]
        if refused:
            return [*out, *refused]
        return out if isinstance(data, list) else out[0]

    def _rewrite_message(self, upstream: Upstream, message: Any, list_ids: set[Any]) -> Any:
        if isinstance(message, dict) and message.get("id") in list_ids and isinstance(message.get("result"), dict):
            result = message["result"]
            tools = result.get("tools")
            if isinstance(tools, list):
                for tool in tools:
                    if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                        # Only what policy reads: a 2,000-tool list would otherwise pin megabytes per profile.
                        upstream.known_tools[tool["name"]] = {
                            "name": tool["name"],
                            "annotations": tool.get("annotations"),
                        }
                rewritten = rewrite_tools_list(upstream.policy, result)
                return message if rewritten is result else {**message, "result": rewritten}
        return message

    async def _relay_events(
        self, send: Send, upstream: Upstream, response: httpx2.Response, list_ids: set[Any]
    ) -> None:
        splitter = sse.EventSplitter()
        async for chunk in response.aiter_raw():
            if not list_ids:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                continue
            out = []
            for event in splitter.feed(chunk):
                out.append(self._rewrite_event(upstream, event, list_ids))
            if out:
                await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
        rest = splitter.rest()
        if rest:
            await send({"type": "http.response.body", "body": rest, "more_body": True})

    def _rewrite_event(self, upstream: Upstream, event: bytes, list_ids: set[Any]) -> bytes:
        data = sse.event_data(event)
        if data is None or '"tools"' not in data:
            return event
        try:
            message = json.loads(data)
        except ValueError:
            return event
        rewritten = self._rewrite_message(upstream, message, list_ids)
        if isinstance(message, dict) and "result" in message:
            list_ids.discard(message.get("id"))
        return event if rewritten is message else sse.replace_data(event, rewritten)

    # --- GET: the server-to-client stream ----------------------------------------------------------------------

    async def _get(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream, session_id: str | None
    ) -> None:
        response = await self._forward(upstream, "GET", scope["headers"], b"", stream=True, read_timeout=None)
        if not isinstance(response, httpx2.Response):
            await _reply(send, 502, response)
            return
        try:
            headers = downstream_response_headers(response.headers.raw)
            if response.status_code != 200 or not session_id:
                await _reply_raw(send, response.status_code, headers, await response.aread())
                return
            queue = self.sessions.open_stream(session_id)
            try:
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await _until_disconnect(receive, _merge_stream(send, response, queue))
                with contextlib.suppress(OSError, RuntimeError):
                    await send({"type": "http.response.body", "body": b""})
            finally:
                self.sessions.close_stream(session_id, queue)
        finally:
            await response.aclose()

    # --- upstream ----------------------------------------------------------------------------------------------

    async def _forward(
        self,
        upstream: Upstream,
        method: str,
        client_headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        stream: bool,
        read_timeout: float | None = 300.0,
    ) -> httpx2.Response | dict[str, Any]:
        """Send upstream with the profile's token; on 401 refresh once and replay. Returns the response, or a JSON-RPC
        error (with id None) describing why there is none."""
        headers = upstream_request_headers(client_headers)
        headers += [(k.encode(), v.encode()) for k, v in upstream.policy.upstream_headers().items()]
        headers.append((b"accept-encoding", b"identity"))
        try:
            token = await upstream.tokens.token()
        except SignInRequired as exc:
            return _sign_in_error(upstream, exc.message)
        except httpx2.HTTPError as exc:
            return _unreachable(upstream, exc)
        timeout = (
            _TIMEOUT
            if read_timeout == 300.0
            else httpx2.Timeout(connect=10.0, read=read_timeout, write=30.0, pool=10.0)
        )
        for attempt in (1, 2):
            request = self.http.build_request(
                method, upstream.url, headers=[*headers, (b"authorization", f"Bearer {token}".encode())],
                content=body, timeout=timeout,
            )  # fmt: skip
            try:
                response = await self.http.send(request, stream=stream)
            except httpx2.HTTPError as exc:
                upstream.last_error = f"cannot reach {upstream.host}"
                log.warning(
                    "%s %s for profile %s failed: %s", method, upstream.host, upstream.profile.id, type(exc).__name__
                )
                return _unreachable(upstream, exc)
            if response.status_code != 401 or attempt == 2:
                break
            await response.aclose()
            new_token = await upstream.tokens.refresh_after_401(token)
            if new_token is None:
                log.warning("Port refused the token of profile %s and no new one could be had", upstream.profile.id)
                upstream.last_error = "sign-in required"
                return _sign_in_error(upstream, "Port no longer accepts the saved sign-in.")
            token = new_token
        if response.status_code == 401:
            await response.aclose()
            upstream.last_error = "sign-in required"
            return _sign_in_error(upstream, "Port refused the token even after a refresh.")
        upstream.last_error = None
        return response


async def _merge_stream(send: Send, response: httpx2.Response, queue: asyncio.Queue[bytes]) -> None:
    """Relay the upstream stream event by event, slipping the bridge's own events in between whole events."""
    splitter = sse.EventSplitter()
    upstream_iter = response.aiter_raw().__aiter__()
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


async def _until_disconnect(receive: Receive, work: Any) -> None:
    """Run `work` until it ends or the client goes away (then the upstream stream is closed by the caller)."""
    task = asyncio.ensure_future(work)

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                task.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        watcher.cancel()


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


async def _reply(send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _reply_raw(send, status, [(b"content-type", b"application/json"), *(extra or [])], jsonrpc.encode(payload))


async def _reply_raw(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [h for h in headers if h[0] != b"content-length"] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _no_profile(pinned: str | None) -> dict[str, Any]:
    if pinned:
        text = (
            f"No profile '{pinned}'. See `port-mcp-bridge profiles list` for the ids, or use /mcp for the active one."
        )
    else:
        text = "No Port profile is active. Add one in the tray menu or with `port-mcp-bridge profiles add`."
    return jsonrpc.error(None, jsonrpc.INVALID_REQUEST, text)


def _sign_in_error(upstream: Upstream, why: str) -> dict[str, Any]:
    name = upstream.profile.name
    return jsonrpc.error(
        None,
        jsonrpc.SIGN_IN_REQUIRED,
        f"Sign in to {name}: {why} Use Sign in in the Port MCP Bridge tray menu, or run "
        f"`port-mcp-bridge login {upstream.profile.id}`.",
        {"profile": upstream.profile.id, "state": "needs_sign_in"},
    )


def _unreachable(upstream: Upstream, exc: Exception) -> dict[str, Any]:
    kind = {
        httpx2.ConnectTimeout: "the connection timed out",
        httpx2.ReadTimeout: "it stopped answering",
        httpx2.ConnectError: "the connection failed",
    }.get(type(exc), type(exc).__name__)
    return jsonrpc.error(
        None,
        jsonrpc.UPSTREAM_UNAVAILABLE,
        f"Cannot reach Port at {upstream.describe()}: {kind}. Check your network or VPN (your organization may allow "
        "only some IP addresses), then run `port-mcp-bridge doctor` for details.",
        {"profile": upstream.profile.id, "host": upstream.host},
    )
