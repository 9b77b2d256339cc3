"""The settings file's shape: `Settings` holding `Profile`s (with their `ToolExposure`), and the migrations
that bring older files up to `SCHEMA_VERSION`.

Plain dataclasses, checked on construction by small pure functions (one per field, plus a rule or two across
fields); no pydantic, which would add ~9 MiB to every bridge process and ~60 ms to every `stdio` shim's start.
They offer the few pydantic-style methods the callers use: `model_validate` (a dict from the file -> a model),
`model_dump`, `model_copy` and `model_extra`. As with pydantic, assigning to a field does not check it:
`SettingsStore` re-validates on save.

Unknown fields (written by a newer version) are kept, at every level, so load -> save never drops them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, TypeVar, get_args

from bridge.endpoint import DEFAULT_PORT
from bridge.errors import InvalidSettingsError, ProfileNotFoundError, SettingsError
from bridge.settings.values import (
    _ID_RE,
    _MAX_ID,
    _MAX_SECRET_REF,
    PORT_REGIONS,
    AuthMode,
    Region,
    api_url_needed,
    default_api_url,
    validate_action_ids,
    validate_api_url,
    validate_mcp_url,
    validate_profile_name,
    validate_tool_names,
)

SCHEMA_VERSION = 2
DEFAULT_LOCAL_PORT = DEFAULT_PORT  # one home: bridge.endpoint

ToolMode = Literal["all", "allow", "deny"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
# Which calls wait for the user's yes (`bridge.approvals`): none; those that run an action or a workflow; every
# tool that writes (the classification read-only mode uses: unclassified tools count as writes).
AskBefore = Literal["never", "actions", "writes"]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=Enum)
_Loc = tuple[str | int, ...]


# --- field checks: a value from the file (or a constructor) -> the clean value, or InvalidSettingsError -------


def _at(where: str | int, check: Callable[[Any], _T], value: Any) -> _T:
    """`check(value)`, with any problem located at `where` (a field name or a list index)."""
    try:
        return check(value)
    except InvalidSettingsError as exc:
        raise exc.within(where) from None
    except SettingsError as exc:  # a rule from values.py: a sentence naming the value
        raise InvalidSettingsError(exc.message, (where,), sentence=True) from None


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidSettingsError("must be text")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _bool(value: Any) -> bool:
    """A JSON boolean, nothing else. No "false" or 0 read as false: `require_local_key` and `read_only` are safeguards,
    and a value that merely looks like one (a quoted "false" a tool wrote, a 0) must not turn one off unnoticed. The
    file is refused naming the field instead (`SettingsStore` says so, and keeps what it had)."""
    if isinstance(value, bool):
        return value
    shown = json.dumps(value) if value is None or isinstance(value, str | int | float) else None
    if shown is None or len(shown) > 40:
        shown = "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "another value"
    raise InvalidSettingsError(f"must be true or false (a JSON boolean, without quotes), not {shown}")


def _whole_number(value: Any) -> int:
    """An int; a hand-edited "8000" or 8000.0 reads as 8000 (as it always did), but true and false are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidSettingsError("must be a whole number")


def _int_in(value: Any, low: int, high: int | None = None) -> int:
    number = _whole_number(value)
    if high is None and number < low:
        raise InvalidSettingsError(f"must be at least {low}, not {number}")
    if high is not None and not low <= number <= high:
        raise InvalidSettingsError(f"must be from {low} to {high}, not {number}")
    return number


def _one_of_message(choices: tuple[str, ...]) -> str:
    return "must be one of " + ", ".join(f"'{c}'" for c in choices)


def _choice(value: Any, choices: tuple[str, ...]) -> Any:
    """One of a `Literal`'s strings, exactly: "debug" is not "DEBUG"."""
    if isinstance(value, str) and value in choices:
        return value
    raise InvalidSettingsError(_one_of_message(choices))


def _enum(value: Any, kind: type[_E]) -> _E:
    """A member of `kind`, or its value as the file holds it ("eu" -> `Region.EU`)."""
    if isinstance(value, kind):
        return value
    for member in kind:
        if isinstance(value, str) and member.value == value:
            return member
    raise InvalidSettingsError(_one_of_message(tuple(str(m.value) for m in kind)))


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidSettingsError("must be a list")
    return list(value)


def _str_list(value: Any) -> list[str]:
    return [_at(i, _str, item) for i, item in enumerate(_list(value))]


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidSettingsError("must be an object")
    return {_str(key): _at(key, _str, item) for key, item in value.items()}


def _profile_id(value: Any) -> str:
    ident = _str(value)
    if not _ID_RE.match(ident) or len(ident) > _MAX_ID:
        raise SettingsError(f"'{ident}' is not a valid profile id: use lowercase letters, digits and '-'.")
    return ident


def _secret_refs(value: Any) -> dict[str, str]:
    refs = _str_dict(value)
    for purpose, ref in refs.items():
        if len(ref) > _MAX_SECRET_REF:
            raise SettingsError(
                f"secret_refs['{purpose}'] is too long to be a keyring entry name; "
                "secrets belong in the system keychain, never in the settings file."
            )
    return refs


