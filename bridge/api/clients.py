"""Client configurations through the facade: one implementation for the tray, the Settings window and
`port-mcp-bridge export` (entries at the port the bridge really serves on, with the local key).

Everything here is blocking file I/O, plus a keychain read for the local key: a GUI runs it on a worker thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bridge import export
from bridge.api.views import ToolLimit, home_relative
from bridge.auth.localkey import local_key
from bridge.errors import BridgeError
from bridge.export import Client, ClientStatus, Entry, Env, State, UndoResult, WriteResult
from bridge.export.direct import DirectEntry, carried, tighten
from bridge.export.versions import client_version
from bridge.settings import Settings

Profiles = Sequence[str | None]  # None: the entry that follows the active profile; an id: one pinned to it
ACTIVE: Profiles = (None,)
EditProfile = Callable[..., Any]  # BridgeApi.edit_profile: (profile_id, **changes)

CLAUDE_WEB_NOTE = (
    "Claude on the web (claude.ai) runs in Anthropic's cloud and cannot reach a bridge on this computer; use Claude "
    "Desktop or Claude Code."
)
# WSL 2 forwards Windows' 127.0.0.1 to a server listening on 127.0.0.1 inside WSL (`localhostForwarding`, on by
# default; `networkingMode=mirrored` shares localhost both ways). The files are the catch: each side has its own home.
WSL_NOTE = (
    "Port MCP Bridge runs inside WSL here, so the files above are those of your Linux home. An IDE running on "
    "Windows (Cursor, VS Code, Claude Desktop) reads its configuration in your Windows profile instead: use Copy "
    "snippet and paste it into that file. The same 127.0.0.1 address works from Windows, because WSL 2 forwards "
    "Windows' localhost to servers in WSL. The other way round (the bridge on Windows, the client inside WSL) needs "
    "WSL's mirrored networking (networkingMode=mirrored in .wslconfig) for 127.0.0.1 to reach Windows."
)


class ClientExports:
    def __init__(
        self,
        settings: Callable[[], Settings],
        port: Callable[[], int],
        key: Callable[[], str | None],
        env: Callable[[], Env],
    ) -> None:
        self._settings = settings
        self._port = port
        self._key = key  # the running bridge's key, when it has its own (no keychain); else None
        self._machine = env
        self.workspace: Path | None = None  # the project folder chosen for `.vscode/mcp.json`

    def _env(self) -> Env:
        env = self._machine()
        return dataclasses.replace(env, workspace=self.workspace) if self.workspace is not None else env

    def use_workspace(self, folder: Path | None) -> None:
        """The project folder whose `.vscode/mcp.json` the "VS Code (workspace folder)" client edits."""
        self.workspace = Path(folder).expanduser().resolve() if folder is not None else None

    def notes(self) -> list[str]:
        """What the Clients page and the README say about clients the bridge cannot write for."""
        return [CLAUDE_WEB_NOTE, *([WSL_NOTE] if self._env().wsl else [])]

    # --- what is there ---------------------------------------------------------------------------------------

    def clients(self) -> list[Client]:
        return export.clients()

    def client(self, client_id: str) -> Client:
        """Raises `ExportError` naming the known clients for an unknown id."""
        return export.get_client(client_id)

    def entries(self, profiles: Profiles = ACTIVE, key_env: str | None = None) -> list[Entry]:
        settings = self._settings()
        key = (self._key() or local_key()) if settings.require_local_key else None
        serving = settings.model_copy(update={"local_port": self._port()})
        program = self._env().program
        return [
            export.make_entry(serving, key, profile, key_env=key_env, program=program) for profile in profiles or ACTIVE
        ]

    def statuses(self, profiles: Profiles = ACTIVE) -> list[ClientStatus]:
        """Every client (the workspace one only once a folder is chosen)."""
        entries, env = self.entries(profiles), self._env()
        chosen = [c for c in export.clients() if env.workspace is not None or not c.needs_folder]
        return [export.status(client, env, entries) for client in chosen]

    def status(self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None) -> ClientStatus:
        return export.status(self.client(client_id), self._env(), self.entries(profiles, key_env))

    def preview(
        self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None, *, replace_direct: bool = False
    ) -> str:
        """What a write would do: a line per entry that reaches Port directly ("Replaces port-eu (uses Port
        directly: …)" or "Keeps …"), then the diff, the key shown as `<local key>`; "" when nothing would change.
        Raises `ExportRefused` (with the snippet to paste) for a file that cannot be edited safely."""
        entries = self.entries(profiles, key_env)
        change = export.plan(self.client(client_id), self._env(), entries, replace_direct=replace_direct)
        if not change.changes:
            return ""
        summary = change.summary()
        return (summary + "\n\n" if summary else "") + export.diff(change, mask=entries[0].key)

    def snippet(self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None) -> str:
        """What to paste by hand (contains the local key: shown only when the user asks)."""
        return export.snippet(self.client(client_id), self.entries(profiles, key_env))

    def links(self, client_id: str, profiles: Profiles = ACTIVE) -> list[tuple[str, str]]:
        """(install link, caveat) per entry, for clients that have install links (Cursor, VS Code, …)."""
        client = self.client(client_id)
        return [export.link(client, entry) for entry in self.entries(profiles)]

    def tool_limits(self) -> list[ToolLimit]:
        """Clients that handle only so many tools, lowest limit first."""
        limits = [ToolLimit(c.tool_limit, c.name, c.tool_limit_note) for c in export.clients() if c.tool_limit]
        return sorted(limits, key=lambda t: (t.limit, t.client))

    def connected(self) -> set[str]:
        """Names of the clients whose file has our entry (current or stale)."""
        return {s.client.name for s in self.statuses() if s.entries[0].state != State.ABSENT}

    def found(self) -> list[tuple[str, str]]:
        """(name, version) of each client installed here, for a support request; the version as the client's own
        files say it, else "unknown" (nothing is started to ask)."""
        env = self._env()
        return [(c.name, client_version(c.id, env)) for c in export.clients() if c.detected(env)]

    def shown_path(self, path: Path) -> str:
        return home_relative(path, self._env().home)

    # --- changing them (each file backed up first; undo puts it back) ------------------------------------------

    def connect(
        self,
        client_id: str,
        profiles: Profiles = ACTIVE,
        key_env: str | None = None,
        *,
        force: bool = False,
        replace_direct: bool = False,
        edit: EditProfile | None = None,
    ) -> WriteResult:
        """Write the entries (`force`: even into a file the user made read-only; `replace_direct`: take out the
        entries that reach Port directly). `WriteResult.note` says what the user should know, e.g. that the file was
        made private because it now holds the local key, or what a replaced entry carried over into the profile
        (through `edit`, `BridgeApi.edit_profile`)."""
        entries = self.entries(profiles, key_env)
        client = self.client(client_id)
        result = export.write(client, self._env(), entries, force=force, replace_direct=replace_direct)
        if not result.replaced:
            return result
        said = f"Replaced {', '.join(d.name for d in result.replaced)}, which reached Port directly."
        carried_note = self._carry(result.replaced, entries[0].profile_id, edit)
        note = " ".join(x for x in (result.note, said, carried_note) if x)
        return dataclasses.replace(result, note=note)

    def _carry(self, replaced: tuple[DirectEntry, ...], profile_id: str | None, edit: EditProfile | None) -> str:
        """Carry the replaced entries' restrictions (`x-read-only-mode: 1`, `x-allowed-actions-to-run`) into the
        profile the entry serves; only ever tightening it. The sentence saying what was carried ("" if nothing)."""
        wanted = carried(replaced)
        settings = self._settings()
        profile = settings.get_profile(profile_id) if profile_id else settings.active()
        if profile is None or edit is None:
            return ""
        elsewhere = [d.name for d in replaced if profile.region.value in ("eu", "us") and d.region != profile.region]
        here = profile.region.value.upper()
        region_note = (
            f"{', '.join(elsewhere)} reached Port's {'EU' if here == 'US' else 'US'} region, and profile "
            f"'{profile.name}' is in {here}: add a profile for that organization if you use it."
            if elsewhere
            else ""
        )
        changes: dict[str, Any] = {}
        if wanted.read_only and not profile.read_only:
            changes["read_only"] = True
        actions = tighten(profile.allowed_actions, wanted.allowed_actions)
        if actions != profile.allowed_actions:
            changes["allowed_actions"] = actions
        if not changes:
            return region_note
        edit(profile.id, **changes)
        parts = ["Read-only turned on"] if "read_only" in changes else []
        if "allowed_actions" in changes:
            parts.append(f"allowed actions limited to {', '.join(actions or []) or 'none'}")
        return " ".join(
            x for x in (f"Carried over into profile '{profile.name}': {'; '.join(parts)}.", region_note) if x
        )

    def undo(self, client_id: str, *, force: bool = False) -> UndoResult:
        return export.undo(self.client(client_id), force=force, env=self._env())

    def update_moved(self) -> list[str]:
        """Write the entry again for each client whose entry differs only in pointing at another port (after the
        bridge moved to a free one): the names of those updated. A file that cannot be edited safely is left for
        the Clients page to explain."""
        updated = []
        for status in self.statuses():
            entry = status.entries[0]
            if entry.state == State.STALE and entry.reasons == ("wrong port",):
                try:
                    self.connect(status.client.id)
                except BridgeError:
                    continue
                updated.append(status.client.name)
        return updated
