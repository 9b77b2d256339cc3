"""Pure: a profile's tools against the tool limits of the clients connected to it, and a one-click way under them.

Cursor sends only its first 40 tools to the agent and the demo organization has 42: rather than a red ✗ in doctor
later, the wizard says so where the client was connected and offers Read-only (when the read tools fit) or a
selection stored as an allow list, so tools Port adds later do not push the client over again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bridge.api.views import ToolInfo, ToolLimit
from bridge.settings import ToolExposure

# What a selection hides first: tools that delete, then those whose effect is unknown, then writes; reads last.
HIDE_FIRST = ("destructive", "unclassified", "write", "read")


@dataclass(frozen=True)
class ToolFit:
    """The tightest connected client over its limit, and the two ways under it."""

    limit: ToolLimit
    over: tuple[ToolLimit, ...]  # every connected client over its limit, tightest first
    exposed: int
    read_only: int | None  # tools left with Read-only on; None when that is no way under (or it is already on)
    selection: ToolExposure  # an allow list under the limit
    hidden: tuple[str, ...]  # what the selection hides, in the order it hid them
    hidden_kinds: frozenset[str] = frozenset()  # their kinds ({"destructive"} for the demo)


def tool_fit(
    tools: Sequence[ToolInfo], limits: Sequence[ToolLimit], connected: Collection[str], *, read_only: bool
) -> ToolFit | None:
    """None when every connected client (by name, as `ToolLimit.client`) handles the tools the profile exposes.

    The selection hides in `HIDE_FIRST` order until the tightest client's limit is met: the tools that delete and those
    of unknown effect as whole groups (the demo: its 6 delete tools), then writes and reads one by one, the last-listed
    first (Cursor keeps the first ones it is sent)."""
    shown = [t for t in tools if t.exposed]
    over = tuple(sorted((t for t in limits if t.client in connected and len(shown) > t.limit), key=lambda t: t.limit))
    if not over:
        return None
    limit = over[0]
    reads = sum(t.kind == "read" for t in shown)
    kept, hidden, kinds = list(shown), [], set[str]()
    for kind in HIDE_FIRST:
        excess = len(kept) - limit.limit
        if excess <= 0:
            break
        group = [t for t in kept if t.kind == kind]
        # A whole group of the riskiest tools is easy to name ("the 6 tools that delete"); writes and reads only as
        # many as needed, the last-listed first.
        gone = group if kind in HIDE_FIRST[:2] else group[::-1][:excess]
        hidden += [t.name for t in gone]
        kinds.update(t.kind for t in gone)
        kept = [t for t in kept if t not in gone]
    return ToolFit(
        limit=limit,
        over=over,
        exposed=len(shown),
        read_only=reads if not read_only and reads <= limit.limit else None,
        selection=ToolExposure(mode="allow", names=[t.name for t in kept]),
        hidden=tuple(hidden),
        hidden_kinds=frozenset(kinds),
    )
