"""Settings and profiles: the single source of truth for what the bridge connects to and how.

Everything lives in one JSON file, `paths.settings_path()`. The command line, the tray app (GUI) and the bridge
all read and write it through this package, never on their own. Import from `bridge.settings`; the modules
behind it are

- `values`: pure parsing and validation of what a person typed (regions, URLs, names, action ids, tool names);
- `models`: the file's shape (`Settings`, `Profile`, `ToolExposure`: dataclasses, checked when built) and the
  migrations from older versions;
- `store`: `SettingsStore`, which
  - writes atomically (temp file, fsync, rename), so a reader or a crash never sees half a file;
  - serialises read-modify-write across processes with a lock file (`update`), so no concurrent edit is lost;
  - migrates older files on load and keeps fields it does not know (written by a newer version) untouched;
  - moves a file it cannot read aside instead of overwriting it, and says so (`recovered_from`, `notice`);
- `watcher`: `Watcher`, which notifies about changes made by any process (`SettingsStore.watch`).

Secrets never go in this file: a profile only names its keyring entries (`secret_refs`).
"""

from bridge.settings.migrations import migrate
from bridge.settings.models import (
    DEFAULT_LOCAL_PORT,
    SCHEMA_VERSION,
    AskBefore,
    InvalidSettingsError,
    Profile,
    Settings,
    ToolExposure,
)
from bridge.settings.store import LOCK_TIMEOUT, SettingsStore
from bridge.settings.values import (
    AuthMode,
    PortAddress,
    Region,
    is_loopback_host,
    parse_auth_mode,
    parse_region,
    port_address,
    region_note,
    slugify,
    split_csv,
    unique_id,
    validate_action_ids,
    validate_api_url,
    validate_mcp_url,
    validate_profile_name,
    validate_tool_names,
)
from bridge.settings.watcher import Watcher

__all__ = [
    "DEFAULT_LOCAL_PORT",
    "LOCK_TIMEOUT",
    "SCHEMA_VERSION",
    "AskBefore",
    "AuthMode",
    "InvalidSettingsError",
    "PortAddress",
    "Profile",
    "Region",
    "Settings",
    "SettingsStore",
    "ToolExposure",
    "Watcher",
    "is_loopback_host",
    "migrate",
    "parse_auth_mode",
    "parse_region",
    "port_address",
    "region_note",
    "slugify",
    "split_csv",
    "unique_id",
    "validate_action_ids",
    "validate_api_url",
    "validate_mcp_url",
    "validate_profile_name",
    "validate_tool_names",
]
