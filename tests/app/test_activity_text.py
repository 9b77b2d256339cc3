"""How a call record reads in the app (pure): outcome and approval words, time today and on another day, durations,
the menu's line, the detail text with or without recorded arguments."""

from __future__ import annotations

import json
from datetime import datetime

from app.activity_text import (
    OUTCOME_LABELS,
    RECORD_ARGUMENTS_HINT,
    approval_label,
    duration,
    menu_line,
    outcome_kind,
    record_json,
    record_text,
    when,
)
from app.palette import STATUS
from bridge.api import OUTCOMES, CallRecord

NOON = datetime(2026, 12, 6, 12, 0, 0).timestamp()


def call(**fields: object) -> CallRecord:
    values: dict[str, object] = dict(time=NOON, profile_id="p", profile="Prod", organization="Acme",
                                     client="Cursor", client_version="1.7", tool="run_action", outcome="cut",
                                     action="deploy")  # fmt: skip
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def test_every_outcome_has_words_and_a_palette_colour() -> None:
    assert set(OUTCOME_LABELS) == set(OUTCOMES)
    assert all(outcome_kind(o) in STATUS for o in OUTCOMES)
    assert OUTCOME_LABELS["cut"][0] == "Cut off: may have run"  # never "failed": it may have run in Port
    assert approval_label("timed_out") == "No answer: denied" and approval_label(None) == ""


def test_times_and_durations() -> None:
    assert when(call(), now=NOON + 60) == "12:00:00"
    assert when(call(), now=NOON + 86400) == "Dec 6 12:00"
    assert duration(call(duration_ms=12.4)) == "12 ms" and duration(call(duration_ms=6410)) == "6.4 s"
    assert menu_line(call(), now=NOON) == "12:00 Cursor: run_action · deploy — Cut off: may have run"
    assert menu_line(call(client=""), now=NOON).startswith("12:00 Unknown client: ")


def test_the_detail_text_and_the_json_copy() -> None:
    text = record_text(call(via="stdio", detail="The answer broke off", run_id="r_1"))
    assert "Profile: Prod (Acme)" in text and "Client: Cursor 1.7 (through the stdio shim)" in text
    assert "Detail: The answer broke off" in text and "Run: r_1" in text and text.endswith(RECORD_ARGUMENTS_HINT)
    recorded = record_text(call(arguments={"a": {"b": 1}}))
    assert recorded.endswith('Arguments:\n{\n  "a": {\n    "b": 1\n  }\n}')
    copied = json.loads(record_json(call()))
    assert copied == call().to_json() and "arguments" not in copied


def test_a_declined_call_says_who_declined_it() -> None:
    """Only the user's Deny reads "Declined by you": no answer in time, nothing to ask with, and an assistant that
    stopped waiting are said as what they were."""
    from app.activity_text import outcome_label

    lines = {detail: menu_line(call(outcome="declined", detail=detail), NOON).rsplit(" — ", 1)[1]
             for detail in ("denied", "timed out", "could not ask", "the client went away")}  # fmt: skip
    assert lines == {
        "denied": "Declined by you",
        "timed out": "Not answered in time",
        "could not ask": "Declined: nothing could ask you",
        "the client went away": "The assistant stopped waiting",
    }
    assert outcome_label("declined") == "Declined by you"  # a record from before details were kept
    assert "Outcome: The assistant stopped waiting" in record_text(
        call(outcome="declined", detail="the client went away")
    )
