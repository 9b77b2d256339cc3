"""The sandbox's mutable state: configuration, fault knobs, the clock and the organizations.

Fault knobs are plain attributes of `Faults`: tests flip them from Python (`sandbox.faults.latency = 0.2`) and the
loopback admin endpoint (`POST /_sandbox/faults`) patches the same object, so both ways behave identically.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from bridge.sandbox.catalog import Organization
from bridge.sandbox.seed import build_demo_orgs


@dataclass
class Lifetimes:
    """Token lifetimes in seconds. Port documents 30 days absolute / 15 days idle for MCP sessions."""

    access_token: float = 3600.0
    refresh_absolute: float = 30 * 86400.0
    refresh_idle: float = 15 * 86400.0
    authorization_code: float = 300.0
    machine_token: float = 10800.0  # "An API token is valid for 3 hours"


@dataclass
class Faults:
    """Everything a test or the benchmark can break on purpose; all off by default."""

    force_401: bool = False  # every MCP request is answered 401 as if the token were bad
    error_rate: float = 0.0  # share of MCP requests answered 503 (0..1)
    latency: float = 0.0  # seconds added before every MCP request is handled
    cut_streams: int = 0  # the next N SSE responses are cut after their first event
    slow_tool_seconds: float = 0.0  # every tool call takes this long and reports progress meanwhile
    dcr_enabled: bool = True  # False: registration refused, an older imitation of an SSO org (kept as a knob)
    # True imitates what Port really does for an SSO org whose connection is not domain-level: registration succeeds,
    # and the login page shows Auth0's "Oops!, something went wrong" and never redirects (port-docs
    # overview-and-installation.md, "Connecting the server when SSO is enabled", PortAIMCPServerSSOEreror.png)
    sso_login_error: bool = False
    auto_approve: str | None = None  # "<email> <org_id>": the authorize page approves at once (tests)
    no_annotations: bool = False  # tools are listed without annotations (Port documents none for its tools)
    # Port renames tools now and then (port-docs src/data/mcpTools.js history): {"old": "new"} lists and calls the
    # tool by its new name only, as Port does after a rename.
    renamed_tools: dict[str, str] = field(default_factory=dict)

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"Unknown fault knob '{key}'. Knobs: {', '.join(sorted(known))}.")
            current = getattr(self, key)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"'{key}' must be true or false.")
            if key == "error_rate" and not 0 <= float(value) <= 1:
                raise ValueError("'error_rate' must be between 0 and 1.")
            if key == "renamed_tools":
                if not isinstance(value, dict) or not all(isinstance(x, str) for x in (*value, *value.values())):
                    raise ValueError("'renamed_tools' must map old tool names to new ones.")
                value = dict(value)
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SandboxConfig:
    era: Literal["current", "legacy"] = "current"
    issuer_mode: Literal["port", "strict"] = "port"  # "port": issuer differs from the MCP origin, as Port's does
    run_seconds: float = 2.0
    schema_bug: bool = False
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    seed: int | None = None  # seeds the 5xx coin so a fault run can be repeated
    json_response: bool = False  # answer POSTs with one JSON body instead of an SSE stream (both are Streamable HTTP)


class SandboxState:
    def __init__(self, config: SandboxConfig | None = None, faults: Faults | None = None) -> None:
        self.config = config or SandboxConfig()
        self.faults = faults or Faults()
        self.orgs: dict[str, Organization] = build_demo_orgs()
        self.rng = random.Random(self.config.seed)
        self._clock_offset = 0.0
        self._lock = threading.Lock()
        self.expired_sessions: set[str] = set()
        self.live_sessions: set[str] = set()
        self.ended_sessions: set[str] = set()  # ended by the client's DELETE
        # tools/call requests that reached the sandbox, per tool name: tests prove a declined call never got here
        self.tool_calls: collections.Counter[str] = collections.Counter()

    def count_call(self, name: str) -> None:
        with self._lock:
            self.tool_calls[name] += 1

    def now(self) -> float:
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: tokens and action runs age without anyone waiting."""
        with self._lock:
            self._clock_offset += seconds

    def expire_sessions(self) -> int:
        """Every MCP session open now gets 404 from here on, as an upstream that forgot them would answer."""
        with self._lock:
            self.expired_sessions |= self.live_sessions
            count = len(self.live_sessions)
            self.live_sessions = set()
            return count

    def reset(self) -> None:
        self.orgs = build_demo_orgs()
        with self._lock:
            self.tool_calls.clear()
        self.faults.update(Faults().as_dict())  # same object: holders of `faults` keep seeing it
        self._clock_offset = 0.0