def _plain(value: Any, json: bool) -> Any:
    """A model, or what a field or an unknown field holds, as new dicts and lists (enums as values for JSON)."""
    if isinstance(value, _Model):
        return value.model_dump(mode="json" if json else "python")
    if isinstance(value, Enum):
        return value.value if json else value
    if isinstance(value, dict):
        return {key: _plain(item, json) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, json) for item in value]
    return value


# --- models -------------------------------------------------------------------------------------------------


# A dict rather than functools.cache: mypy does not see class objects as Hashable (python/mypy#11470).
_FIELD_NAMES: dict[type[_Model], tuple[str, ...]] = {}


def _field_names(model: type[_Model]) -> tuple[str, ...]:
    """The model's fields in declaration order, which is also the order they are checked and written in."""
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = tuple(f.name for f in fields(model) if f.init)
    return names


@dataclass
class _Model:
    """What the three models share: checks on construction, unknown fields kept, the methods callers use.
    Subclasses list a check for each field in `_checks` and may add `_check_fields` for rules across fields."""

    # Fields we don't know (written by a newer version), kept so load -> save never drops them; compared by ==.
    _extra: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    _checks: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __post_init__(self) -> None:
        for name in _field_names(type(self)):
            setattr(self, name, _at(name, self._checks[name], getattr(self, name)))
        try:
            self._check_fields()
        except InvalidSettingsError:
            raise
        except SettingsError as exc:
            raise InvalidSettingsError(exc.message, sentence=True) from None

    def _check_fields(self) -> None:
        """Rules across fields; raise `SettingsError` with a sentence that names what is wrong."""

    def __setattr__(self, name: str, value: Any) -> None:
        # An unknown field set in code (`profile.demo = True`) is kept for the file, like one read from it.
        if name.startswith("_") or name in _field_names(type(self)) or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            self._extra[name] = value

    if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt field is still an error there

        def __getattr__(self, name: str) -> Any:  # only called for names that are not attributes
            extra = self.__dict__.get("_extra", {})
            if name in extra:
                return extra[name]
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """A model from a dict (what the settings file holds); fields it does not know are kept. A model of this
        class is returned as is."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise InvalidSettingsError("must be an object")
        known = _field_names(cls)
        for f in fields(cls):
            if f.init and f.name not in data and f.default is MISSING and f.default_factory is MISSING:
                raise InvalidSettingsError("is missing", (f.name,))
        model = cls(**{name: value for name, value in data.items() if name in known})
        model._extra.update((name, value) for name, value in data.items() if name not in known)
        return model

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The fields in declaration order, then the unknown ones, as new dicts and lists; with `mode="json"`,
        enums as their values (what `json.dumps` writes to the file)."""
        json = mode == "json"
        dumped = {name: _plain(getattr(self, name), json) for name in _field_names(type(self))}
        return dumped | {name: _plain(value, json) for name, value in self._extra.items() if name not in dumped}

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A shallow copy with `update` applied, unchecked (`SettingsStore` checks what it saves)."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__, _extra=dict(self._extra))
        for name, value in (update or {}).items():
            setattr(copied, name, value)
        return copied

    @property
    def model_extra(self) -> dict[str, Any]:
        """The unknown fields (the dict itself: changing it changes what is saved)."""
        return self._extra


@dataclass(kw_only=True)
class ToolExposure(_Model):
    """Which of the remote server's tools the bridge offers to clients."""

    mode: ToolMode = "all"
    names: list[str] = field(default_factory=list)

    _checks = {
        "mode": lambda value: _choice(value, get_args(ToolMode)),
        "names": lambda value: validate_tool_names(_str_list(value)),
    }

    def exposes(self, tool: str) -> bool:
        if self.mode == "allow":
            return tool in self.names
        if self.mode == "deny":
            return tool not in self.names
        return True

    def with_ticks(self, ticked: dict[str, bool], new_tools_shown: bool) -> ToolExposure:
        """The selection a list of checkboxes gives (tool name -> ticked), starting from this one.

        Why two modes: with "new tools shown" we store what the user *hid* (a deny list), so a tool Port adds later
        is offered like every other (Port's own default, and what someone who only unticked a few expects); with "new
        tools hidden" we store what the user *chose* (an allow list), so a client kept under a tool limit stays under
        it when Port grows. Names the list does not show (e.g. write tools while Read-only is on, when Port does not
        list them) keep their old state, so turning Read-only off again finds the earlier choices intact.
        """
        unlisted = [n for n in self.names if n not in ticked]
        if new_tools_shown:
            hidden = (unlisted if self.mode == "deny" else []) + [n for n, on in ticked.items() if not on]
            return ToolExposure(mode="deny", names=hidden) if hidden else ToolExposure()
        chosen = (unlisted if self.mode == "allow" else []) + [n for n, on in ticked.items() if on]
        return ToolExposure(mode="allow", names=chosen)


