"""The proxy's stream plumbing: merging the bridge's own events into a GET stream, and relaying until the client
hangs up (then the upstream stream is closed by the caller)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Receive, Send

from bridge.proxy import sse
from bridge.proxy.sender import Response

# A client that hangs up cancels the upstream stream. Watching for that needs a task of its own; a response done
# before this many seconds never starts one (an MCP answer usually takes milliseconds).
WATCH_AFTER = 0.05


async def merge_stream(send: Send, response: Response, queue: asyncio.Queue[bytes]) -> None:
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


async def until_disconnect(receive: Receive, work: Any, watch_after: float = WATCH_AFTER) -> bool:
    """Run `work` (in this task) until it ends or the client goes away (then the upstream stream is closed by the
    caller). The watcher task is only started once `work` has taken `watch_after` seconds: most answers are done
    sooner, and a client that hung up meanwhile is noticed as soon as it starts. Returns whether the client went away
    (`work` was cancelled then)."""
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
    return gone
