"""`BridgeApi`: the one object the tray app (and anything else embedding the bridge) talks to.

It owns a running `BridgeService` (its own thread and event loop) and offers plain, thread-safe calls that return
plain dataclasses. Nothing here blocks on the network when called from a GUI thread except the methods documented as
blocking; those the app runs on a worker thread. Network work (sign-in, tool lists, doctor) runs on the bridge's loop
and comes back as `concurrent.futures.Future`s, which a caller can wait on or cancel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bridge import __version__
from bridge.auth import account
from bridge.auth.browser import OpenBrowser, Progress, system_browser
from bridge.auth.localkey import local_key, rotate_local_key
from bridge.auth.tokens import TokenProvider
from bridge.doctor import Check, check_keychain, check_local_port, check_settings, check_tool_limits, run_checks
from bridge.endpoint import check_port
from bridge.errors import BridgeError, KeychainError, SignInRequired
from bridge.export import ClientStatus, Entry, Env, UndoResult, WriteResult
from bridge.policy import is_read_only_tool
from bridge.proxy.service import BridgeService, TokenFactory, default_tokens
from bridge.settings import Profile, Settings, SettingsStore, ToolExposure

T = TypeVar("T")


@dataclass(frozen=True)
class ProfileView:
    """A profile as the tray shows it."""

    id: str
    name: str
    organization: str
    region: str
    auth_mode: str
    read_only: bool
    active: bool
    state: str  # "idle" (not used yet), "signed_in", "needs_sign_in", "error"
    expires_at: float | None
    last_error: str | None
    has_credentials: bool = False  # a sign-in or API credentials are saved (settings only: no keychain read)
    demo: bool = False  # the built-in demo organization (the sandbox in this process)


@dataclass(frozen=True)
class Snapshot:
    """Everything the tray needs to draw itself, taken at once."""

    running: bool
    paused: bool
    url: str
    port: int
    active: ProfileView | None
    profiles: tuple[ProfileView, ...]
    version: str = __version__

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"


@dataclass(frozen=True)
class ToolInfo:
    """One of the organization's tools, for the Tools page."""

    name: str
    title: str
    description: str
    kind: str  # "read", "write" or "destructive", from the annotations
    exposed: bool


@dataclass(frozen=True)
class ActionInfo:
    identifier: str
    title: str
    blueprint: str
    allowed: bool


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    text: str = ""  # what "Copy report" puts on the clipboard: no secrets


