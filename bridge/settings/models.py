"""The settings file's shape: `Settings` holding `Profile`s (with their `ToolExposure`), and the migrations
that bring older files up to `SCHEMA_VERSION`.

Unknown fields (written by a newer version) are kept, so load -> save never drops them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bridge.errors import ProfileNotFoundError, SettingsError
from bridge.settings.values import (
    _API_URLS,
    _ID_RE,
    _MAX_ID,
    _MAX_SECRET_REF,
    _MCP_URLS,
    AuthMode,
    Region,
    _as_value_error,
    unique_id,
    validate_action_ids,
    validate_mcp_url,
    validate_profile_name,
    validate_tool_names,
)

SCHEMA_VERSION = 2
DEFAULT_LOCAL_PORT = 47773


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
    organization: str = ""  # a label; after sign-in, the organization's name as Port gives it
    organization_id: str = ""  # set by sign-in (the token's orgId): how two profiles for one organization are noticed
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
