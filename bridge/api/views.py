"""The plain values the facade returns: frozen dataclasses a front end can keep, compare and pass across threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bridge import __version__
from bridge.auth.tokens import ProfileState
from bridge.doctor import Check
from bridge.endpoint import mcp_url
from bridge.policy.renames import ToolDrift

# "unclassified": neither its name nor a hint says whether it writes; read-only mode treats it as a write.
ToolKind = Literal["read", "write", "destructive", "unclassified"]
RunnableKind = Literal["action", "workflow"]


@dataclass(frozen=True)
class ProfileView:
    """A profile as the tray shows it."""

    id: str
    name: str
    organization: str
    region: str
    auth_mode: str
    read_only: bool
    active: bool
    state: ProfileState
    expires_at: float | None
    last_error: str | None
    has_credentials: bool = False  # a sign-in or API credentials are saved (settings only: no keychain read)
    demo: bool = False  # the built-in demo organization (the sandbox in this process)
    tool_drift: ToolDrift | None = None  # tools the exposure list names that Port no longer lists (renamed?)


@dataclass(frozen=True)
class Snapshot:
    """Everything the tray needs to draw itself, taken at once."""

    running: bool
    paused: bool
    url: str
    port: int
    active: ProfileView | None
    profiles: tuple[ProfileView, ...]
    version: str = __version__
    local_key_required: bool = True  # False: any local program may use the bridge (the tray warns)

    @property
    def mcp_url(self) -> str:
        return mcp_url(self.port)


@dataclass(frozen=True)
class ToolInfo:
    """One of the organization's tools, for the Tools page."""

    name: str
    title: str
    description: str
    kind: ToolKind  # from the annotations, by the rule read-only mode uses
    exposed: bool


@dataclass(frozen=True)
class ActionInfo:
    """A self-service action or workflow, for the Actions page: the allowed actions govern both."""

    identifier: str
    title: str
    blueprint: str
    allowed: bool
    kind: RunnableKind = "action"
    destructive: bool = False  # a DELETE action: running it deletes the entity it runs on


@dataclass(frozen=True)
class ToolLimit:
    """A client that handles only so many tools (Cursor: 40 …)."""

    limit: int
    client: str
    note: str


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    text: str = ""  # what "Copy report" (and `port-mcp-bridge doctor`) shows: no secrets

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass(frozen=True)
class RemovedProfile:
    """A removed profile; `keychain_note` says why its keychain entries could not be deleted, if they could not."""

    id: str
    name: str
    keychain_note: str | None = None


@dataclass(frozen=True)
class BridgeStatus:
    """What a running bridge says about itself at /status (`running` False when none answers on the port)."""

    running: bool
    url: str
    report: dict[str, Any] = field(default_factory=dict)  # the JSON of /status
    problem: str = ""  # why what answers on the port was not asked (it could not prove it is the bridge)


def home_relative(path: Path, home: Path) -> str:
    """`~/.cursor/mcp.json` rather than the whole path: shorter, what a person recognises, and the user name stays out
    of screenshots."""
    try:
        return str(Path("~") / path.relative_to(home))
    except ValueError:
        return str(path)