class BridgeApi:
    def __init__(
        self,
        store: SettingsStore | None = None,
        *,
        port: int | None = None,
        tokens: TokenFactory = default_tokens,
        key: str | None = None,
    ) -> None:
        self.store = store or SettingsStore()
        self._port = port
        self._tokens = _with_demo(tokens)
        self._key = key
        self.service: BridgeService | None = None
        self.sandbox: Any = None  # the demo organization's sandbox (`bridge.sandbox.Sandbox`), when one runs
        self.export_env: Env = Env.current()  # where client configurations are; tests point it at a temp home

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start serving (raises `PortInUse` with what to do when the port is taken)."""
        if self.service is None:
            if any(is_demo(p) for p in self.store.load().profiles):
                self._serve_demo()  # before the bridge, so the demo profile already points at a live sandbox
            self.service = BridgeService(self.store, port=self._port, tokens=self._tokens, key=self._key).start()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def set_paused(self, paused: bool) -> None:
        """Paused: the bridge keeps its port but answers every MCP request with "paused, resume from the tray"."""
        self._require().paused = paused

    def _require(self) -> BridgeService:
        if self.service is None:
            raise BridgeError("The bridge is not running.", title="Not running")
        return self.service

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the bridge's event loop."""
        return self._require().submit(coro)

    # --- state -------------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        service = self.service
        settings = service.settings if service else self.store.load()
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
                )
            )
        active = next((v for v in views if v.active), None)
        return Snapshot(
            running=service is not None,
            paused=bool(service and service.paused),
            url=service.url if service else f"http://127.0.0.1:{settings.local_port}",
            port=service.port if service else settings.local_port,
            active=active,
            profiles=tuple(views),
        )

    def settings(self) -> Settings:
        return self.service.settings if self.service else self.store.load()

    # --- settings (blocking: a file write under a lock, milliseconds) ------------------------------------------

    def use_profile(self, profile_id: str) -> Profile:
        return self._applied(self.store.use_profile(profile_id))

    def set_read_only(self, profile_id: str, read_only: bool) -> Profile:
        return self._applied(self.store.set_profile(profile_id, read_only=read_only))

    def set_tools(self, profile_id: str, exposure: ToolExposure) -> Profile:
        return self._applied(self.store.set_profile(profile_id, tools=exposure))

    def set_allowed_actions(self, profile_id: str, actions: list[str] | None) -> Profile:
        return self._applied(self.store.set_profile(profile_id, allowed_actions=actions))

    def _applied(self, result: T) -> T:
        """Hand the new settings to the running bridge now, rather than at the watcher's next look, so the tray's
        next snapshot already shows the change (the watcher's later call then finds nothing new)."""
        if self.service is not None:
            settings = self.store.load()

            async def apply() -> None:
                self.service.apply_settings(settings)  # type: ignore[union-attr]

            self.submit(apply()).result(5)
        return result

    # --- profiles and app-wide settings (blocking: file writes; `remove_profile` also the keychain) -------------

    def add_profile(self, name: str, region: str, auth_mode: str = "oauth", *, make_active: bool = False) -> Profile:
        """`region` is what a person types: "eu", "us" or an MCP URL (messages from `bridge.settings.values`)."""
        return self._applied(self.store.add_profile(name, region, auth_mode=auth_mode, make_active=make_active))

    def edit_profile(self, profile_id: str, **changes: Any) -> Profile:
        """Name, region, organization, auth_mode…: what `SettingsStore.set_profile` takes."""
        return self._applied(self.store.set_profile(profile_id, **changes))

    def remove_profile(self, profile_id: str) -> Profile:
        """Remove a profile and delete its keychain entries (blocking: keychain calls; run it on a worker)."""
        removed = self._applied(self.store.remove_profile(profile_id))
        account.forget(removed)
        return removed

    def sign_in_status(self, profile_id: str) -> account.SignInStatus:
        """What the keychain holds for a profile, without asking Port (blocking: keychain reads)."""
        return account.sign_in_status(self.settings().get_profile(profile_id))

    def move_to(self, port: int) -> None:
        """Serve on `port` from now on (the user chose it in Settings): saved, also over a `--port` given on the
        command line, and a running bridge restarts there at once (clients reconnect on their own; their
        configurations then need the new port). Raises `PortInUse` without changing anything when `port` cannot be
        listened on."""
        if not 1024 <= int(port) <= 65535:
            raise BridgeError("The port must be a number from 1024 to 65535.", title="Invalid port")
        if self.service is None or self.service.port != port:
            check_port(port)
        self.set_local_port(port)
        if self._port is not None:
            self._port = port
        if self.service is not None and self.service.port != port:
            paused = self.service.paused
            self.service.stop()
            self.service = None
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
        if not 1024 <= int(port) <= 65535:
            raise BridgeError("The port must be a number from 1024 to 65535.", title="Invalid port")
        return self._set(local_port=int(port))

    def set_log_level(self, level: str) -> Settings:
        import logging

        level = level.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise BridgeError(f"Unknown log level '{level}'.", title="Invalid log level")
        logging.getLogger().setLevel(level)
        return self._set(log_level=level)

    def set_start_at_login(self, enabled: bool, command: list[str] | None = None) -> Settings:
        """Register (or remove) the app with the OS's login items; `command` defaults to the app's own."""
        from bridge.system import autostart

        autostart.apply(enabled, command or autostart.app_command())
        return self._set(start_at_login=bool(enabled))

    def _set(self, **changes: Any) -> Settings:
        def change(settings: Settings) -> None:
            for name, value in changes.items():
                setattr(settings, name, value)

        return self._applied(self.store.update(change))

    # --- the demo organization (blocking: starts the sandbox's thread, a file write) ----------------------------

    def start_demo(self) -> Profile:
        """Serve the built-in sandbox in this process and make the demo profile (added the first time) active.

        The profile signs in in token mode with the sandbox's public demo credentials, so it needs no keychain.
        """
        sandbox = self._serve_demo()
        demo = next((p for p in self.store.load().profiles if is_demo(p)), None)
        if demo is None:
            taken = {p.name.lower() for p in self.store.load().profiles}
            name = next(n for n in (f"Demo{f' {i}' if i > 1 else ''}" for i in range(1, 100)) if n.lower() not in taken)
            demo = self.store.add_profile(name, sandbox.mcp_url, organization=DEMO_ORGANIZATION, auth_mode="token")
            self.store.update(lambda s: setattr(s.get_profile(demo.id), "demo", True))  # type: ignore[union-attr]
        return self._applied(self.store.use_profile(demo.id))

    def _serve_demo(self) -> Any:
        """Start the sandbox (once) on the port the demo profile used last, or any free one, and point the profile
        at it: clients keep working across restarts when the port is still free."""
        from urllib.parse import urlsplit

        from bridge.sandbox import Sandbox

        if self.sandbox is not None:
            return self.sandbox
        demo = next((p for p in self.store.load().profiles if is_demo(p)), None)
        port = urlsplit(demo.mcp_url).port if demo else None
        try:
            self.sandbox = Sandbox(port or 0).start()
        except OSError:
            self.sandbox = Sandbox(0).start()
        if demo is not None and demo.mcp_url != self.sandbox.mcp_url:
            self.store.set_profile(demo.id, region=self.sandbox.mcp_url)
        return self.sandbox

    # --- client configurations (blocking: file I/O and a keychain read for the key) ----------------------------

    def client_entries(self) -> list[Entry]:
        """The entry for the active profile, at the port the bridge really serves on, with the local key."""
        from bridge.export import make_entry

        settings = self.settings()
        key = (self.local_key() or local_key()) if settings.require_local_key else None
        serving = settings.model_copy(update={"local_port": self.snapshot().port})
        return [make_entry(serving, key, program=self.export_env.program)]

    def client_statuses(self) -> list[ClientStatus]:
        from bridge import export

        entries = self.client_entries()
        return [export.status(client, self.export_env, entries) for client in export.clients()]

    def client_preview(self, client_id: str) -> str:
        """The diff a write would make, the key shown as `<local key>`; "" when nothing would change. Raises
        `ExportRefused` (with the snippet to paste) for a file that cannot be edited safely."""
        from bridge import export

        entries = self.client_entries()
        change = export.plan(export.get_client(client_id), self.export_env, entries)
        return export.diff(change, mask=entries[0].key) if change.changes else ""

    def connect_client(self, client_id: str) -> WriteResult:
        from bridge import export

        return export.write(export.get_client(client_id), self.export_env, self.client_entries())

    def update_moved_clients(self) -> list[str]:
        """Write the entry again for each client whose entry differs only in pointing at another port (after the
        bridge moved to a free one): the names of those updated. Each file is backed up first, as every write is; a
        file that cannot be edited safely is left for the Clients page to explain."""
        updated = []
        for status in self.client_statuses():
            entry = status.entries[0]
            if entry.state.value == "stale" and entry.reasons == ("wrong port",):
                try:
                    self.connect_client(status.client.id)
                except BridgeError:
                    continue
                updated.append(status.client.name)
        return updated

    def undo_client(self, client_id: str) -> UndoResult:
        from bridge import export

        return export.undo(export.get_client(client_id))

    def client_snippet(self, client_id: str) -> str:
        """What to paste by hand (contains the local key: shown only when the user asks)."""
        from bridge import export

        return export.snippet(export.get_client(client_id), self.client_entries())

    def regenerate_local_key(self) -> str:
        """A new local key: every connected client must be exported again (the Clients page offers it)."""
        key = rotate_local_key()
        if self.service is not None:
            self.service.set_key(key)
        return key

    def local_key(self) -> str | None:
        return self.service.key if self.service else None

    # --- sign-in (on the bridge's loop) ------------------------------------------------------------------------

    def sign_in(
        self, profile_id: str, *, open_browser: OpenBrowser = system_browser, progress: Progress = lambda m: None
    ) -> concurrent.futures.Future[account.SignedIn]:
        """Browser sign-in; cancel the future to stop it. Progress messages come from the bridge thread."""
        login = account.browser_login(self.store, profile_id, open_browser=open_browser, progress=progress)
        return self.submit(self._then_apply(login))

    def sign_in_with_token(
        self, profile_id: str, client_id: str, client_secret: str
    ) -> concurrent.futures.Future[account.SignedIn]:
        return self.submit(self._then_apply(account.token_login(self.store, profile_id, client_id, client_secret)))

    def sign_out(self, profile_id: str) -> concurrent.futures.Future[list[str]]:
        return self.submit(self._then_apply(account.logout(self.store, profile_id)))

    async def _then_apply(self, work: Coroutine[Any, Any, T]) -> T:
        """Sign-in and sign-out change the settings (`secret_refs`): the bridge takes them at once, so the snapshot
        the caller reads next shows the new state (the watcher's later look then finds nothing new)."""
        try:
            return await work
        finally:
            if self.service is not None:
                self.service.apply_settings(await asyncio.to_thread(self.store.load))

    # --- what the organization offers (on the bridge's loop) ---------------------------------------------------

    def fetch_tools(self, profile_id: str) -> concurrent.futures.Future[list[ToolInfo]]:
        """The tools Port offers this profile (read-only and actions applied, as Port applies them), each marked
        with whether the profile's tool selection exposes it."""
        return self.submit(self._fetch_tools(profile_id))

    def fetch_actions(self, profile_id: str) -> concurrent.futures.Future[list[ActionInfo]]:
        """The organization's self-service actions (Port's `list_actions` tool), marked allowed or not."""
        return self.submit(self._fetch_actions(profile_id))

    async def _upstream_session(self, profile_id: str) -> tuple[Profile, Callable[[], Any]]:
        service = self._require()
        upstream = service.resolve(profile_id)
        if upstream is None:
            raise BridgeError(f"No profile '{profile_id}'.", title="No such profile")
        try:
            token = await upstream.tokens.token()
        except SignInRequired as exc:
            raise BridgeError(exc.message, title="Sign-in required") from None
        headers = {"Authorization": f"Bearer {token}", **upstream.policy.upstream_headers()}
        headers.pop("x-allowed-actions-to-run", None)  # the Actions page lists every action, allowed or not

        def connect() -> Any:
            return _session(upstream.url, headers)

        return upstream.profile, connect

    async def _fetch_tools(self, profile_id: str) -> list[ToolInfo]:
        profile, connect = await self._upstream_session(profile_id)
        async with connect() as session:
            listed = await session.list_tools()
        return [
            ToolInfo(
                name=tool.name,
                title=(tool.annotations.title if tool.annotations and tool.annotations.title else tool.title)
                or tool.name,
                description=(tool.description or "").strip(),
                kind=_kind(tool),
                exposed=profile.tools.exposes(tool.name),
            )
            for tool in listed.tools
        ]

    async def _fetch_actions(self, profile_id: str) -> list[ActionInfo]:
        profile, connect = await self._upstream_session(profile_id)
        async with connect() as session:
            result = await session.call_tool("list_actions", {})
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            raise BridgeError(f"Port could not list the actions: {text}", title="Actions unavailable")
        actions = _actions_from(result)
        allowed = profile.allowed_actions
        return [
            ActionInfo(
                identifier=a["identifier"],
                title=a.get("title") or a["identifier"],
                blueprint=a.get("blueprint", ""),
                allowed=allowed is None or a["identifier"] in allowed,
            )
            for a in actions
        ]

    # --- doctor (blocking: run it on a worker thread) ----------------------------------------------------------

    def doctor(self, profile_id: str | None = None) -> DoctorReport:
        import platform

        settings = self.settings()
        profile = settings.get_profile(profile_id) if profile_id else settings.active()
        if profile is None:
            raise BridgeError("No profile is active. Add one first.", title="No profile")
        checks = [check_settings(self.store), check_keychain(), check_local_port(self.snapshot().port)]
        checks += run_checks(settings, profile)
        if self.service is not None and checks[-1].ok:
            checks.append(self._tool_count_check(profile.id))
        lines = [
            f"Port MCP Bridge {__version__} on {platform.system()} {platform.release()} ({platform.machine()}), "
            f"Python {platform.python_version()}",
            f"Profile: {profile.name} ({profile.id}), region {profile.region_label}, auth {profile.auth_mode.value}",
            f"Time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
            "",
        ]
        for check in checks:
            lines.append(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
            if check.advice:
                lines.append(f"      -> {check.advice}")
        snapshot = self.snapshot()
        errors = [f"{p.name}: {p.last_error}" for p in snapshot.profiles if p.last_error]
        if errors:
            lines += ["", "Last errors:", *errors]
        return DoctorReport(checks, "\n".join(lines))

    def _tool_count_check(self, profile_id: str) -> Check:
        try:
            tools = self.fetch_tools(profile_id).result(30)
        except (BridgeError, OSError, concurrent.futures.TimeoutError) as exc:
            return Check("Tool count", False, f"The tool list could not be read ({type(exc).__name__}).")
        try:
            connected = {s.client.name for s in self.client_statuses() if s.entries[0].state.value != "absent"}
        except (BridgeError, OSError):
            connected = set()
        return check_tool_limits(sum(t.exposed for t in tools), _tool_limits(), connected)


DEMO_ORGANIZATION = "Acme Corp"


def is_demo(profile: Profile) -> bool:
    """The demo profile carries `"demo": true` in settings (an extra field: older versions keep it)."""
    return bool((profile.model_extra or {}).get("demo"))


def _with_demo(tokens: TokenFactory) -> TokenFactory:
    """The demo profile's tokens come from the sandbox's public demo credentials, never from the keychain."""

    def factory(profile: Profile) -> TokenProvider:
        if is_demo(profile):
            from bridge.demo import demo_tokens  # the sandbox: only once there is a demo profile

            return demo_tokens(profile)
        return tokens(profile)

    return factory


def session_key() -> tuple[str | None, str | None]:
    """(key, warning) for a desktop app about to start the bridge: (None, None) uses the keychain's local key as
    usual; without a usable keychain, a random key for this run only (kept in memory) and what to tell the user."""
    try:
        local_key()
    except KeychainError:
        import secrets

        return secrets.token_urlsafe(32), (
            "No system keychain: the local key lasts until you quit (connected clients must be updated after a "
            "restart), and signing in to Port needs a keychain. The demo organization works."
        )
    return None, None


def _tool_limits() -> dict[str, int]:
    from bridge.export import clients

    return {c.name: c.tool_limit for c in clients() if c.tool_limit}


def _session(url: str, headers: dict[str, str]) -> Any:
    """An MCP client session straight to Port (not through the bridge: the Tools page shows what is *not* exposed)."""
    from bridge.mcp_client import mcp_session

    return mcp_session(url, headers)


def _kind(tool: Any) -> str:
    """The badge: the same rule read-only mode uses (policy.is_read_only_tool), then the destructive hint."""
    described = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    if is_read_only_tool(described):
        return "read"
    hints = tool.annotations
    return "destructive" if hints is not None and hints.destructive_hint else "write"


def _actions_from(result: Any) -> list[dict[str, Any]]:
    """Port's `list_actions` answers JSON text (and structured content in newer servers)."""
    data = result.structured_content
    if not data:
        for content in result.content:
            text = getattr(content, "text", None)
            if text:
                try:
                    data = json.loads(text)
                    break
                except ValueError:
                    continue
    items = data.get("actions", []) if isinstance(data, dict) else data or []
    out = []
    for item in items:
        if isinstance(item, dict) and item.get("identifier"):
            trigger = item.get("trigger") or {}
            out.append({**item, "blueprint": item.get("blueprint") or trigger.get("blueprintIdentifier", "")})
    return out
