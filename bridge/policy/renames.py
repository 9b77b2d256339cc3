"""Tool exposure lists name tools exactly, and Port has renamed tools several times (port-docs `src/data/mcpTools.js`
history; docs/port-compatibility.md, "Tools of each era"). When a name the list holds is no longer listed, the list
silently stops doing what the user meant: an allow list hides the tool's new name, a deny list exposes it. This module
says so, as a pure function of the list and the names Port lists now: which listed names are gone, which names are
new, and which new name is likely the old one renamed.

Standard library only; the proxy records the names cheaply as lists pass (`toolslist.note_listed`) and this runs
only when someone asks (the facade's snapshot, the Tools page).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.policy import is_read_only_tool

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CUTOFF = 0.72  # difflib ratio: get_blueprints ~ list_blueprints (0.83) pass, list_entities ~ list_actions do not


@dataclass(frozen=True)
class ToolDrift:
    """What changed between a profile's tool list and what Port lists now. Empty (falsy) when nothing is amiss."""

    missing: tuple[str, ...] = ()  # names the list holds that Port no longer lists
    new: tuple[str, ...] = ()  # names Port lists that the list does not name and that are new (or rename targets)
    renames: tuple[tuple[str, str], ...] = ()  # (old, new): a missing name and the new name it likely became

    def __bool__(self) -> bool:
        return bool(self.missing)

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Identifies the change, so a front end tells the user once per change, not on every list."""
        return self.missing, self.new

    def summary(self, limit: int = 4) -> str:
        """ "get_blueprints → list_blueprints?, delete_scorecard (gone)": the missing names, with their likely new
        names."""
        renamed = dict(self.renames)
        parts = [f"{old} → {renamed[old]}?" if old in renamed else f"{old} (gone)" for old in self.missing]
        more = len(parts) - limit
        return ", ".join(parts[:limit]) + (f" and {more} more" if more > 0 else "")

    def updated_names(self, names: Sequence[str]) -> list[str]:
        """The list with each renamed tool's new name in place of its old one and the names gone without a successor
        dropped: what the Tools page's "Update the list" saves (for an allow list and a deny list alike)."""
        renamed = dict(self.renames)
        out: list[str] = []
        for name in names:
            if name in renamed:
                out.append(renamed[name])
            elif name not in self.missing:
                out.append(name)
        return list(dict.fromkeys(out))


def tool_drift(
    names: Iterable[str],
    listed: Iterable[str],
    appeared: Iterable[str] = (),
    hidden_by_port: Callable[[str], bool] | None = None,
) -> ToolDrift:
    """The list's `names` against the names Port `listed` now.

    `appeared`: names first listed since an earlier list this run (none known: the bridge just started), which makes
    them `new`. `hidden_by_port`: names Port leaves out on purpose (write tools while Read-only is on), never counted
    as missing. A missing name's likely new name is, among the new names (else among every listed name the list does
    not hold): one written the same in another case or separator style, else the only one with the same object after
    the verb (`get_blueprints` → `list_blueprints`), else the closest by difflib above a cutoff. Each new name is used
    for at most one old one.
    """
    now = set(listed)
    named = list(dict.fromkeys(names))
    missing = [n for n in named if n not in now and not (hidden_by_port and hidden_by_port(n))]
    if not missing:
        return ToolDrift()
    held = set(named)
    fresh = sorted(set(appeared) & now - held)
    pool = fresh or sorted(now - held)
    renames: list[tuple[str, str]] = []
    for old in missing:
        match = _likely_new_name(old, [c for c in pool if c not in {new for _, new in renames}])
        if match is not None:
            renames.append((old, match))
    targets = [new for _, new in renames]
    return ToolDrift(tuple(missing), tuple(dict.fromkeys([*fresh, *targets])), tuple(renames))


def exposure_drift(
    mode: str,
    names: Iterable[str],
    listed: Iterable[str],
    *,
    read_only: bool = False,
    known: Mapping[str, Mapping[str, Any]] | None = None,
    appeared: Iterable[str] = (),
) -> ToolDrift:
    """`tool_drift` for a profile's exposure (`mode` all/allow/deny and its names): nothing for "all" or an empty
    list; with Read-only on, Port does not list write tools, so a write tool the list names is not gone (judged by
    what `known` holds of it, else by its name, the rule read-only mode uses)."""
    now = set(listed)
    if mode == "all" or not now:  # an empty list (a hiccup, a role without tools) says nothing about renames
        return ToolDrift()
    facts = known or {}

    def hidden(name: str) -> bool:
        return read_only and not is_read_only_tool(facts.get(name) or {"name": name})

    return tool_drift(names, now, appeared, hidden)


def _normal(name: str) -> str:
    return _CAMEL.sub("_", name).replace("-", "_").replace(".", "_").lower()


def _object(name: str) -> str:
    """What a tool acts on: the part after its verb (`get_blueprints` -> `blueprints`)."""
    _verb, sep, rest = _normal(name).partition("_")
    return rest if sep and rest else ""


def _likely_new_name(old: str, candidates: Sequence[str]) -> str | None:
    normal = _normal(old)
    same = [c for c in candidates if _normal(c) == normal]
    if same:
        return same[0]
    thing = _object(old)
    same_object = [c for c in candidates if thing and _object(c) == thing]
    if len(same_object) == 1:
        return same_object[0]
    close = difflib.get_close_matches(normal, [_normal(c) for c in (same_object or candidates)], n=1, cutoff=_CUTOFF)
    if not close:
        return None
    return next(c for c in (same_object or candidates) if _normal(c) == close[0])
