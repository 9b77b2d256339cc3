"""`SettingsStore`: reads and writes the settings file safely from several processes and threads at once.

- writes atomically (temp file, fsync, rename), so a reader or a crash never sees half a file;
- serialises read-modify-write across processes with a lock file (`update`), so no concurrent edit is lost;
- migrates older files on load and keeps fields it does not know (written by a newer version) untouched;
- moves a file it cannot read aside instead of overwriting it, and says so (`recovered_from`, `notice`);
- offers the profile operations (add, remove, use, set) shared by the command line and the GUI.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import filelock

from bridge.errors import InvalidSettingsError, SettingsError, SettingsNotWritable
from bridge.settings.migrations import migrate
from bridge.settings.models import SCHEMA_VERSION, AskBefore, Profile, Settings, ToolExposure
from bridge.settings.values import (
    PORT_REGIONS,
    AuthMode,
    Region,
    parse_auth_mode,
    parse_region,
    split_csv,
    unique_id,
    validate_action_ids,
    validate_api_url,
    validate_profile_name,
)
from bridge.system import paths
from bridge.system.files import PRIVATE, atomic_write

if TYPE_CHECKING:
    from bridge.settings.watcher import Watcher

log = logging.getLogger(__name__)

LOCK_TIMEOUT = 10.0  # seconds; a write takes milliseconds, so a longer wait means a stuck process


# --- the store ----------------------------------------------------------------------------------------------


class _Unreadable(Exception):
    """The settings file exists but cannot be turned into `Settings`; `reason` says why (no file content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_Signature = tuple[int, int, int] | None


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
        except _Unreadable as exc:
            reason = exc.reason
        try:
            with self._locked():
                return self._load_locked(for_write=False)
        except SettingsNotWritable:  # no lock in a folder we cannot write in: the file stays where it is
            self.notice = (f"Your settings file {self.path} could not be read ({reason}), and its folder cannot be "
                           "written in. Port MCP Bridge started with default settings.")  # fmt: skip
            log.warning(self.notice)
            return Settings()

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
        except SettingsError as exc:  # including InvalidSettingsError: a value that does not fit
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

    def _not_writable(self, exc: OSError) -> SettingsNotWritable:
        """What a person is told when the settings folder refuses a write (never a traceback)."""
        folder = self.path.parent
        return SettingsNotWritable(
            f"Port MCP Bridge cannot write its settings in {folder} ({exc.strerror or type(exc).__name__}), so "
            f"nothing was changed. Make that folder writable for your user account (it may be read-only, belong to "
            "another user, or its disk may be full), then try again."
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            _ensure_dir(self.path.parent)
            self._lock.acquire()
        except filelock.Timeout:  # an OSError too: caught first
            raise SettingsError(
                f"Another Port MCP Bridge process has held the settings lock ({self.lock_path}) for more "
                f"than {LOCK_TIMEOUT:g} seconds. Try again; if it persists, quit the other process.",
                title="Settings are busy",
            ) from None
        except OSError as exc:  # the folder or its lock file cannot be made: read-only, another user's
            raise self._not_writable(exc) from None
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
        checked = Settings.model_validate(data)  # InvalidSettingsError (a SettingsError) names the field
        payload = json.dumps(checked.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        self._remove_stale_temp_files()
        try:
            atomic_write(self.path, payload.encode("utf-8"), mode=PRIVATE)
        except OSError as exc:  # the lock could be had (it existed) but the folder refuses the new file
            raise self._not_writable(exc) from None
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
        from bridge.settings.watcher import Watcher  # here, not at the top: watcher.py imports this module

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
        api_url: str | None = None,
    ) -> Profile:
        """Add a profile. The first profile ever added becomes active; so does this one with `make_active`.
        `api_url`: a custom region's Port API URL, which token mode needs unless the MCP URL is on this computer."""
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
                api_base_url=_api_url_for(region, api_url),
                auth_mode=mode,
                read_only=bool(read_only),
                allowed_actions=actions,
            )
            _check_token_mode(profile)
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
            "api_url",
            "organization",
            "organization_id",
            "auth_mode",
            "read_only",
            "allowed_actions",
            "tools",
            "secret_refs",
            "ask_before",
            "record_arguments",
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
        if "organization_id" in changes:
            values["organization_id"] = str(changes["organization_id"]).strip()
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
            except InvalidSettingsError as exc:
                raise exc.within("tools") from None
        if "secret_refs" in changes:
            values["secret_refs"] = dict(changes["secret_refs"])
        if "ask_before" in changes:
            if changes["ask_before"] not in get_args(AskBefore):
                raise SettingsError("ask_before must be never, actions or writes.")
            values["ask_before"] = changes["ask_before"]
        if "record_arguments" in changes:
            if not isinstance(changes["record_arguments"], bool):
                raise SettingsError("record_arguments must be true or false.")
            values["record_arguments"] = changes["record_arguments"]
        target: list[str] = []

        def change(settings: Settings) -> None:
            profile = settings.get_profile(id_or_name)
            new_name: str = values.get("name", profile.name)
            if new_name.casefold() != profile.name.casefold() and _name_taken(settings, new_name):
                raise SettingsError(f"A profile named '{new_name}' already exists.")
            merged = profile.model_dump(mode="json") | {
                k: (v.model_dump(mode="json") if isinstance(v, ToolExposure) else v) for k, v in values.items()
            }
            region = values.get("region", profile.region)
            if "api_url" in changes:
                merged["api_base_url"] = _api_url_for(region, changes["api_url"])
            elif region is not Region.CUSTOM:
                merged["api_base_url"] = None  # a Port region's API URL is the table's
            updated = Profile.model_validate(merged)
            if {"region", "auth_mode", "api_url"} & set(changes):
                _check_token_mode(updated)
            settings.profiles = [updated if p.id == profile.id else p for p in settings.profiles]
            target.append(profile.id)

        saved = self.update(change)
        return saved.get_profile(target[0])


def _api_url_for(region: Region, text: str | None) -> str | None:
    """A custom region's API URL as typed ("" or None: none); a Port region takes none (it has its own)."""
    if text is None or not str(text).strip():
        return None
    if region is not Region.CUSTOM:
        raise SettingsError(
            f"An API URL is only for a custom MCP URL; region {region.value} uses {PORT_REGIONS[region].api_url}."
        )
    return validate_api_url(str(text))


def _check_token_mode(profile: Profile) -> None:
    """Token mode needs to know where to send the credentials: refused when saved, not guessed when used."""
    problem = profile.api_url_problem() if profile.auth_mode is AuthMode.TOKEN else None
    if problem is not None:
        raise SettingsError(problem)


def _name_taken(settings: Settings, name: str) -> bool:
    folded = name.casefold()
    return any(p.name.casefold() == folded for p in settings.profiles)


def _as_list(items: Sequence[str] | str) -> list[str]:
    return split_csv(items) if isinstance(items, str) else list(items)


def _ensure_dir(directory: Path) -> None:
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
