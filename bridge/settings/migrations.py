"""Migrations: the settings file of an older version (a raw dict) brought up to `SCHEMA_VERSION`, one version at a
time, before `models` checks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.errors import SettingsError
from bridge.settings.models import SCHEMA_VERSION
from bridge.settings.values import unique_id

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
