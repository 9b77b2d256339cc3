"""One doctor for the Settings window and `port-mcp-bridge doctor`: the same checks, in the same order, and the same
report text (what "Copy report" copies and the command prints; it never contains a token, secret or key).

Blocking (DNS, TCP, TLS, sign-in and an MCP handshake): a GUI runs it on a worker thread.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import platform
import time
from collections.abc import Callable, Sequence

from bridge import __version__
from bridge.api.demo import is_demo, with_demo
from bridge.api.views import DoctorReport, ToolLimit
from bridge.auth.sso import region_name
from bridge.doctor import (
    Check,
    check_actions,
    check_keychain,
    check_local_port,
    check_settings,
    check_tool_limits,
    not_run,
    read_only_tokens,
    run_checks,
)
from bridge.errors import BridgeError
from bridge.export.versions import UNKNOWN
from bridge.settings import Profile, Settings, SettingsStore


def doctor_report(
    store: SettingsStore,
    settings: Settings,
    profile: Profile,
    *,
    port: int,
    key: str | None = None,
    serving_here: bool,
    exposed_tools: Callable[[], int] | None,
    limits: Callable[[], Sequence[ToolLimit]],
    connected: Callable[[], set[str]],
    found: Callable[[], Sequence[tuple[str, str]]] = tuple,
    last_errors: Sequence[str] = (),
) -> DoctorReport:
    """Settings, keychain and the local port, then DNS, TCP/TLS, sign-in, MCP, the tool list and a read-only tool
    call for `profile`, then (when those passed and `exposed_tools` can count them) the tool count against connected
    clients' limits. The text has what Port support asks for (Port's guide, "Getting help"): the IDE/application
    versions (`found`: the clients installed here, each with its version), the error messages, the region, and the
    steps already tried (each check with its result)."""
    demo = is_demo(profile)  # the sandbox in the tray app: its own tokens, no keychain
    checks = [check_settings(store), check_keychain(demo=demo),
              check_local_port(port, serving_here=serving_here, key=key)]  # fmt: skip
    checks += run_checks(settings, profile, with_demo(read_only_tokens)(profile), demo=demo)
    if exposed_tools is not None:
        listed = any(check.name == "Tools" and check.ok for check in checks)
        checks.append(_tool_count(exposed_tools, limits, connected) if listed else
                      not_run("Tool count", "it needs the tool list above"))  # fmt: skip
    region = profile.region.value
    checks = [dataclasses.replace(c, actions=check_actions(c, region, demo=demo)) for c in checks]
    where = "the demo organization on this computer" if demo else f"region {region_name(profile)}"
    lines = [
        f"Port MCP Bridge {__version__} on {platform.system()} {platform.release()} ({platform.machine()}), "
        f"Python {platform.python_version()}",
        f"Profile: {profile.name} ({profile.id}), {where}, auth {profile.auth_mode.value}",
        f"MCP clients found here: {_clients(found)}",
        f"Time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        "",
        "What was tried, in order, and what it gave:",
    ]
    for check in checks:
        lines.append(f"[{'ok' if check.ok else 'skip' if check.skipped else 'FAIL'}] {check.name}: {check.detail}")
        if check.advice or check.cli:
            lines.append(f"      -> {' '.join(x for x in (check.advice, check.cli) if x)}")
    if last_errors:
        lines += ["", "Last errors:", *last_errors]
    return DoctorReport(checks, "\n".join(lines))


def _clients(found: Callable[[], Sequence[tuple[str, str]]]) -> str:
    try:
        clients = found()
    except (BridgeError, OSError) as exc:
        return f"could not be looked for ({type(exc).__name__})"
    return ", ".join(f"{name} {version}" if version != UNKNOWN else f"{name} (version unknown)"
                     for name, version in clients) or "none"  # fmt: skip


def _tool_count(
    exposed_tools: Callable[[], int], limits: Callable[[], Sequence[ToolLimit]], connected: Callable[[], set[str]]
) -> Check:
    try:
        exposed = exposed_tools()
    except (BridgeError, OSError, concurrent.futures.TimeoutError) as exc:
        return Check("Tool count", False, f"The tool list could not be read ({type(exc).__name__}).")
    try:
        hooked = connected()
    except (BridgeError, OSError):
        hooked = set()
    return check_tool_limits(exposed, {t.client: t.limit for t in limits()}, hooked)
