"""Every error the bridge reports to a person, in one tree.

    BridgeError(message, title)        every error a user can meet; `title` is short, `message` says what to do
     ├── SettingsError                 a bad value for a setting or profile (unknown region, bad URL, duplicate name)
     │    ├── InvalidSettingsError     a value that does not fit the settings file's shape, with where it is (`loc`)
     │    └── SettingsNotWritable      the settings folder refuses the write (read-only, another owner, full)
     ├── ProfileNotFoundError          no profile with that id or name
     │    └── NoActiveProfile          none named, and none is active
     ├── KeychainError                 the system keychain refused or is unavailable
     ├── SignInRequired                no usable credentials for a profile (sign in, or enter API credentials)
     ├── SignInFailed                  a sign-in did not complete
     │    ├── SignInCancelled          the user cancelled, or the browser never answered (`support_request`: maybe
     │    │                            the SSO error page; every SignInFailed may carry one)
     │    └── RegistrationRefused      Port refused dynamic client registration (SSO organizations)
     ├── PortInUse                     the bridge's local port cannot be listened on (`port`, `reserved`)
     ├── BridgeAlreadyRunning          another bridge holds this settings folder's lock (`pid`, `port`)
     ├── BridgeUnavailable             the stdio shim found no bridge and could not start one
     │    └── NotTheBridge             a program answers on the bridge's port but cannot prove it holds the local key
     ├── ExportRefused                 a client's file cannot be edited safely (`snippet` is what to paste;
     │                                 `forcible`: the user made it read-only, and may ask to write it anyway)
     ├── ExportError                   an export, undo or link cannot be done (no such client, nothing to undo)
     ├── UpstreamUnavailable           no answer from Port to relay; `code`, `data`: the JSON-RPC error the IDE gets
     └── UpdateCheckFailed             the release feed did not answer, or not with a release

Every error may carry `actions`: what the user can do about it, as data (`Action`: a `Do` and its target, a URL, a
file, a snippet); the app renders each as a button (`app/actions_row.py`), so no GUI text names a command. `cli` is
what to tell a command-line user instead (a command); `str(exc)` (what the CLI prints) includes it, `message` never.

Third-party exceptions are turned into these at one boundary per library: keyring's in `auth/keychain.py`
(`_unavailable`), the upstream hop's in `proxy/upstream_errors.py` (`UpstreamFailures`), the OAuth server's answers in
`auth/browser.py`. Front ends only render these (`str(exc)` is `title: message`); they never parse exception text.
Messages never contain a token, a secret or the local key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Do(StrEnum):
    """What an error's button does."""

    RUN_DOCTOR = "run_doctor"  # open Settings → Doctor and run it
    CHOOSE_PORT = "choose_port"  # open Settings → General at the local port, a free one suggested
    OPEN_FILE = "open_file"  # open `target` (a file) in the system's editor
    COPY_SNIPPET = "copy_snippet"  # copy `target` (a client configuration) to the clipboard
    COPY_LINK = "copy_link"  # copy `target` (a URL) to the clipboard
    OPEN_URL = "open_url"  # open `target` in the browser
    SIGN_IN = "sign_in"  # open Settings → Profiles at the profile, to sign in


@dataclass(frozen=True)
class Action:
    """One thing a person can do about an error; `label` is the button's text, `target` what it acts on."""

    do: Do
    label: str
    target: str = ""


def run_doctor() -> Action:
    return Action(Do.RUN_DOCTOR, "Run doctor")


def credentials_page(web_app: str) -> Action:
    """The region's Port web app, where new API credentials are made: the `...` menu at the top right → Credentials
    (a dialog, with no address of its own). Source: port-docs 4893974ae
    docs/build-your-software-catalog/custom-integration/api/_template_docs/_find_credentials.mdx; the region's web
    app host is `settings/values.PORT_REGIONS` app_host."""
    return Action(Do.OPEN_URL, "Open Port to create credentials", web_app)


