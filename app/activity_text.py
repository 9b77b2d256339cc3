"""How a call record reads in the app: its outcome and approval in words (with the palette's status kind for the
outcome), its time, duration and one-line summary (the Activity table, the tray's last calls), and the whole record as
text (the detail pane) and as JSON (Copy). Pure: no widget, no file."""

from __future__ import annotations

import json
import time
from datetime import datetime

from bridge.api import CallRecord

# outcome -> (words, status kind for app/palette.py). A call cut off after it went to Port may have run: never "failed".
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "ok": ("OK", "ok"),
    "tool_error": ("Tool error", "warn"),
    "error": ("Error", "error"),
    "refused": ("Refused by policy", "neutral"),
    "declined": ("Declined by you", "info"),
    "cut": ("Cut off: may have run", "warn"),
}
APPROVAL_LABELS = {
    "once": "Allowed once",
    "session": "Allowed for the session",
    "remembered": "Allowed earlier this session",
    "denied": "Denied",
    "timed_out": "No answer: denied",
}
RECORD_ARGUMENTS_HINT = (
    "Arguments are not recorded for this profile. To keep them, turn on “Record arguments in Activity” for the "
    "profile on the Profiles page (secrets are removed, as in the logs)."
)


# A declined call: why, from the broker's detail (bridge/approvals/broker.py). Only "denied" was the user's no.
DECLINED_LABELS = {
    "denied": "Declined by you",
    "timed out": "Not answered in time",
    "could not ask": "Declined: nothing could ask you",
    "the client went away": "The assistant stopped waiting",
}


def outcome_label(outcome: str, detail: str = "") -> str:
    if outcome == "declined" and detail in DECLINED_LABELS:
        return DECLINED_LABELS[detail]
    return OUTCOME_LABELS.get(outcome, (outcome, "neutral"))[0]


def said(record: CallRecord) -> str:
    """What came of the call, in words (a declined one says who or what declined it)."""
    return outcome_label(record.outcome, record.detail)


def outcome_kind(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, (outcome, "neutral"))[1]


def approval_label(approval: str | None) -> str:
    return APPROVAL_LABELS.get(approval, approval) if approval else ""


def when(record: CallRecord, now: float | None = None) -> str:
    """Local time: "14:03:22" today, "Dec 5 14:03" on another day."""
    moment = datetime.fromtimestamp(record.time)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return f"{moment:%H:%M:%S}" if moment.date() == today else f"{moment:%b} {moment.day} {moment:%H:%M}"


def duration(record: CallRecord) -> str:
    ms = record.duration_ms
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def what(record: CallRecord) -> str:
    """The tool, and the action it ran: "run_action · deploy_service"."""
    return f"{record.tool} · {record.action}" if record.action else record.tool


def client_label(record: CallRecord) -> str:
    name = record.client or "Unknown client"
    return f"{name} {record.client_version}".strip() if record.client else name


def profile_label(record: CallRecord) -> str:
    org = record.organization
    return f"{record.profile} ({org})" if org and org.casefold() != record.profile.casefold() else record.profile


def menu_line(record: CallRecord, now: float | None = None) -> str:
    """One call in the tray's "Recent activity": "14:03 Cursor: run_action · deploy_service — OK"."""
    stamp = when(record, now)
    stamp = stamp[:5] if len(stamp) == 8 else stamp
    return f"{stamp} {record.client or 'Unknown client'}: {what(record)} — {said(record)}"


def record_text(record: CallRecord) -> str:
    """The record for a person (the detail pane)."""
    moment = datetime.fromtimestamp(record.time).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"Time: {moment}",
        f"Profile: {profile_label(record)}",
        f"Client: {client_label(record)}" + (" (through the stdio shim)" if record.via == "stdio" else ""),
        f"Tool: {record.tool}",
    ]
    if record.action:
        lines.append(f"Action: {record.action}")
    lines.append(f"Outcome: {said(record)}")
    if record.detail:
        lines.append(f"Detail: {record.detail}")
    if record.approval:
        lines.append(f"Approval: {approval_label(record.approval)}")
    lines.append(f"Duration: {duration(record)}")
    if record.run_id:
        lines.append(f"Run: {record.run_id}")
    if record.arguments is None:
        lines += ["", RECORD_ARGUMENTS_HINT]
    else:
        lines += ["", "Arguments:", json.dumps(record.arguments, indent=2, ensure_ascii=False, default=str)]
    return "\n".join(lines)


def record_json(record: CallRecord) -> str:
    """The record as the activity file holds it, indented (Copy)."""
    return json.dumps(record.to_json(), indent=2, ensure_ascii=False, default=str)
