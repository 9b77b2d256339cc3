"""One call as Activity shows it and the activity file holds it: a plain value, one JSON object per line.

Never a token, the local key or an `Authorization` value: the fields are labels, times and Port's own ids, and the
arguments only when the profile asks for them, redacted as the logs are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# ok: Port answered with a result; tool_error: a result with isError (the tool ran and said no); error: a JSON-RPC
# error from Port or from the bridge (Port unreachable, sign-in needed); refused: the profile's policy (read-only,
# allowed actions, hidden tool) stopped it here; declined: the user said no, or did not answer in time; cut: the
# answer broke off after the call had gone to Port, so it may have run (never "failed").
Outcome = Literal["ok", "tool_error", "error", "refused", "declined", "cut"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "tool_error", "error", "refused", "declined", "cut")

# How an approval went, when one was asked: once / session (Allow once, Allow for this session), denied, timed_out,
# or remembered (allowed earlier for this session). None: no approval was needed.
Approval = Literal["once", "session", "remembered", "denied", "timed_out"]


@dataclass
class CallRecord:
    time: float  # when the call arrived, seconds since the epoch (UTC)
    profile_id: str
    profile: str  # the profile's name
    organization: str  # the organization's name as Port gave it at sign-in ("" when not known)
    client: str  # the clientInfo name of the call's session ("" when the bridge did not see its initialize)
    client_version: str
    tool: str
    outcome: Outcome
    duration_ms: float = 0.0  # from arrival to the end of the answer (or the refusal)
    action: str | None = None  # the action's or workflow's identifier, for tools that run one
    run_id: str | None = None  # Port's run id, when its answer has one (a link to the run in Port)
    detail: str = ""  # refused: which rule; error: the message; cut: "may have run"
    approval: Approval | None = None
    via: str = "http"  # "stdio" for calls that came through the stdio shim
    arguments: dict[str, Any] | None = field(default=None)  # only when the profile records arguments, redacted

    def to_json(self) -> dict[str, Any]:
        """The record as the file holds it: fields that say nothing (None, "") left out."""
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallRecord:
        """A record from a line of the file; unknown keys (a newer version's) are ignored, missing ones defaulted."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in ("profile_id", "profile", "organization", "client", "client_version", "tool"):
            values.setdefault(name, "")
        values.setdefault("time", 0.0)
        values.setdefault("outcome", "error")
        return cls(**values)