class BridgeError(Exception):
    """Base of every error the bridge reports to a person."""

    title = "Port MCP Bridge error"

    def __init__(
        self, message: str, *, title: str | None = None, actions: tuple[Action, ...] = (), cli: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.actions = actions
        self.cli = cli

    def __str__(self) -> str:
        return f"{self.title}: {self.message}" + (f" {self.cli}" if self.cli else "")


class SettingsError(BridgeError):
    """A value given for a setting or a profile is not acceptable."""

    title = "Invalid setting"


class SettingsNotWritable(SettingsError):
    """The settings (or their lock file) cannot be written: the folder is read-only, belongs to another user, or the
    disk is full. Raised by `SettingsStore` in place of the `OSError`; nothing was changed."""

    title = "Settings not saved"


_Loc = tuple[str | int, ...]


class InvalidSettingsError(SettingsError, ValueError):
    """A value that does not fit the settings file's shape; `loc` says where (`("profiles", 0, "local_port")`).

    The message is `profiles.0.local_port: <problem>`, unless the problem is a `sentence` that already names the
    value (the rules in `settings/values.py`: "'a b' is not a valid tool name: ..."), which is shown as is. A
    `ValueError` too, for code that builds models directly.
    """

    def __init__(self, problem: str, loc: _Loc = (), *, sentence: bool = False) -> None:
        where = ".".join(str(part) for part in loc)
        super().__init__(problem if sentence or not where else f"{where}: {problem}")
        self.problem = problem
        self.loc = loc
        self.sentence = sentence

    def within(self, *outer: str | int) -> InvalidSettingsError:
        """The same problem, seen from the object holding the value."""
        return InvalidSettingsError(self.problem, (*outer, *self.loc), sentence=self.sentence)


class ProfileNotFoundError(BridgeError):
    """No profile matches the id or name given."""

    title = "No such profile"


class NoActiveProfile(ProfileNotFoundError):
    """No profile was named and none is active (no profile set up yet)."""

    title = "No profile"


class KeychainError(BridgeError):
    """The system keychain refused or is unavailable."""

    title = "Keychain unavailable"


class SignInRequired(BridgeError):
    """No usable credentials for a profile; the message says what to do."""

    title = "Sign-in required"


class SignInFailed(BridgeError):
    """The sign-in did not complete; the message says why and what to try. `support_request`, when set, is the text
    to send to Port support (an SSO organization Port must change): front ends offer to copy it."""

    title = "Sign-in failed"

    def __init__(
        self,
        message: str,
        *,
        title: str | None = None,
        support_request: str = "",
        actions: tuple[Action, ...] = (),
        cli: str = "",
    ) -> None:
        super().__init__(message, title=title, actions=actions, cli=cli)
        self.support_request = support_request


class SignInCancelled(SignInFailed):
    title = "Sign-in cancelled"


class RegistrationRefused(SignInFailed):
    """Port refused dynamic client registration: what it does for SSO organizations not yet set up for MCP."""

    title = "Port did not let this app register"


class PortInUse(BridgeError):
    """The bridge's port cannot be listened on: another program holds it, or (`reserved`) the system keeps it."""

    title = "Port in use"

    def __init__(self, message: str, *, port: int, reserved: bool = False, cli: str = "") -> None:
        super().__init__(message, actions=(Action(Do.CHOOSE_PORT, "Choose another port"),), cli=cli)
        self.port = port
        self.reserved = reserved

    @property
    def reason(self) -> str:
        """Why, in words for a dialog."""
        return why_port_refused(self.reserved)


def why_port_refused(reserved: bool) -> str:
    if not reserved:
        return "another program uses it, perhaps another Port MCP Bridge"
    if sys.platform == "win32":
        return "Windows reserves it (Hyper-V, WSL and Docker reserve ranges of ports)"
    return "the system does not allow it"


class BridgeUnavailable(BridgeError):
    """The stdio shim found no bridge answering and could not start one."""

    title = "Bridge not running"


class NotTheBridge(BridgeUnavailable):
    """Something answers on the bridge's port, perhaps even like the bridge, but cannot answer the local key's
    challenge: the key and the client's traffic are never sent to it."""

    title = "Not the bridge"


class BridgeAlreadyRunning(BridgeError):
    """Another bridge serves this settings folder (`pid`, `port`: which process, where; None when unknown)."""

    title = "Already running"

    def __init__(self, message: str, *, pid: int | None, port: int | None) -> None:
        super().__init__(message)
        self.pid = pid
        self.port = port


class ExportRefused(BridgeError):
    """We will not edit this file (comments a parser would drop, invalid syntax, an unexpected shape, a link out of
    the home folder, a folder in its place, a read-only file). Nothing was changed; `snippet` is what the user can
    paste by hand. `forcible`: only the user's own choice (a read-only file) stands in the way; `--force` writes.
    `path`: the file, which the app offers to open beside Copy snippet."""

    title = "Configuration not changed"

    def __init__(
        self, message: str, *, snippet: str = "", forcible: bool = False, path: str = "", cli: str = ""
    ) -> None:
        actions: tuple[Action, ...] = (Action(Do.COPY_SNIPPET, "Copy snippet", snippet),) if snippet else ()
        if path:
            actions += (Action(Do.OPEN_FILE, "Open file", path),)
        super().__init__(message, actions=actions, cli=cli)
        self.snippet = snippet
        self.forcible = forcible
        self.path = path


class ExportError(BridgeError):
    """Something stops an export, an undo or a link (no such client, nothing to undo, file changed since)."""

    title = "Client export"


class UpstreamUnavailable(BridgeError):
    """There is no answer from Port to relay for a request: sign in first (`code` -32011), Port cannot be reached, a
    redirect was not followed, an error page came instead, the answer broke off (-32012). `code`, `message` and `data`
    are the JSON-RPC error each request it was for gets instead (`proxy/upstream_errors.py` makes them)."""

    title = "Port unavailable"

    def __init__(self, message: str, *, code: int, data: dict[str, Any], title: str | None = None) -> None:
        super().__init__(message, title=title)
        self.code = code
        self.data = data


class UpdateCheckFailed(BridgeError):
    """The update check found no usable answer (no network, a timeout, an error status, a feed of another shape).
    Shown only when the user asked for the check; the daily one just logs it."""

    title = "Could not check for updates"
