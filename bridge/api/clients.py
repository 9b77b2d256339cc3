"""Client configurations through the facade: one implementation for the tray, the Settings window and
`port-mcp-bridge export` (entries at the port the bridge really serves on, with the local key).

Everything here is blocking file I/O, plus a keychain read for the local key: a GUI runs it on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bridge import export
from bridge.api.views import ToolLimit, home_relative
from bridge.auth.localkey import local_key
from bridge.errors import BridgeError
from bridge.export import Client, ClientStatus, Entry, Env, State, UndoResult, WriteResult
from bridge.export.versions import client_version
from bridge.settings import Settings

Profiles = Sequence[str | None]  # None: the entry that follows the active profile; an id: one pinned to it
ACTIVE: Profiles = (None,)


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
        self._env = env

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
        entries = self.entries(profiles)
        return [export.status(client, self._env(), entries) for client in export.clients()]

    def status(self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None) -> ClientStatus:
        return export.status(self.client(client_id), self._env(), self.entries(profiles, key_env))

    def preview(self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None) -> str:
        """The diff a write would make, the key shown as `<local key>`; "" when nothing would change. Raises
        `ExportRefused` (with the snippet to paste) for a file that cannot be edited safely."""
        entries = self.entries(profiles, key_env)
        change = export.plan(self.client(client_id), self._env(), entries)
        return export.diff(change, mask=entries[0].key) if change.changes else ""

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
        self, client_id: str, profiles: Profiles = ACTIVE, key_env: str | None = None, *, force: bool = False
    ) -> WriteResult:
        """Write the entries (`force`: even into a file the user made read-only). `WriteResult.note` says what the
        user should know, e.g. that the file was made private because it now holds the local key."""
        return export.write(self.client(client_id), self._env(), self.entries(profiles, key_env), force=force)

    def undo(self, client_id: str, *, force: bool = False) -> UndoResult:
        return export.undo(self.client(client_id), force=force)

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
