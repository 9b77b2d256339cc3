"""Settings and profiles: the single source of truth for what the bridge connects to and how.

Everything lives in one JSON file, `paths.settings_path()`. The command line, the tray app and the bridge all
read and write it through `SettingsStore`, which

- writes atomically (temp file, fsync, rename), so a reader or a crash never sees half a file;
- serialises read-modify-write across processes with a lock file (`update`), so no concurrent edit is lost;
- migrates older files on load and keeps fields it does not know (written by a newer version) untouched;
- moves a file it cannot read aside instead of overwriting it, and says so (`recovered_from`, `notice`);
- notifies about changes made by any process (`watch`).

Secrets never go in this file: a profile only names its keyring entries (`secret_refs`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import filelock
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bridge import paths
from bridge.errors import ProfileNotFoundError, SettingsError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
DEFAULT_LOCAL_PORT = 47773
LOCK_TIMEOUT = 10.0  # seconds; a write takes milliseconds, so a longer wait means a stuck process

_ACTION_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
_TOOL_RE = re.compile(r"^[A-Za-z0-9_.\-/]+$")  # MCP tool names may also use '.' and '/'
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_NAME = 100
_MAX_SLUG = 40  # room left for a -N suffix below _MAX_ID
_MAX_ID = 64
_MAX_SECRET_REF = 200  # a keyring entry name is short; anything longer is probably a pasted token
_EXAMPLE_URL = "http://127.0.0.1:47780/v1"


class Region(StrEnum):
    EU = "eu"
    US = "us"
    CUSTOM = "custom"  # any other MCP endpoint: the sandbox, a private deployment


class AuthMode(StrEnum):
    OAUTH = "oauth"  # sign in through the browser
    TOKEN = "token"  # noqa: S105 - a mode, not a secret: a Port API token kept in the keyring


_MCP_URLS = {Region.EU: "https://mcp.port.io/v1", Region.US: "https://mcp.us.port.io/v1"}
_API_URLS = {Region.EU: "https://api.port.io/v1", Region.US: "https://api.us.port.io/v1"}


# --- pure parsing and validation, shared by the models, the command line and the GUI -----------------------


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1): the only hosts plain http may reach."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_mcp_url(url: str) -> str:
    """Check a custom MCP endpoint's URL; return it stripped, or raise `SettingsError` saying why not."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise SettingsError(f"'{text}' is not a valid URL. Example: {_EXAMPLE_URL}") from None
    if parts.scheme not in ("http", "https"):
        raise SettingsError(
            f"'{text}' is not a valid MCP URL: it must start with https:// "
            f"(or http:// for a server on this computer), for example {_EXAMPLE_URL}."
        )
    if parts.username is not None or parts.password is not None:
        # Don't echo it back: the part before '@' may be a password.
        raise SettingsError(
            "The URL contains a user name or password. Remove it: credentials are kept in the system "
            "keychain, never in the URL."
        )
    if not parts.hostname:
        raise SettingsError(f"'{text}' has no host name. Example: {_EXAMPLE_URL}")
    if parts.query or parts.fragment:
        raise SettingsError(f"'{text}' must not contain '?' or '#'. Example: {_EXAMPLE_URL}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SettingsError(
            f"'{text}' uses plain http:// to another machine, which would send your Port credentials "
            "unencrypted. Use https://, or http:// only for this computer (127.0.0.1, localhost or ::1)."
        )
    return text


def parse_region(text: str) -> tuple[Region, str | None]:
    """What a person typed ("eu", "US", or an MCP URL) -> the region and, for a custom region, its URL."""
    value = text.strip()
    lowered = value.lower()
    if lowered in (Region.EU, Region.US):
        return Region(lowered), None
    if "://" in value:
        return Region.CUSTOM, validate_mcp_url(value)
    if lowered == Region.CUSTOM:
        raise SettingsError(f"For a custom region give its MCP endpoint's URL, for example {_EXAMPLE_URL}.")
    raise SettingsError(
        f"Unknown region '{value}'. Use eu, us, or the URL of a Port MCP endpoint such as {_EXAMPLE_URL}."
    )


def parse_auth_mode(text: str) -> AuthMode:
    value = str(text).strip().lower()
    try:
        return AuthMode(value)
    except ValueError:
        raise SettingsError(f"Unknown sign-in method '{text}'. Use oauth or token.") from None