@dataclass(kw_only=True)
class Profile(_Model):
    """One Port organization (or sandbox) the bridge can connect to."""

    id: str
    name: str
    organization: str = ""  # a label; after sign-in, the organization's name as Port gives it
    organization_id: str = ""  # set by sign-in (the token's orgId): how two profiles for one organization are noticed
    region: Region
    base_url: str | None = None
    api_base_url: str | None = None  # a custom region's Port API URL (token mode); older files lack it: None
    auth_mode: AuthMode = AuthMode.OAUTH
    read_only: bool = False
    allowed_actions: list[str] | None = None  # None: every action; []: none; else only these identifiers
    tools: ToolExposure = field(default_factory=ToolExposure)
    secret_refs: dict[str, str] = field(default_factory=dict)  # purpose -> keyring entry name, never a secret
    ask_before: AskBefore = "never"  # approvals: which calls wait for the user's yes
    record_arguments: bool = False  # activity: store each call's arguments (redacted as the logs are)

    _checks = {
        "id": _profile_id,
        "name": lambda value: validate_profile_name(_str(value)),
        "organization": lambda value: _str(value).strip(),
        "organization_id": _str,
        "region": lambda value: _enum(value, Region),
        "base_url": _optional_str,
        "api_base_url": _optional_str,
        "auth_mode": lambda value: _enum(value, AuthMode),
        "read_only": _bool,
        "allowed_actions": lambda value: None if value is None else validate_action_ids(_str_list(value)),
        "tools": ToolExposure.model_validate,
        "secret_refs": _secret_refs,
        "ask_before": lambda value: _choice(value, get_args(AskBefore)),
        "record_arguments": _bool,
    }

    def _check_fields(self) -> None:
        if self.region is Region.CUSTOM:
            if not self.base_url:
                raise SettingsError(f"Profile '{self.name}' has a custom region but no URL.")
            self.base_url = validate_mcp_url(self.base_url)
            if self.api_base_url is not None:
                self.api_base_url = validate_api_url(self.api_base_url)
        elif self.base_url is not None or self.api_base_url is not None:
            raise SettingsError(f"Profile '{self.name}' is in region {self.region.value}, which takes no URL.")

    @property
    def mcp_url(self) -> str:
        """The remote MCP endpoint the bridge proxies to."""
        if self.region is Region.CUSTOM:
            assert self.base_url is not None  # guaranteed by _check_fields
            return self.base_url
        return PORT_REGIONS[self.region].mcp_url

    @property
    def api_url(self) -> str | None:
        """Port's REST API for this profile (token mode exchanges credentials there): the region's; for a custom
        region the one the user gave, else on this computer the MCP URL's origin + /v1 (the sandbox), else None:
        never guessed from another host, so credentials go only where the user said."""
        if self.region is Region.CUSTOM:
            return self.api_base_url or default_api_url(self.mcp_url)
        return PORT_REGIONS[self.region].api_url

    def api_url_problem(self) -> str | None:
        """Why token mode cannot be used as set up (no API URL known for a custom MCP URL), else None."""
        return api_url_needed(self.name, self.mcp_url) if self.api_url is None else None

    @property
    def region_label(self) -> str:
        """What a person would type to get this region back: "eu", "us", or the custom URL."""
        return self.mcp_url if self.region is Region.CUSTOM else self.region.value

    def allowed_actions_header(self) -> str | None:
        """The allowed-actions restriction to send: None = unrestricted, "" = no action, else "a,b"."""
        if self.allowed_actions is None:
            return None
        return ",".join(self.allowed_actions)


def _profiles(value: Any) -> list[Profile]:
    return [_at(i, Profile.model_validate, item) for i, item in enumerate(_list(value))]


@dataclass(kw_only=True)
class Settings(_Model):
    schema_version: int = SCHEMA_VERSION
    active_profile: str | None = None  # a profile id
    local_port: int = DEFAULT_LOCAL_PORT
    require_local_key: bool = True
    start_at_login: bool = False
    log_level: LogLevel = "INFO"
    check_for_updates: bool = True  # the daily update check (files from before it have none: on)
    activity_max_mb: int = 10  # the activity file is rotated past this size (one older file kept)
    approval_timeout: int = 60  # seconds an approval waits for the user before it counts as Deny
    profiles: list[Profile] = field(default_factory=list)

    _checks = {
        "schema_version": lambda value: _int_in(value, 1),
        "active_profile": _optional_str,
        "local_port": lambda value: _int_in(value, 1024, 65535),
        "require_local_key": _bool,
        "start_at_login": _bool,
        "log_level": lambda value: _choice(value, get_args(LogLevel)),
        "check_for_updates": _bool,
        "activity_max_mb": lambda value: _int_in(value, 1, 1000),
        "approval_timeout": lambda value: _int_in(value, 10, 3600),
        "profiles": _profiles,
    }

    def _check_fields(self) -> None:
        ids: set[str] = set()
        names: set[str] = set()
        for profile in self.profiles:
            if profile.id in ids:
                raise SettingsError(f"Two profiles have the id '{profile.id}'.")
            if profile.name.casefold() in names:
                raise SettingsError(f"A profile named '{profile.name}' already exists.")
            ids.add(profile.id)
            names.add(profile.name.casefold())

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
