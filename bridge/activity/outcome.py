"""What came of a call, read from Port's answer: ok, a tool error (`result.isError`) or a JSON-RPC error, and Port's
run id when the call started an action or workflow run. Pure, and called off the request path (the activity writer's
thread), so the proxy never parses an answer for Activity's sake.

Port answers `run_action` / `run_<action>` with a text content holding JSON: `{"ok": true, "run": {"id": "r_…",
"link": ["https://app.port.io/organization/run?runId=r_…"], …}}`, `trigger_workflow_run` with `{"ok": true,
"workflowRun": {"id": "wr_…"}}`; newer servers may give the same object as `structuredContent`. A run id is looked for
in those places only (`run.id`, `workflowRun.id`, `runId`, a `runId=` in a link), never guessed from any `id`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from typing import Any

from bridge.activity.record import CallRecord

_DETAIL_MAX = 200  # a short line in a list, not the whole error
_RUN_ID = re.compile(r"^w?r_[A-Za-z0-9]{4,64}$")
_RUN_IN_LINK = re.compile(r"[?&]runId=(w?r_[A-Za-z0-9]{4,64})")
_TEXT_MAX = 256 * 1024  # a text content bigger than this is no run's answer: not decoded


def complete(record: CallRecord, answer: bytes | None) -> CallRecord:
    """`record` with its outcome, detail and run id taken from Port's raw answer. A record whose outcome the proxy
    already decided (refused, declined, cut, or a bridge-made error) passes through as it is, as does one without an
    answer or with one that is no JSON-RPC response."""
    if answer is None or record.outcome in ("refused", "declined", "cut", "error"):
        return record
    try:
        message = json.loads(answer)
    except (ValueError, RecursionError):
        return record
    if not isinstance(message, dict):
        return record
    error = message.get("error")
    if isinstance(error, dict):
        text = error.get("message")
        detail = _short(text if isinstance(text, str) else f"error {error.get('code')}")
        return _with(record, outcome="error", detail=detail)
    result = message.get("result")
    if not isinstance(result, dict):
        return record
    # Every run id has "r_" in it (escaped JSON text keeps those two bytes as they are): an answer without them, most
    # answers, is not decoded a second time.
    payloads = _payloads(result) if b"r_" in answer else []
    run_id = next((found for p in payloads if (found := _run_id(p)) is not None), None)
    if result.get("isError") is True:
        return _with(record, outcome="tool_error", detail=_short(_first_text(result)), run_id=run_id)
    return _with(record, outcome="ok", run_id=run_id)


def _with(record: CallRecord, **changes: str | None) -> CallRecord:
    """`record` with `changes`, a copy: `dataclasses.replace` runs `__init__` and its checks again, half of this
    function's cost on a small answer, for values that are already right."""
    changed = copy.copy(record)
    for name, value in changes.items():
        setattr(changed, name, value)
    return changed


def _payloads(result: dict[str, Any]) -> list[Any]:
    """What Port may have put its answer's object in: `structuredContent`, then each text content decoded as JSON."""
    found: list[Any] = []
    structured = result.get("structuredContent")
    if isinstance(structured, dict):
        found.append(structured)
    content = result.get("content")
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and item.get("type") == "text":
            text = item.get("text")
            if isinstance(text, str) and text[:1] in "{[" and len(text) <= _TEXT_MAX:
                with contextlib.suppress(ValueError, RecursionError):
                    found.append(json.loads(text))
    return found


def _run_id(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in ("run", "workflowRun", "actionRun"):
        run = payload.get(key)
        if isinstance(run, dict):
            found = _id_of(run.get("id")) or _from_links(run.get("link"))
            if found:
                return found
    return _id_of(payload.get("runId")) or _id_of(payload.get("run_id")) or _from_links(payload.get("link"))


def _id_of(value: Any) -> str | None:
    return value if isinstance(value, str) and _RUN_ID.match(value) else None


def _from_links(value: Any) -> str | None:
    links = value if isinstance(value, list) else [value]
    for link in links:
        if isinstance(link, str) and (match := _RUN_IN_LINK.search(link)):
            return match.group(1)
    return None


def _first_text(result: dict[str, Any]) -> str:
    content = result.get("content")
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            return str(item["text"])
    return ""


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _DETAIL_MAX else line[: _DETAIL_MAX - 1] + "…"