def split_csv(text: str) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def validate_action_ids(ids: Iterable[str]) -> list[str]:
    """Check action identifiers (letters, digits, '_' and '-'); return them stripped and de-duplicated."""
    result = [str(i).strip() for i in ids]
    for ident in result:
        if not _ACTION_RE.match(ident):
            raise SettingsError(f"'{ident}' is not a valid action identifier: use only letters, digits, '_' and '-'.")
    return _unique(result)


def validate_tool_names(names: Iterable[str]) -> list[str]:
    """Check MCP tool names (letters, digits, '_', '-', '.', '/'); return them stripped and de-duplicated."""
    result = [str(n).strip() for n in names]
    for name in result:
        if not _TOOL_RE.match(name):
            raise SettingsError(f"'{name}' is not a valid tool name: use only letters, digits, '_', '-', '.' and '/'.")
    return _unique(result)


def validate_profile_name(name: str) -> str:
    value = str(name).strip()
    if not value:
        raise SettingsError("A profile needs a name.")
    if len(value) > _MAX_NAME:
        raise SettingsError(f"Profile names are at most {_MAX_NAME} characters.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise SettingsError("Profile names cannot contain control characters.")
    return value


def slugify(name: str) -> str:
    """A stable, filesystem- and URL-safe id from a display name: "Acme (EU)" -> "acme-eu"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:_MAX_SLUG].strip("-")
    return slug or "profile"


def unique_id(name: str, taken: Iterable[str]) -> str:
    """`slugify(name)`, with -2, -3, ... appended if that id is already used."""
    used = set(taken)
    base = slugify(name)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _as_value_error(check: Callable[[Any], Any], value: Any) -> Any:
    # pydantic turns ValueError into a ValidationError; any other exception would escape validation untouched.
    try:
        return check(value)
    except SettingsError as exc:
        raise ValueError(exc.message) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One readable sentence for the first problem pydantic found."""
    err = exc.errors()[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    if err["type"] == "value_error" and ctx_error is not None:
        return str(ctx_error)
    where = ".".join(str(part) for part in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


# --- models -------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    # Keep fields we don't know (written by a newer version) so load -> save never drops them.
    model_config = ConfigDict(extra="allow")


class ToolExposure(_Model):
    """Which of the remote server's tools the bridge offers to clients."""

    mode: Literal["all", "allow", "deny"] = "all"
    names: list[str] = Field(default_factory=list)

    @field_validator("names")
    @classmethod
    def _check_names(cls, value: list[str]) -> list[str]:
        return _as_value_error(validate_tool_names, value)

    def exposes(self, tool: str) -> bool:
        if self.mode == "allow":
            return tool in self.names
        if self.mode == "deny":
            return tool not in self.names
        return True


class Profile(_Model):
    """One Port organization (or sandbox) the bridge can connect to."""

    id: str
    name: str
    organization: str = ""
    region: Region
    base_url: str | None = None
    auth_mode: AuthMode = AuthMode.OAUTH
    read_only: bool = False
    allowed_actions: list[str] | None = None  # None: every action; []: none; else only these identifiers
    tools: ToolExposure = Field(default_factory=ToolExposure)
    secret_refs: dict[str, str] = Field(default_factory=dict)  # purpose -> keyring entry name, never a secret

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_RE.match(value) or len(value) > _MAX_ID:
            raise ValueError(f"'{value}' is not a valid profile id: use lowercase letters, digits and '-'.")
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _as_value_error(validate_profile_name, value)

    @field_validator("organization")
    @classmethod
    def _check_organization(cls, value: str) -> str:
        return value.strip()

    @field_validator("allowed_actions")
    @classmethod
    def _check_actions(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _as_value_error(validate_action_ids, value)

    @field_validator("secret_refs")
    @classmethod
    def _check_secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for purpose, ref in value.items():
            if len(ref) > _MAX_SECRET_REF:
                raise ValueError(
                    f"secret_refs['{purpose}'] is too long to be a keyring entry name; "
                    "secrets belong in the system keychain, never in the settings file."
                )
        return value

    @model_validator(mode="after")
    def _check_base_url(self) -> Profile:
        if self.region is Region.CUSTOM:
            if not self.base_url:
                raise ValueError(f"Profile '{self.name}' has a custom region but no URL.")
            self.base_url = _as_value_error(validate_mcp_url, self.base_url)
        elif self.base_url is not None:
            raise ValueError(f"Profile '{self.name}' is in region {self.region.value}, which takes no URL.")
        return self

    @property
    def mcp_url(self) -> str:
        """The remote MCP endpoint the bridge proxies to."""
        if self.region is Region.CUSTOM:
            assert self.base_url is not None  # guaranteed by _check_base_url
            return self.base_url
        return _MCP_URLS[self.region]

    @property
    def api_url(self) -> str:
        """Port's REST API for this profile; for a custom region, the MCP URL's origin + /v1."""
        if self.region is Region.CUSTOM:
            parts = urlsplit(self.mcp_url)
            return f"{parts.scheme}://{parts.netloc}/v1"
        return _API_URLS[self.region]

    @property
    def region_label(self) -> str:
        """What a person would type to get this region back: "eu", "us", or the custom URL."""
        return self.mcp_url if self.region is Region.CUSTOM else self.region.value

    def allowed_actions_header(self) -> str | None:
        """The allowed-actions restriction to send: None = unrestricted, "" = no action, else "a,b"."""
        if self.allowed_actions is None:
            return None
        return ",".join(self.allowed_actions)


class Settings(_Model):
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    active_profile: str | None = None  # a profile id
    local_port: int = Field(default=DEFAULT_LOCAL_PORT, ge=1024, le=65535)
    require_local_key: bool = True
    start_at_login: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    profiles: list[Profile] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_unique(self) -> Settings:
        ids: set[str] = set()
        names: set[str] = set()
        for profile in self.profiles:
            if profile.id in ids:
                raise ValueError(f"Two profiles have the id '{profile.id}'.")
            if profile.name.casefold() in names:
                raise ValueError(f"A profile named '{profile.name}' already exists.")
            ids.add(profile.id)
            names.add(profile.name.casefold())
        return self

    def find_profile(self, id_or_name: str) -> Profile | None:
        """The profile with this id, else the one with this name (case-insensitive), else None."""
        key = id_or_name.strip()
        for profile in self.profiles:
            if profile.id == key:
                return profile
        folded = key.casefold()
        for profile in self.profiles:
            if profile.name.casefold() == folded or profile.id == folded:
                return profile
        return None

    def get_profile(self, id_or_name: str) -> Profile:
        profile = self.find_profile(id_or_name)
        if profile is None:
            if not self.profiles:
                raise ProfileNotFoundError(f"No profile '{id_or_name}': no profiles are set up yet.")
            known = ", ".join(f"'{p.name}' ({p.id})" for p in self.profiles)
            raise ProfileNotFoundError(f"No profile '{id_or_name}'. Known profiles: {known}.")
        return profile

    def active(self) -> Profile | None:
        """The active profile, or None if none is set (or it points at a profile that no longer exists)."""
        if self.active_profile is None:
            return None
        return next((p for p in self.profiles if p.id == self.active_profile), None)


# --- migrations: raw dict of version N -> raw dict of version N+1 -------------------------------------------


def _migrate_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the 0.0.x previews) used `port` for the local port, and profiles had no id (the active
    profile was named by its display name), an uppercase `region` ("EU", "US", or "CUSTOM" with the endpoint
    in `url`) and a camelCase `readOnly`."""
    out = dict(data)
    if "port" in out:
        port = out.pop("port")
        out.setdefault("local_port", port)
    active_name = out.get("active_profile")
    active_id: str | None = None
    taken: set[str] = set()
    profiles: list[Any] = []
    for raw in out.get("profiles") or []:
        if not isinstance(raw, dict):
            profiles.append(raw)  # leave it for validation to reject
            continue
        profile = dict(raw)
        region = profile.get("region")
        url = profile.pop("url", None)
        if isinstance(region, str):
            lowered = region.strip().lower()
            if lowered in ("eu", "us"):
                profile["region"] = lowered
            elif lowered == "custom" or "://" in region:
                profile["region"] = "custom"
                profile["base_url"] = url if url is not None or "://" not in region else region.strip()
        if "readOnly" in profile:
            profile.setdefault("read_only", profile.pop("readOnly"))
        name = profile.get("name")
        if "id" not in profile and isinstance(name, str):
            profile["id"] = unique_id(name, taken)
        taken.add(str(profile.get("id")))
        if active_name is not None and name == active_name:
            active_id = profile.get("id")
        profiles.append(profile)
    out["profiles"] = profiles
    if active_name is not None:
        out["active_profile"] = active_id
    return out


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_1_to_2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a raw settings dict up to `SCHEMA_VERSION`. A newer version is returned unchanged."""
    version = data.get("schema_version", 1)  # version 1 files may lack the field
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SettingsError(f"schema_version {version!r} is not a positive whole number.")
    while version < SCHEMA_VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data


# --- the store ----------------------------------------------------------------------------------------------


class _Unreadable(Exception):
    """The settings file exists but cannot be turned into `Settings`; `reason` says why (no file content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_Signature = tuple[int, int, int] | None


class Watcher:
    """Polls the settings file from a daemon thread and calls back with freshly loaded settings on every
    change, whoever made it (another process, the command line, or this process).

    The callback runs on the watcher thread: the Qt app hops it onto its GUI thread (a queued signal), and
    the bridge onto its event loop (`loop.call_soon_threadsafe`). It may occasionally be called twice with
    the same settings. A deleted file reads as defaults.

    A file that cannot be read is reported (log, and `on_error` if given) and skipped, but NOT moved aside:
    a person may be in the middle of editing it by hand, and the last good settings stay in use until it is
    fixed. The next `SettingsStore.load()` or `update()` recovers it as usual (moves it aside).
    """

    def __init__(
        self,
        store: SettingsStore,
        callback: Callable[[Settings], None],
        interval: float,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._callback = callback
        self._on_error = on_error
        self._interval = interval
        self._stop = threading.Event()
        self._signature = store._signature()
        self._thread = threading.Thread(target=self._run, name="settings-watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            signature = self._store._signature()
            if signature == self._signature:
                continue
            self._signature = signature
            try:
                settings, _ = self._store._read()
            except _Unreadable as exc:
                message = f"Settings file {self._store.path} changed but could not be read ({exc.reason})."
                log.warning(message)
                self._report(message)
                continue
            try:
                self._callback(settings)
            except Exception:
                log.exception("Settings change callback failed")

    def _report(self, message: str) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(message)
        except Exception:
            log.exception("Settings error callback failed")


class SettingsStore:
    """Reads and writes one settings file. Safe to use from several processes and threads at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.settings_path()
        # Set once a file could not be read and was moved aside; stays set so a front end can show it.
        self.recovered_from: Path | None = None
        self.notice: str | None = None
        # Set by load() when the file comes from a newer version of the app.
        self.version_warning: str | None = None
        self._lock = filelock.FileLock(self.lock_path, timeout=LOCK_TIMEOUT, mode=0o600)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    # reading

    def load(self) -> Settings:
        """The current settings; defaults if there is no file. A file that cannot be read is moved aside to
        `settings.json.corrupt-<timestamp>` and defaults are returned (see `recovered_from`, `notice`)."""
        try:
            settings, self.version_warning = self._read()
            return settings
        except _Unreadable:
            pass
        with self._locked():
            return self._load_locked(for_write=False)

    def _load_locked(self, *, for_write: bool) -> Settings:
        try:
            settings, self.version_warning = self._read()
            return settings
        except _Unreadable as exc:  # still unreadable now that we hold the lock: nobody is fixing it
            return self._recover(exc.reason, for_write=for_write)

    def _read(self) -> tuple[Settings, str | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings(), None
        except OSError as exc:
            raise _Unreadable(f"cannot be read: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8-sig"))  # -sig: tolerate a BOM from a hand edit on Windows
            if not isinstance(data, dict):
                raise _Unreadable("it is not a JSON object")
            data = migrate(data)
            settings = Settings.model_validate(data)
        except _Unreadable:
            raise
        except ValidationError as exc:
            raise _Unreadable(describe_validation_error(exc)) from None
        except SettingsError as exc:
            raise _Unreadable(exc.message) from None
        except ValueError as exc:  # JSON syntax, text encoding
            raise _Unreadable(f"not valid JSON: {exc}") from None
        except Exception as exc:  # a migration tripping over unexpected shapes
            raise _Unreadable(f"{type(exc).__name__}: {exc}") from None
        warning = None
        if settings.schema_version > SCHEMA_VERSION:
            warning = (
                f"Your settings were written by a newer version of Port MCP Bridge (settings format "
                f"{settings.schema_version}; this version knows format {SCHEMA_VERSION}). Settings this "
                "version does not know are kept unchanged."
            )
        return settings, warning

    def _recover(self, reason: str, *, for_write: bool) -> Settings:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists() or target.is_symlink():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.rename(self.path, target)
        except FileNotFoundError:
            return Settings()  # removed meanwhile: nothing to keep
        except OSError as exc:
            message = (
                f"Your settings file {self.path} could not be read ({reason}) and could not be moved aside "
                f"({exc.strerror or exc})."
            )
            log.warning(message)
            if for_write:
                # Saving now would overwrite the only copy.
                raise SettingsError(message + " Move or fix it, then try again.") from None
            self.notice = message + " Port MCP Bridge started with default settings."
            return Settings()
        self.recovered_from = target
        self.notice = (
            f"Your settings file could not be read and was kept at {target}; "
            "Port MCP Bridge started with default settings."
        )
        log.warning("%s Reason: %s", self.notice, reason)
        return Settings()

    def _signature(self) -> _Signature:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    # writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        _ensure_dir(self.path.parent)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise SettingsError(
                f"Another Port MCP Bridge process has held the settings lock ({self.lock_path}) for more "
                f"than {LOCK_TIMEOUT:g} seconds. Try again; if it persists, quit the other process.",
                title="Settings are busy",
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def save(self, settings: Settings) -> Settings:
        """Validate and write `settings` atomically (mode 0600). Returns what was written."""
        with self._locked():
            return self._write(settings)

    def update(self, fn: Callable[[Settings], Settings | None]) -> Settings:
        """Read the latest file, let `fn` change the settings (in place, or return new ones), write them.

        Runs under the inter-process lock, so concurrent updates from other processes are never lost. `fn` may
        raise (e.g. `SettingsError`) to abandon the change; nothing is written then.
        """
        with self._locked():
            current = self._load_locked(for_write=True)
            result = fn(current)
            return self._write(current if result is None else result)

    def _write(self, settings: Settings) -> Settings:
        data = settings.model_dump(mode="json")
        data["schema_version"] = max(settings.schema_version, SCHEMA_VERSION)  # never downgrade a newer file
        try:
            checked = Settings.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(describe_validation_error(exc)) from None
        payload = json.dumps(checked.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        self._remove_stale_temp_files()
        _atomic_write(self.path, payload.encode("utf-8"))
        return checked

    def _temp_prefix(self) -> str:
        return f".{self.path.name}.tmp-"

    def _remove_stale_temp_files(self) -> None:
        # Writers hold the lock while their temp file exists, so any we see here belong to a dead writer.
        prefix = self._temp_prefix()
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if entry.name.startswith(prefix):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    # watching

    def watch(
        self,
        callback: Callable[[Settings], None],
        interval: float = 0.25,
        on_error: Callable[[str], None] | None = None,
    ) -> Watcher:
        """Start a `Watcher` calling `callback(settings)` on every change of the file; `.stop()` it."""
        return Watcher(self, callback, interval, on_error).start()

    # profile operations shared by the command line and the GUI

    def add_profile(
        self,
        name: str,
        region_text: str,
        organization: str = "",
        auth_mode: str = "oauth",
        read_only: bool = False,
        allowed_actions: Sequence[str] | None = None,
        make_active: bool = False,
    ) -> Profile:
        """Add a profile. The first profile ever added becomes active; so does this one with `make_active`."""
        name = validate_profile_name(name)
        region, base_url = parse_region(region_text)
        mode = parse_auth_mode(auth_mode)
        actions = None if allowed_actions is None else validate_action_ids(_as_list(allowed_actions))
        created: list[Profile] = []

        def change(settings: Settings) -> None:
            if _name_taken(settings, name):
                raise SettingsError(f"A profile named '{name}' already exists.")
            profile = Profile(
                id=unique_id(name, (p.id for p in settings.profiles)),
                name=name,
                organization=organization.strip(),
                region=region,
                base_url=base_url,
                auth_mode=mode,
                read_only=bool(read_only),
                allowed_actions=actions,
            )
            settings.profiles.append(profile)
            if make_active or settings.active() is None:
                settings.active_profile = profile.id
            created.append(profile)

        saved = self.update(change)
        return saved.get_profile(created[0].id)

    def remove_profile(self, id_or_name: str) -> Profile:
        """Remove a profile and return it (so the caller can delete its keyring entries). If it was active,
        the first remaining profile becomes active, or none."""
        removed: list[Profile] = []

        def change(settings: Settings) -> None:
            profile = settings.get_profile(id_or_name)
            settings.profiles = [p for p in settings.profiles if p.id != profile.id]
            if settings.active_profile == profile.id or settings.active() is None:
                settings.active_profile = settings.profiles[0].id if settings.profiles else None
            removed.append(profile)

        self.update(change)
        return removed[0]

    def use_profile(self, id_or_name: str) -> Profile:
        """Make a profile the active one."""
        chosen: list[Profile] = []

        def change(settings: Settings) -> None:
            profile = settings.get_profile(id_or_name)
            settings.active_profile = profile.id
            chosen.append(profile)

        saved = self.update(change)
        return saved.get_profile(chosen[0].id)

    _SETTABLE = frozenset(
        (
            "name",
            "region",
            "organization",
            "auth_mode",
            "read_only",
            "allowed_actions",
            "tools",
            "secret_refs",
        )
    )

    def set_profile(self, id_or_name: str, **changes: Any) -> Profile:
        """Change fields of a profile; its id stays the same. `region` takes what `parse_region` takes ("eu",
        "us" or a URL); `allowed_actions` a list, None (all) or []; `tools` a `ToolExposure` or a dict."""
        unknown = sorted(set(changes) - self._SETTABLE)
        if unknown:
            raise SettingsError(f"Unknown profile setting(s): {', '.join(unknown)}.")
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = validate_profile_name(changes["name"])
        if "region" in changes:
            values["region"], values["base_url"] = parse_region(str(changes["region"]))
        if "organization" in changes:
            values["organization"] = str(changes["organization"]).strip()
        if "auth_mode" in changes:
            values["auth_mode"] = parse_auth_mode(changes["auth_mode"])
        if "read_only" in changes:
            if not isinstance(changes["read_only"], bool):
                raise SettingsError("read_only must be true or false.")
            values["read_only"] = changes["read_only"]
        if "allowed_actions" in changes:
            actions = changes["allowed_actions"]
            values["allowed_actions"] = None if actions is None else validate_action_ids(_as_list(actions))
        if "tools" in changes:
            tools = changes["tools"]
            try:
                values["tools"] = ToolExposure.model_validate(
                    tools.model_dump() if isinstance(tools, ToolExposure) else tools
                )
            except ValidationError as exc:
                raise SettingsError(describe_validation_error(exc)) from None
        if "secret_refs" in changes:
            values["secret_refs"] = dict(changes["secret_refs"])
        target: list[str] = []

        def change(settings: Settings) -> None:
            profile = settings.get_profile(id_or_name)
            new_name = values.get("name")
            renamed = new_name is not None and new_name.casefold() != profile.name.casefold()
            if renamed and _name_taken(settings, new_name):
                raise SettingsError(f"A profile named '{new_name}' already exists.")
            merged = profile.model_dump(mode="json") | {
                k: (v.model_dump(mode="json") if isinstance(v, BaseModel) else v) for k, v in values.items()
            }
            try:
                updated = Profile.model_validate(merged)
            except ValidationError as exc:
                raise SettingsError(describe_validation_error(exc)) from None
            settings.profiles = [updated if p.id == profile.id else p for p in settings.profiles]
            target.append(profile.id)

        saved = self.update(change)
        return saved.get_profile(target[0])


def _name_taken(settings: Settings, name: str) -> bool:
    folded = name.casefold()
    return any(p.name.casefold() == folded for p in settings.profiles)


def _as_list(items: Sequence[str] | str) -> list[str]:
    return split_csv(items) if isinstance(items, str) else list(items)


def _ensure_dir(directory: Path) -> None:
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers, and a crash at any point, see either the old file or the new one."""
    directory = path.parent
    _ensure_dir(directory)
    tmp = directory / f".{path.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)  # 0600 from the first byte: no window where others can read it
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":
        # Make the rename itself durable, not only the file's content.
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
