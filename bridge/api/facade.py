"""`BridgeApi`: the one object the tray app and the command line talk to.

It may own a running bridge (`start`: its own thread and event loop; `serve_forever`: the foreground) or none (the
command line's one-off commands). Its calls return plain values (`bridge.api.views`, settings objects that are
copies) and raise only `BridgeError`s (`bridge.errors`). Calls marked blocking do file, keychain or network I/O and
belong on a worker thread in a GUI. Network work (sign-in, tool lists) runs on the bridge's loop, or on a private one
when no bridge runs here, and comes back as a `concurrent.futures.Future` that a caller can wait on or cancel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bridge.api import catalog, running, updates
from bridge.api.activity import Activity
from bridge.api.approvals import Approvals
from bridge.api.clients import ClientExports, Profiles
from bridge.api.demo import DemoOrganization, is_demo, with_demo
from bridge.api.doctor import doctor_report
from bridge.api.limits import Limits
from bridge.api.startup import StartAtLogin
from bridge.api.views import (
    ActionInfo,
    BridgeStatus,
    DoctorReport,
    ProfileView,
    RemovedProfile,
    Snapshot,
    ToolInfo,
    ToolLimit,
)
from bridge.api.worker import Worker
from bridge.auth import account
from bridge.auth.browser import OpenBrowser, Progress, system_browser
from bridge.auth.localkey import local_key, rotate_local_key
from bridge.auth.tokens import TokenProvider
from bridge.doctor import read_only_tokens
from bridge.endpoint import base_url, check_port
from bridge.errors import BridgeError, KeychainError, NoActiveProfile
from bridge.export import ClientStatus, Entry, Env, UndoResult, WriteResult
from bridge.proxy.service import BridgeService, TokenFactory, default_tokens
from bridge.settings import Profile, Settings, SettingsStore, ToolExposure

T = TypeVar("T")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class BridgeApi:
    def __init__(
        self,
        store: SettingsStore | None = None,
        *,
        port: int | None = None,
        tokens: TokenFactory = default_tokens,
        key: str | None = None,
    ) -> None:
        self._store = store or SettingsStore()
        self._port = port  # given on the command line: used instead of the saved port, and never saved
        self._tokens = with_demo(tokens)
        self._key = key  # a key for this run only (no keychain); None: the keychain's
        self._service: BridgeService | None = None
        self._demo = DemoOrganization(self._store)
        self._worker: Worker | None = None
        # Where client configurations are looked for: the user's home; tests point it at a temporary one.
        self.export_env: Env = Env.current()
        self.clients = ClientExports(self.settings, self._serving_port, self.local_key, lambda: self.export_env)
        self.startup = StartAtLogin(lambda: self.export_env, lambda on: self._set(start_at_login=on))
        self.updates = updates.UpdateChecks(self.settings, self._set)  # the release feed: api.updates.check()
        self.activity = Activity(self.settings)  # the activity file: api.activity.recent(), .stamp(), .run_link()
        self.limits = Limits(self.settings, self._set)  # activity file's size cap, approval timeout (General)
        self.approvals = Approvals(lambda: self._service)  # who asks the user to approve calls (the tray's dialog)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve from a background thread (raises `PortInUse` with what to do when the port is taken)."""
        if self._service is None:
            self._service = self._new_service().start()

    def serve_forever(self, ready: Callable[[Snapshot], None] = lambda snapshot: None) -> None:
        """Serve in the foreground until Ctrl+C (`port-mcp-bridge serve`); `ready` is told where, once listening."""
        self._service = self._new_service()
        try:
            ready(self.snapshot())
            self._service.serve_forever()
        finally:
            self._service = None
            self._demo.stop()

    def _new_service(self) -> BridgeService:
        if self._demo.profile() is not None:
            self._demo.serve()  # before the bridge, so the demo profile already points at a live sandbox
        # The bridge records activity to the log folder's file by default (`BridgeService`, `activity_log`).
        service = BridgeService(self._store, port=self._port, tokens=self._tokens, key=self._key)
        return self.approvals.configure(service)

    def stop(self) -> None:
        if self._service is not None:
            self._service.stop()
            self._service = None
        self._demo.stop()
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    @property
    def running(self) -> bool:
        return self._service is not None

    @property
    def demo_port(self) -> int | None:
        """The port of the demo organization's sandbox, while it runs in this process."""
        return self._demo.sandbox.port if self._demo.sandbox else None

    def set_paused(self, paused: bool) -> None:
        """Paused: the bridge keeps its port but answers every MCP request with "paused, resume from the tray"."""
        self._require().paused = paused

    def _require(self) -> BridgeService:
        if self._service is None:
            raise BridgeError("The bridge is not running.", title="Not running")
        return self._service

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the bridge's event loop (or, with no bridge running here, on a private one)."""
        if self._service is not None:
            return self._service.submit(coro)
        if self._worker is None:
            self._worker = Worker()
        return self._worker.submit(coro)

    # --- state -------------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        service = self._service
        settings = service.settings if service else self._store.load()
        live = {s.id: s for s in service.status()} if service else {}
        views = []
        for profile in settings.profiles:
            status = live.get(profile.id)
            views.append(
                ProfileView(
                    id=profile.id,
                    name=profile.name,
                    organization=profile.organization,
                    region=profile.region_label,
                    auth_mode=profile.auth_mode.value,
                    read_only=profile.read_only,
                    active=profile.id == settings.active_profile,
                    state=status.state if status else "idle",
                    expires_at=status.expires_at if status else None,
                    last_error=status.last_error if status else None,
                    has_credentials=is_demo(profile) or bool(profile.secret_refs),
                    demo=is_demo(profile),
                    tool_drift=status.tool_drift if status else None,
                )
            )
        port = self._serving_port(settings)
        return Snapshot(
            running=service is not None,
            paused=bool(service and service.paused),
            url=base_url(port),
            port=port,
            active=next((v for v in views if v.active), None),
            profiles=tuple(views),
            local_key_required=settings.require_local_key,
        )

    def settings(self) -> Settings:
        """A copy of the settings the bridge runs with (changing it changes nothing: use the setters)."""
        return copy.deepcopy(self._service.settings) if self._service else self._store.load()

    def profile(self, id_or_name: str | None = None) -> Profile:
        """A profile by id or name, or the active one; raises `ProfileNotFoundError` (`NoActiveProfile` when none was
        named and none is active)."""
        settings = self.settings()
        profile = settings.get_profile(id_or_name) if id_or_name else settings.active()
        if profile is None:
            raise NoActiveProfile("No profile is active. Add one first.")
        return profile

    def notices(self) -> list[str]:
        """What the settings store said when it last read the file (a file it set aside, one from a newer version)."""
        return [m for m in (self._store.notice, self._store.version_warning) if m]

    def _serving_port(self, settings: Settings | None = None) -> int:
        """The port the bridge serves on (or will: a `--port` given, else the saved one)."""
        if self._service is not None:
            return self._service.port
        return self._port or (settings or self._store.load()).local_port

    # --- settings (blocking: a file write under a lock, milliseconds) ------------------------------------------

    def use_profile(self, profile_id: str) -> Profile:
        return self._applied(self._store.use_profile(profile_id))

    def set_read_only(self, profile_id: str, read_only: bool) -> Profile:
        return self._applied(self._store.set_profile(profile_id, read_only=read_only))

    def set_tools(self, profile_id: str, exposure: ToolExposure) -> Profile:
        return self._applied(self._store.set_profile(profile_id, tools=exposure))

    def set_allowed_actions(self, profile_id: str, actions: list[str] | None) -> Profile:
        return self._applied(self._store.set_profile(profile_id, allowed_actions=actions))

    def _applied(self, result: T) -> T:
        """Hand the new settings to the running bridge now, rather than at the watcher's next look, so the tray's
        next snapshot already shows the change (the watcher's later call then finds nothing new)."""
        service = self._service
        if service is not None:
            settings = self._store.load()

            async def apply() -> None:
                service.apply_settings(settings)

            self.submit(apply()).result(5)
        return result

    # --- profiles and app-wide settings (blocking: file writes; `remove_profile` also the keychain) -------------

    def add_profile(
        self, name: str, region: str, auth_mode: str = "oauth", *, make_active: bool = False, **options: Any
    ) -> Profile:
        """`region` is what a person types: "eu", "us" or an MCP URL (messages from `bridge.settings.values`);
        `options`: organization, read_only, allowed_actions, api_url (a custom region's Port API URL)."""
        added = self._store.add_profile(name, region, auth_mode=auth_mode, make_active=make_active, **options)
        return self._applied(added)

    def edit_profile(self, profile_id: str, **changes: Any) -> Profile:
        """Name, region, organization, auth_mode, read_only, allowed_actions, tools: what `SettingsStore.set_profile`
        takes."""
        return self._applied(self._store.set_profile(profile_id, **changes))

    def remove_profile(self, profile_id: str) -> RemovedProfile:
        """Remove a profile and delete its keychain entries (blocking: keychain calls). The profile is removed even
        when the keychain refuses; `keychain_note` then says so."""
        removed = self._applied(self._store.remove_profile(profile_id))
        try:
            account.forget(removed)
        except KeychainError as exc:
            return RemovedProfile(removed.id, removed.name, exc.message)
        return RemovedProfile(removed.id, removed.name)

    def sign_in_status(self, profile_id: str) -> account.SignInStatus:
        """What the keychain holds for a profile, without asking Port (blocking: keychain reads)."""
        return account.sign_in_status(self.settings().get_profile(profile_id))

    def move_to(self, port: int) -> None:
        """Serve on `port` from now on (the user chose it in Settings): saved, also over a `--port` given on the
        command line, and a running bridge restarts there at once (clients reconnect on their own; their
        configurations then need the new port). Raises `PortInUse` without changing anything when `port` cannot be
        listened on."""
        _check_port_number(port)
        if self._service is None or self._service.port != port:
            check_port(port)
        self.set_local_port(port)
        if self._port is not None:
            self._port = port
        if self._service is not None and self._service.port != port:
            paused = self._service.paused
            self._service.stop()
            self._service = None
            self.start()
            self._require().paused = paused  # a paused bridge stays paused where it moved

    def use_port(self, port: int) -> None:
        """Serve on `port` from the next start: for this run only when the port was given on the command line, else
        saved in the settings (clients' configurations then need updating, as Settings → Clients shows)."""
        if self._port is not None:
            self._port = port
        else:
            self.set_local_port(port)

    def set_local_port(self, port: int) -> Settings:
        """Takes effect when the bridge next starts (clients' configurations then need updating)."""
        _check_port_number(port)
        return self._set(local_port=int(port))

    def set_log_level(self, level: str) -> Settings:
        level = level.upper()
        if level not in LOG_LEVELS:
            raise BridgeError(f"Unknown log level '{level}'.", title="Invalid log level")
        logging.getLogger().setLevel(level)
        return self._set(log_level=level)

    def set_start_at_login(self, enabled: bool, command: list[str] | None = None) -> Settings:
        """The OS's login item (`api.startup`, whose `enabled()` is what the OS has); `command`: the app's own."""
        return self.startup.set(enabled, command)

    def _set(self, **changes: Any) -> Settings:
        def change(settings: Settings) -> None:
            for name, value in changes.items():
                setattr(settings, name, value)

        return self._applied(self._store.update(change))

    def setup_logging(self) -> Path | None:
        """Log to the rotating file at the saved level (and stderr); the log file, if one could be opened."""
        from bridge.system import logs

        return logs.setup(self._store.load().log_level)

    # --- the demo organization (blocking: starts the sandbox's thread, a file write) ----------------------------

    def start_demo(self) -> Profile:
        """Serve the built-in sandbox in this process and make the demo profile (added the first time) active.

        The profile signs in in token mode with the sandbox's public demo credentials, so it needs no keychain.
        """
        demo = self._demo.add_profile()
        return self._applied(self._store.use_profile(demo.id))

    # --- client configurations (blocking: file I/O and a keychain read for the key) ----------------------------

    def client_entries(self) -> list[Entry]:
        """The entry for the active profile, at the port the bridge really serves on, with the local key."""
        return self.clients.entries()

    def client_statuses(self, profiles: Profiles = (None,)) -> list[ClientStatus]:
        return self.clients.statuses(profiles)

    def client_preview(self, client_id: str, replace_direct: bool = True) -> str:
        """What a write would do (Port's direct entries it replaces, the diff with the key shown as `<local key>`);
        "" when nothing would change. Raises `ExportRefused` (with the snippet) for a file we will not edit."""
        return self.clients.preview(client_id, replace_direct=replace_direct)

    def connect_client(self, client_id: str, replace_direct: bool = True) -> WriteResult:
        return self.clients.connect(client_id, replace_direct=replace_direct, edit=self.edit_profile)

    def update_moved_clients(self) -> list[str]:
        """Point the clients whose entry differs only by the port at the port the bridge serves on now."""
        return self.clients.update_moved()

    def undo_client(self, client_id: str) -> UndoResult:
        return self.clients.undo(client_id)

    def client_snippet(self, client_id: str) -> str:
        """What to paste by hand (contains the local key: shown only when the user asks)."""
        return self.clients.snippet(client_id)

    def shown_path(self, path: Path) -> str:
        """A client's file as a person recognises it: `~/.cursor/mcp.json`."""
        return self.clients.shown_path(path)

    def tool_limits(self) -> list[ToolLimit]:
        return self.clients.tool_limits()

    def regenerate_local_key(self) -> str:
        """A new local key: every connected client must be exported again (the Clients page offers it)."""
        key = rotate_local_key()
        if self._service is not None:
            self._service.set_key(key)
        return key

    def local_key(self) -> str | None:
        """The key the running bridge checks; None when none runs here (then the keychain's is used)."""
        return self._service.key if self._service else None

    def reveal_local_key(self) -> str:
        """The local key to show on request (blocking: may read the keychain)."""
        return self.local_key() or local_key()

    # --- sign-in (on the bridge's loop) ------------------------------------------------------------------------

    def sign_in(
        self,
        profile_id: str,
        *,
        open_browser: OpenBrowser = system_browser,
        progress: Progress = lambda m: None,
        timeout: float = 300,
    ) -> concurrent.futures.Future[account.SignedIn]:
        """Browser sign-in; cancel the future to stop it. Progress messages come from the bridge thread."""
        login = account.browser_login(
            self._store, profile_id, open_browser=open_browser, progress=progress, timeout=timeout
        )
        return self.submit(self._then_apply(login))

    def sign_in_with_token(
        self, profile_id: str, client_id: str, client_secret: str
    ) -> concurrent.futures.Future[account.SignedIn]:
        return self.submit(self._then_apply(account.token_login(self._store, profile_id, client_id, client_secret)))

    def sign_out(self, profile_id: str) -> concurrent.futures.Future[list[str]]:
        return self.submit(self._then_apply(account.logout(self._store, profile_id)))

    async def _then_apply(self, work: Coroutine[Any, Any, T]) -> T:
        """Sign-in and sign-out change the settings (`secret_refs`): the bridge takes them at once, so the snapshot
        the caller reads next shows the new state (the watcher's later look then finds nothing new)."""
        try:
            return await work
        finally:
            if self._service is not None:
                self._service.apply_settings(await asyncio.to_thread(self._store.load))

    # --- what the organization offers (on the bridge's loop) ---------------------------------------------------

    def fetch_tools(self, profile_id: str) -> concurrent.futures.Future[list[ToolInfo]]:
        """The tools Port offers this profile (read-only applied, as Port applies it), each marked with whether the
        profile's tool selection exposes it."""
        profile, tokens = self._profile_and_tokens(profile_id)
        return self.submit(catalog.fetch_tools(profile, tokens))

    def fetch_actions(self, profile_id: str) -> concurrent.futures.Future[list[ActionInfo]]:
        """The organization's self-service actions (Port's `list_actions`), then its workflows (`list_workflows`,
        where Port offers it), each marked allowed or not and with its `kind`."""
        profile, tokens = self._profile_and_tokens(profile_id)
        return self.submit(catalog.fetch_actions(profile, tokens))

    def _profile_and_tokens(self, profile_id: str) -> tuple[Profile, TokenProvider]:
        """The running bridge's own token provider for the profile (one refresher per sign-in); with no bridge here,
        one that never refreshes, since a bridge in another process may be refreshing the same sign-in."""
        if self._service is not None:
            upstream = self._service.resolve(profile_id)
            if upstream is None:
                raise BridgeError(f"No profile '{profile_id}'.", title="No such profile")
            return upstream.profile, upstream.tokens
        profile = self.settings().get_profile(profile_id)
        return profile, (self._tokens(profile) if is_demo(profile) else read_only_tokens(profile))

    # --- doctor and status (blocking: run them on a worker thread) ---------------------------------------------

    def doctor(self, profile_id: str | None = None) -> DoctorReport:
        profile = self.profile(profile_id)
        snapshot = self.snapshot()
        service = self._service
        port = snapshot.port if service else running.bridge_port(self._store, self._port)
        key = service.key if service else running.saved_key(self._store)

        def exposed_tools() -> int:
            return sum(tool.exposed for tool in self.fetch_tools(profile.id).result(30))

        return doctor_report(
            self._store,
            self.settings(),
            profile,
            port=port,
            key=key,
            serving_here=self.running,
            exposed_tools=exposed_tools,
            limits=self.clients.tool_limits,
            connected=self.clients.connected,
            found=self.clients.found,
            last_errors=[f"{p.name}: {p.last_error}" for p in snapshot.profiles if p.last_error],
        )

    def bridge_status(self) -> BridgeStatus:
        """Ask the bridge of these settings about itself (in another process: the tray app, `serve`), on the port its
        lock names, once it has proved it holds the local key."""
        settings = self._store.load()
        key = self.reveal_local_key() if settings.require_local_key else None
        return running.bridge_status(self._store, self._port, key)


def _check_port_number(port: int) -> None:
    if not 1024 <= int(port) <= 65535:
        raise BridgeError("The port must be a number from 1024 to 65535.", title="Invalid port")
