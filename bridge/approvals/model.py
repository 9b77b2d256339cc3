"""What an approval asks and what the answer can be: plain values shared by the proxy (which asks), the tray app
(which shows a dialog) and the elicitation path (which asks inside the IDE)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

# Allow once, Allow for this session (the same tool, and action, in the same client session), Deny.
Decision = Literal["once", "session", "deny"]


@dataclass(frozen=True)
class ApprovalRequest:
    id: str  # unique per request: a dialog for it closes when it is answered or times out
    profile_id: str
    profile: str  # the profile's name
    organization: str
    client: str  # the clientInfo name ("" when unknown), e.g. "Cursor"
    tool: str
    action: str | None  # the action's or workflow's identifier, for tools that run one
    arguments: dict[str, Any] = field(default_factory=dict)
    timeout: float = 60.0  # seconds until no answer counts as Deny


# How a front end answers: called on the bridge's event loop (it must not block), returns a future the front end
# completes with a Decision. The bridge cancels the future when the time is up (the dialog then closes itself).
Asker = Callable[[ApprovalRequest], "concurrent.futures.Future[Decision]"]
