"""Port's `tools/list` answers, rewritten as they pass: the profile's policy applied and schemas repaired
(`policy.rewrite_tools_list`), in a JSON reply or in one SSE event, and remembered per upstream (`listcache`) so the
same list answered again is served from bytes. Every other message passes as it came.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

from bridge.policy import rewrite_tools_list
from bridge.proxy import sse
from bridge.proxy.listcache import ListedTools, encode, known_tools
from bridge.proxy.state import Upstream

_PAUSE_GC_ABOVE = 256 * 1024  # answers to rewrite larger than this are decoded without garbage collection


def rewrite_json(upstream: Upstream, data: Any, list_ids: set[Any], refused: list[dict[str, Any]]) -> Any:
    """A whole JSON reply (one message or a batch) with its answers to `list_ids` rewritten and the errors for calls
    refused locally (`refused`) added."""
    messages = data if isinstance(data, list) else [data]
    try:
        out = [_rewrite_message(upstream, m, list_ids) for m in messages]
    except RecursionError:  # decoded, but too deep to rewrite (schemas are walked): passed on as it came
        out = messages
    if refused:
        return [*out, *refused]
    return out if isinstance(data, list) else out[0]


def _rewrite_message(upstream: Upstream, message: Any, list_ids: set[Any]) -> Any:
    result = message.get("result") if isinstance(message, dict) else None
    if isinstance(result, dict) and _pending(message.get("id"), list_ids):
        tools = result.get("tools")
        if isinstance(tools, list):
            known = known_tools(tools)
            upstream.known_tools.update(known)
            note_listed(upstream, known)
            rewritten = rewrite_tools_list(upstream.policy, result)
            return message if rewritten is result else {**message, "result": rewritten}
    return message


def rewrite_event(upstream: Upstream, event: bytes, list_ids: set[Any]) -> bytes:
    """One SSE event as it goes to the client: rewritten if it answers one of `list_ids` (which it then leaves), from
    the cache when it can be, else as it came (bytes untouched).

    An event too deeply nested to decode or rewrite (a `RecursionError`, anywhere on the way) passes as it came, like
    one that is not JSON: the bridge cannot tell whose answer it is, so it has no request to give an error instead.
    The policy still holds, as `tools/call` is checked on its own (a tool the bridge never saw listed is judged by its
    name alone, which is stricter); only the list's filtering is lost, for a list no client is likely to decode."""
    if not list_ids:
        return event
    try:
        return _rewrite_event(upstream, event, list_ids)
    except RecursionError:
        return event


def _rewrite_event(upstream: Upstream, event: bytes, list_ids: set[Any]) -> bytes:
    span = sse.data_span(event)
    if span is None:  # no data, or data over several lines: the general (slower) path
        return _rewrite_event_lines(upstream, event, list_ids)
    start, end = span
    data = event[start:end]
    if b'"tools"' not in data:
        return event
    listed: ListedTools | None = upstream.listed
    if listed is not None:
        hit = listed.match(upstream.policy, data, list_ids)
        if hit is not None:
            msg_id, token = hit
            list_ids.discard(msg_id)
            upstream.known_tools.update(listed.known)
            note_listed(upstream, listed.known)
            return event if listed.out_head is None else listed.rewrite(event, start, end, token)
    with gc_paused(len(data)):
        return _rewrite_fresh(upstream, event, start, end, data, list_ids)


def _rewrite_fresh(upstream: Upstream, event: bytes, start: int, end: int, data: bytes, list_ids: set[Any]) -> bytes:
    """A `tools/list` event the cache did not have: decode, rewrite, remember and encode it."""
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to decode: passed on as it came
        return event
    if not isinstance(message, dict) or "result" not in message or not _pending(message.get("id"), list_ids):
        return event
    list_ids.discard(message["id"])
    result = message["result"]
    if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
        return event
    known = known_tools(result["tools"])
    upstream.known_tools.update(known)
    note_listed(upstream, known)
    rewritten_result = rewrite_tools_list(upstream.policy, result)
    rewritten = message if rewritten_result is result else {**message, "result": rewritten_result}
    upstream.listed = listed = ListedTools.build(upstream.policy, data, message, rewritten, known)
    if rewritten is message:
        return event
    if listed is not None:  # it has just encoded the rewritten list: use that rather than encode it again
        head, tail = listed.sizes
        return listed.rewrite(event, start, end, data[head : len(data) - tail])
    return b"".join((event[:start], encode(rewritten), event[end:]))


def _rewrite_event_lines(upstream: Upstream, event: bytes, list_ids: set[Any]) -> bytes:
    data = sse.event_data(event)
    if data is None or '"tools"' not in data:
        return event
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):
        return event
    rewritten = _rewrite_message(upstream, message, list_ids)
    if isinstance(message, dict) and "result" in message and _pending(message.get("id"), list_ids):
        list_ids.discard(message["id"])  # only an id it could be: one that is a list or an object is no key
    return event if rewritten is message else sse.replace_data(event, rewritten)


def note_listed(upstream: Upstream, known: dict[str, Any]) -> None:
    """Remember the names Port just listed, for `Upstream.tool_drift` (renamed tools). Off the hot path: the same list
    again (a cache hit hands over the same dict) costs one identity check, another list a set comparison."""
    if known is upstream.noted_known:
        return
    upstream.noted_known = known
    before = upstream.listed_names
    if before is not None and before == known.keys():
        return
    now = frozenset(known)
    if before is not None:  # names new since an earlier list (and still listed) are the candidates for a rename
        upstream.appeared_names = (upstream.appeared_names | (now - before)) & now
    upstream.listed_names = now


@contextlib.contextmanager
def gc_paused(size: int) -> Iterator[None]:
    """No garbage collection while a large answer is decoded and rewritten: decoding a 2,000-tool list makes ~100,000
    objects, which set off collections that walk the whole heap again and again (heavy list: 281 -> 108 ms). The
    decoded JSON holds no reference cycles, so nothing collectable is left for later that would not be anyway."""
    if size < _PAUSE_GC_ABOVE or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _pending(msg_id: Any, list_ids: set[Any]) -> bool:
    """Whether a response's id answers one of the pending tools/list requests (an id may be anything upstream sent)."""
    return isinstance(msg_id, int | str) and not isinstance(msg_id, bool) and msg_id in list_ids
