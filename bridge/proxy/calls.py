"""Each `tools/call` of a POST, recorded exactly once: what was called, by whom, and what came of it.

A `CallBook` is made only for a POST that carries a call with an id (other requests cost nothing). The request path
keeps references, never parses: Port's answer is handed to the recorder as raw bytes (a JSON body, or the data of the
SSE event that answers the call) and `activity.outcome.complete` reads it off the request path. An SSE event is
matched to its call by the `"id"` at the head of its data (a response's id comes first in practice), and told from a
server's request or notification by a `"method"` key there: two byte searches, no decoding.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bridge.activity.record import Approval, CallRecord, Outcome
from bridge.activity.recorder import Recorder
from bridge.policy import action_of_call, decide_call
from bridge.proxy import jsonrpc, sse
from bridge.proxy.state import ClientInfo, Upstream

KEEP_MAX = 1 << 20  # an answer bigger than this is recorded without being read (no run id, outcome "ok")
_HEAD = 512  # the bytes of an event's data searched for its id and a method
VIA_HEADER = b"x-port-mcp-bridge-via"  # the stdio shim's mark (never sent to Port: headers._NOT_UPSTREAM)
_RULES = {"read_only": "read-only mode", "allowed_actions": "not an allowed action", "tool_exposure": "hidden tool"}
MAY_HAVE_RUN = "may have run"


def call_refusal(upstream: Upstream, message: dict[str, Any]) -> tuple[dict[str, Any], Outcome, str] | None:
    """The error a `tools/call` gets here instead of going to Port (its shape is wrong, or the policy refuses it),
    with its outcome and detail for Activity, or None when it may go. Checked for calls without an id too: a policy
    must not be passed by leaving the id out."""
    params = message.get("params", {})
    msg_id = message.get("id")
    if not isinstance(params, dict):
        why = 'The "params" of tools/call must be a JSON object.'
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, why), "error", why
    name = params.get("name")
    if not isinstance(name, str):
        why = 'tools/call needs the tool\'s "name", a string.'
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, why), "error", why
    arguments = params.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        why = 'The "arguments" of tools/call must be a JSON object.'
        return jsonrpc.error(msg_id, jsonrpc.INVALID_PARAMS, why), "error", why
    decision = decide_call(
        upstream.policy, name, arguments, upstream.known_tools.get(name), profile=upstream.profile.name
    )
    if decision.allowed:
        return None
    rule = _RULES.get(decision.setting, decision.setting or "policy")
    return jsonrpc.error(msg_id, jsonrpc.POLICY_REFUSED, decision.reason), "refused", rule


class Call:
    """One call with an id, from its arrival until it is recorded."""

    __slots__ = ("_id_pattern", "arguments", "done", "msg_id", "name", "record")

    def __init__(self, msg_id: Any, name: str, arguments: dict[str, Any] | None, record: CallRecord) -> None:
        self.msg_id = msg_id
        self.name = name
        self.arguments = arguments
        self.record = record
        self.done = False
        self._id_pattern: re.Pattern[bytes] | None = None

    def answered_by(self, head: bytes) -> bool:
        value = json.dumps(self.msg_id).encode()
        at = head.find(b'"id":' + value)  # compact JSON, what servers send: one memchr-speed search
        if at > 0 and head[at - 1 : at] != b"\\" and head[at + 5 + len(value) : at + 6 + len(value)] in (b",", b"}"):
            return True
        if self._id_pattern is None:  # spaced JSON: the slower way
            self._id_pattern = re.compile(rb'(?<!\\)"id"\s*:\s*' + re.escape(value) + rb"\s*[,}]")
        return self._id_pattern.search(head) is not None


class CallBook:
    """The calls of one POST. `add` each call as it arrives; `settle` one decided here (refused, declined, an error
    of the bridge's own); `note_json` / `note_event` Port's answer; `finish` records what is left."""

    def __init__(
        self, recorder: Recorder, upstream: Upstream, client: ClientInfo | None, via: str, batch: bool = False
    ) -> None:
        self.recorder = recorder
        self.upstream = upstream
        self.client = client or ClientInfo()
        self.via = via
        self.batch = batch  # the POST was a batch: so is Port's JSON answer
        self.time = time.time()
        self.started = time.monotonic()
        self.calls: list[Call] = []
        self.cut = False  # the answer broke off, or the client went away before it came

    def add(self, message: dict[str, Any]) -> Call | None:
        """Note a `tools/call`; None for one without an id (a notification: nothing to record, no answer)."""
        msg_id = message.get("id")
        if msg_id is None:
            return None
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        raw_name, raw_arguments = params.get("name"), params.get("arguments")
        name = raw_name if isinstance(raw_name, str) else ""
        arguments = raw_arguments if isinstance(raw_arguments, dict) else None
        profile = self.upstream.profile
        record = CallRecord(
            time=self.time, profile_id=profile.id, profile=profile.name, organization=profile.organization,
            client=self.client.name, client_version=self.client.version, tool=name, outcome="ok",
            action=action_of_call(name, arguments) or None, via=self.via,
            arguments=dict(arguments or {}) if profile.record_arguments else None,
        )  # fmt: skip
        call = Call(msg_id, name, arguments, record)
        self.calls.append(call)
        return call

    def find(self, msg_id: Any) -> Call | None:
        return next((c for c in self.calls if c.msg_id == msg_id and not c.done), None)

    def approved(self, call: Call, approval: Approval | None) -> None:
        call.record.approval = approval

    def settle(self, call: Call, outcome: Outcome, detail: str = "", approval: Approval | None = None) -> None:
        """Record a call decided here, now: it never went to Port (or the bridge's own error stands for its answer)."""
        call.record.outcome, call.record.detail = outcome, detail
        if approval is not None:
            call.record.approval = approval
        self._record(call, None)

    def note_json(self, content: bytes) -> None:
        """Port's JSON answer to the POST: the answer of its one call (a batch's are recorded unread); b"" when it was
        too large to keep."""
        waiting = [c for c in self.calls if not c.done]
        if len(waiting) == 1 and not self.batch:
            self._record(waiting[0], content if 0 < len(content) <= KEEP_MAX else None)
        else:
            for call in waiting:
                self._record(call, None)

    def note_event(self, event: bytes) -> None:
        """An event of Port's SSE answer: recorded as the answer of the call whose id its data starts with (or of the
        only call waiting), unless it is a request or notification of the server's."""
        span = sse.data_span(event)
        if span is None:
            return
        start, end = span
        head = event[start : min(end, start + _HEAD)]
        if _is_key(head, b'"method"'):
            return
        waiting = [c for c in self.calls if not c.done]
        if not waiting:
            return
        if len(waiting) == 1:  # the usual case: a response on this stream can only be the one call's
            call: Call | None = waiting[0] if b'"id"' in head else None
        else:
            call = next((c for c in waiting if c.answered_by(head)), None)
        if call is not None:
            self._record(call, event[start:end] if end - start <= KEEP_MAX else None)

    def waiting(self) -> bool:
        return any(not c.done for c in self.calls)

    def finish(self, error: str | None = None) -> None:
        """Record every call not recorded yet: with the bridge's `error` (Port could not be reached: nothing ran), as
        cut when the answer broke off or the client left before it (it may have run), else unread."""
        for call in self.calls:
            if call.done:
                continue
            if error is not None:
                call.record.outcome, call.record.detail = "error", error
            elif self.cut:
                call.record.outcome, call.record.detail = "cut", MAY_HAVE_RUN
            self._record(call, None)

    def _record(self, call: Call, answer: bytes | None) -> None:
        call.done = True
        call.record.duration_ms = round((time.monotonic() - self.started) * 1000, 3)
        self.recorder.record(call.record, answer)


def _is_key(head: bytes, quoted: bytes) -> bool:
    """Whether `quoted` ("method" with its quotes) is a key in this JSON text: not escaped (inside a string its quotes
    would be) and followed by a colon. `bytes.find`, not a regex: this runs on every event of a call's answer."""
    at = head.find(quoted)
    while at >= 0:
        if head[at - 1 : at] != b"\\" and head[at + len(quoted) :].lstrip()[:1] == b":":
            return True
        at = head.find(quoted, at + 1)
    return False
