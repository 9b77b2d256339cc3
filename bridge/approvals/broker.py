"""Who decides a call that needs approval, and how: the session's earlier "Allow for this session", else the front end
that registered an `Asker` (the tray app's dialog), else the IDE itself (elicitation: the proxy asks on the call's own
stream and hands the client's answer here), else nobody, and the call is refused with a way to approve it.

Lives on the bridge's event loop; only `set_asker` is called from another thread (an attribute swap).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.activity.record import Approval
from bridge.approvals.model import ApprovalRequest, Asker, Decision

log = logging.getLogger(__name__)

_REMEMBERED_MAX = 10_000  # (session, tool, action) triples allowed for their session: the oldest forgotten first


@dataclass(frozen=True)
class Verdict:
    """What came of asking: whether the call may go to Port, and how the approval went (for Activity)."""

    allowed: bool
    approval: Approval | None = None
    detail: str = ""  # declined: "denied", "timed out", "could not ask", "the client went away"


REMEMBERED = Verdict(True, "remembered")
DENIED = Verdict(False, "denied", "denied")
TIMED_OUT = Verdict(False, "timed_out", "timed out")
UNASKED = Verdict(False, None, "could not ask")
GONE = Verdict(False, None, "the client went away")


def verdict_of(decision: Decision) -> Verdict:
    if decision == "once":
        return Verdict(True, "once")
    if decision == "session":
        return Verdict(True, "session")
    return DENIED


class Broker:
    def __init__(self, timeout: Callable[[], float], asker: Asker | None = None) -> None:
        self._timeout = timeout  # seconds, read per request: the settings' approval_timeout
        self.override: float | None = None  # seconds instead of the settings' (tests: no 10 s waits)
        self.asker: Asker | None = asker
        self._remembered: OrderedDict[tuple[str, str, str | None], None] = OrderedDict()
        self._expected: dict[str, tuple[str | None, asyncio.Future[dict[str, Any]]]] = {}

    @property
    def timeout(self) -> float:
        return self.override if self.override is not None else float(self._timeout())

    def set_asker(self, asker: Asker | None) -> None:
        """The front end that asks from now on (None: none). Any thread: the next request reads it."""
        self.asker = asker

    # --- "Allow for this session" ---

    def remembered(self, session_id: str | None, tool: str, action: str | None) -> bool:
        return session_id is not None and (session_id, tool, action) in self._remembered

    def remember(self, session_id: str | None, tool: str, action: str | None) -> None:
        if session_id is None:
            return  # a client without a session has no "this session" to remember it for
        self._remembered[(session_id, tool, action)] = None
        while len(self._remembered) > _REMEMBERED_MAX:
            self._remembered.popitem(last=False)

    def forget_session(self, session_id: str) -> None:
        for key in [k for k in self._remembered if k[0] == session_id]:
            del self._remembered[key]

    # --- the front end's dialog ---

    async def ask(self, request: ApprovalRequest) -> Verdict | None:
        """Ask the registered front end; None when there is none, or it could not ask (the next way is tried).
        No answer within `request.timeout` is Deny; the future is then cancelled, so the dialog closes itself, as it
        does when this task is cancelled (the client went away)."""
        asker = self.asker
        if asker is None:
            return None
        try:
            future = asker(request)
        except Exception:
            log.exception("The approval dialog could not be opened: trying the next way to ask.")
            return None
        try:
            decision = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), request.timeout)
        except TimeoutError:
            return TIMED_OUT
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this request was cancelled (the client went away): the finally closes the dialog
            return DENIED  # the front end withdrew the question (its window closed): not a yes
        finally:
            future.cancel()  # no-op once answered
        return verdict_of(decision) if decision in ("once", "session", "deny") else DENIED

    # --- answers to the proxy's own elicitation/create requests ---

    def expect(self, request_id: str, session_id: str | None) -> asyncio.Future[dict[str, Any]]:
        """A future for the client's response to elicitation request `request_id`, sent on session `session_id`."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._expected[request_id] = (session_id, future)
        return future

    def expecting(self, message: dict[str, Any], session_id: str | None) -> bool:
        """Whether `message` is a response to one of the bridge's own requests on this session (not Port's)."""
        if "method" in message:
            return False
        msg_id = message.get("id")
        expected = self._expected.get(msg_id) if isinstance(msg_id, str) else None
        return expected is not None and expected[0] == session_id

    def answer(self, message: dict[str, Any]) -> None:
        expected = self._expected.pop(message["id"], None)
        if expected is not None and not expected[1].done():
            expected[1].set_result(message)

    def done_expecting(self, request_id: str) -> None:
        self._expected.pop(request_id, None)
