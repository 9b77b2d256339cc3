"""The facade: the only way into the core for the tray app (`app/`) and the command line (`bridge/cli/`).

    facade.py    BridgeApi: lifecycle, state, settings, profiles, sign-in, client configurations, doctor, status
    views.py     the plain values it returns (Snapshot, ProfileView, ToolInfo, ActionInfo, DoctorReport, …)
    clients.py   ClientExports: client configurations, one implementation for the GUI and `export`
    catalog.py   the organization's tools and actions, asked of Port
    doctor.py    the one doctor report (checks and text) for the GUI and `doctor`
    demo.py      the demo organization served inside the app
    running.py   the bridge in another process: its port (the folder's lock), its proof of the key, its /status
    startup.py   StartAtLogin (`api.startup`): the OS's login item, read from the OS
    fit.py       tool_fit: a profile's tools against connected clients' tool limits, and the ways under them (pure)
    updates.py   UpdateChecks (`api.updates`): the release feed, once a day and on demand; it never installs
    activity.py  Activity (`api.activity`): the activity file read (newest first, filtered), its stamp, run links
    limits.py    Limits (`api.limits`): the activity file's size cap and the approval timeout (Settings → General)

Front ends import from `bridge.api` (and errors from `bridge.errors`) and nothing else of `bridge`; a test enforces
it. Names are loaded on first use (PEP 562), so `port-mcp-bridge stdio` and `--help` import only what they use: the
stdio shim starts in a process per client and must not pay for the bridge's server stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module that defines it (each value and function a front end needs, re-exported from its one home)
_EXPORTS = {
    "BridgeApi": "bridge.api.facade",
    "LOG_LEVELS": "bridge.api.facade",
    "session_key": "bridge.api.worker",
    "ApprovalRequest": "bridge.approvals.model",
    "Asker": "bridge.approvals.model",
    "Decision": "bridge.approvals.model",
    "ActionInfo": "bridge.api.views",
    "BridgeStatus": "bridge.api.views",
    "DoctorReport": "bridge.api.views",
    "ProfileState": "bridge.auth.tokens",
    "ProfileView": "bridge.api.views",
    "RemovedProfile": "bridge.api.views",
    "Snapshot": "bridge.api.views",
    "ToolInfo": "bridge.api.views",
    "ToolKind": "bridge.api.views",
    "RunnableKind": "bridge.api.views",
    "ToolLimit": "bridge.api.views",
    "ToolFit": "bridge.api.fit",
    "tool_fit": "bridge.api.fit",
    "ToolDrift": "bridge.policy.renames",
    "exposure_drift": "bridge.policy.renames",
    "home_relative": "bridge.api.views",
    "DEMO_ORGANIZATION": "bridge.api.demo",
    "is_demo": "bridge.api.demo",
    "Check": "bridge.doctor",
    "Client": "bridge.export",
    "ClientStatus": "bridge.export",
    "Entry": "bridge.export",
    "EntryStatus": "bridge.export",
    "Env": "bridge.export",
    "State": "bridge.export",
    "UndoResult": "bridge.export",
    "WriteResult": "bridge.export",
    "DEFAULT_LOCAL_PORT": "bridge.settings",
    "AuthMode": "bridge.settings",
    "Profile": "bridge.settings",
    "Region": "bridge.settings",
    "Settings": "bridge.settings",
    "ToolExposure": "bridge.settings",
    "parse_region": "bridge.settings",
    "split_csv": "bridge.settings",
    "validate_profile_name": "bridge.settings",
    "PORT_REGIONS": "bridge.settings.values",
    "PortRegion": "bridge.settings.values",
    "region_note": "bridge.settings.values",
    "default_api_url": "bridge.settings.values",
    "SignedIn": "bridge.auth.account",
    "SignInStatus": "bridge.auth.account",
    "OpenBrowser": "bridge.auth.browser",
    "Progress": "bridge.auth.browser",
    "SignInStep": "bridge.auth.browser",
    "SsoHelp": "bridge.auth.sso",
    "SSO_ERROR_PAGE": "bridge.auth.sso",
    "system_browser": "bridge.auth.browser",
    "DEFAULT_PORT": "bridge.endpoint",
    "SANDBOX_PORT": "bridge.endpoint",
    "base_url": "bridge.endpoint",
    "free_port_near": "bridge.endpoint",
    "mcp_url": "bridge.endpoint",
    "config_dir": "bridge.system.paths",
    "log_dir": "bridge.system.logs",
    "log_file": "bridge.system.logs",
    "PORT_MCP_DOCS_URL": "bridge.updates",
    "README_URL": "bridge.updates",
    "RELEASES_PAGE": "bridge.updates",
    "Release": "bridge.updates",
    "UpdateChecks": "bridge.api.updates",
    "redact": "bridge.system.logs",
    "Faults": "bridge.sandbox",
    "Lifetimes": "bridge.sandbox",
    "Sandbox": "bridge.sandbox",
    "SandboxConfig": "bridge.sandbox",
    "Era": "bridge.sandbox.tools",
    "demo_credentials_text": "bridge.sandbox.app",
    "run_demo": "bridge.demo",  # `port-mcp-bridge demo`, and the app where there is no display
    "run_stdio": "bridge.stdio",  # `port-mcp-bridge stdio`
    "__version__": "bridge",
    "Activity": "bridge.api.activity",
    "CallRecord": "bridge.activity.record",
    "OUTCOMES": "bridge.activity.record",
    "Outcome": "bridge.activity.record",
}
_RENAMED = {"run_demo": "run", "run_stdio": "run", "SSO_ERROR_PAGE": "ERROR_PAGE"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bridge.api' has no attribute '{name}'")
    # __import__ rather than importlib.import_module: the same import path as an `import` statement, so -X importtime
    # (the stdio shim's start-up test) sees these modules too.
    value = getattr(__import__(module, fromlist=["_"]), _RENAMED.get(name, name))
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what the type checker (and an IDE) sees: the same names, imported eagerly
    from bridge import __version__ as __version__
    from bridge.activity.record import OUTCOMES as OUTCOMES
    from bridge.activity.record import CallRecord as CallRecord
    from bridge.activity.record import Outcome as Outcome
    from bridge.api.activity import Activity as Activity
    from bridge.api.demo import DEMO_ORGANIZATION as DEMO_ORGANIZATION
    from bridge.api.demo import is_demo as is_demo
    from bridge.api.facade import LOG_LEVELS as LOG_LEVELS
    from bridge.api.facade import BridgeApi as BridgeApi
    from bridge.api.fit import ToolFit as ToolFit
    from bridge.api.fit import tool_fit as tool_fit
    from bridge.api.updates import UpdateChecks as UpdateChecks
    from bridge.api.views import ActionInfo as ActionInfo
    from bridge.api.views import BridgeStatus as BridgeStatus
    from bridge.api.views import DoctorReport as DoctorReport
    from bridge.api.views import ProfileView as ProfileView
    from bridge.api.views import RemovedProfile as RemovedProfile
    from bridge.api.views import RunnableKind as RunnableKind
    from bridge.api.views import Snapshot as Snapshot
    from bridge.api.views import ToolInfo as ToolInfo
    from bridge.api.views import ToolKind as ToolKind
    from bridge.api.views import ToolLimit as ToolLimit
    from bridge.api.views import home_relative as home_relative
    from bridge.api.worker import session_key as session_key
    from bridge.approvals.model import ApprovalRequest as ApprovalRequest
    from bridge.approvals.model import Asker as Asker
    from bridge.approvals.model import Decision as Decision
    from bridge.auth.account import SignedIn as SignedIn
    from bridge.auth.account import SignInStatus as SignInStatus
    from bridge.auth.browser import OpenBrowser as OpenBrowser
    from bridge.auth.browser import Progress as Progress
    from bridge.auth.browser import SignInStep as SignInStep
    from bridge.auth.browser import system_browser as system_browser
    from bridge.auth.sso import ERROR_PAGE as SSO_ERROR_PAGE  # noqa: F401 - re-exported under another name (see _RENAMED)
    from bridge.auth.sso import SsoHelp as SsoHelp
    from bridge.auth.tokens import ProfileState as ProfileState
    from bridge.demo import run as run_demo  # noqa: F401 - re-exported under another name (see _RENAMED)
    from bridge.doctor import Check as Check
    from bridge.endpoint import DEFAULT_PORT as DEFAULT_PORT
    from bridge.endpoint import SANDBOX_PORT as SANDBOX_PORT
    from bridge.endpoint import base_url as base_url
    from bridge.endpoint import free_port_near as free_port_near
    from bridge.endpoint import mcp_url as mcp_url
    from bridge.export import Client as Client
    from bridge.export import ClientStatus as ClientStatus
    from bridge.export import Entry as Entry
    from bridge.export import EntryStatus as EntryStatus
    from bridge.export import Env as Env
    from bridge.export import State as State
    from bridge.export import UndoResult as UndoResult
    from bridge.export import WriteResult as WriteResult
    from bridge.policy.renames import ToolDrift as ToolDrift
    from bridge.policy.renames import exposure_drift as exposure_drift
    from bridge.sandbox import Faults as Faults
    from bridge.sandbox import Lifetimes as Lifetimes
    from bridge.sandbox import Sandbox as Sandbox
    from bridge.sandbox import SandboxConfig as SandboxConfig
    from bridge.sandbox.app import demo_credentials_text as demo_credentials_text
    from bridge.sandbox.tools import Era as Era
    from bridge.settings import DEFAULT_LOCAL_PORT as DEFAULT_LOCAL_PORT
    from bridge.settings import AuthMode as AuthMode
    from bridge.settings import Profile as Profile
    from bridge.settings import Region as Region
    from bridge.settings import Settings as Settings
    from bridge.settings import ToolExposure as ToolExposure
    from bridge.settings import parse_region as parse_region
    from bridge.settings import split_csv as split_csv
    from bridge.settings import validate_profile_name as validate_profile_name
    from bridge.settings.values import PORT_REGIONS as PORT_REGIONS
    from bridge.settings.values import PortRegion as PortRegion
    from bridge.settings.values import default_api_url as default_api_url
    from bridge.settings.values import region_note as region_note
    from bridge.stdio import run as run_stdio  # noqa: F401 - re-exported under another name (see _RENAMED)
    from bridge.system.logs import log_dir as log_dir
    from bridge.system.logs import log_file as log_file
    from bridge.system.logs import redact as redact
    from bridge.system.paths import config_dir as config_dir
    from bridge.updates import PORT_MCP_DOCS_URL as PORT_MCP_DOCS_URL
    from bridge.updates import README_URL as README_URL
    from bridge.updates import RELEASES_PAGE as RELEASES_PAGE
    from bridge.updates import Release as Release
