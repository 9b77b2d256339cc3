"""The exporter's data: where a client's files are (`Env`), what we want in them (`Entry`), what is there (`State`),
and the error for a file we will not touch (`ExportRefused`, which carries the snippet to paste instead)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

ACTIVE_NAME = "port"


@dataclass(frozen=True)
class Env:
    """The machine as the exporter sees it. Injectable: tests pass a temporary home, a platform and an environment."""

    home: Path
    system: str  # "darwin", "win32" or "linux" (sys.platform values; anything else is treated as linux)
    environ: Mapping[str, str] = field(default_factory=dict)
    program: str | None = None  # the absolute path of `port-mcp-bridge`, for stdio-only clients
    root: Path = Path("/")  # where system-wide folders are (/Applications, /usr/share): client versions are read there
    workspace: Path | None = None  # a project folder the user chose, for project files (`.vscode/mcp.json`)
    wsl: bool = False  # Linux inside Windows' WSL: Windows IDEs keep their files in the Windows profile

    @classmethod
    def current(cls) -> Env:
        from bridge.export.program import find_program

        return cls(Path.home(), sys.platform, dict(os.environ), find_program(), wsl=running_in_wsl())

    def var(self, name: str) -> Path | None:
        value = self.environ.get(name)
        return Path(value).expanduser() if value else None

    @property
    def appdata(self) -> Path:
        """Windows' roaming application data (`%APPDATA%`)."""
        return self.var("APPDATA") or self.home / "AppData" / "Roaming"

    @property
    def xdg_config(self) -> Path:
        return self.var("XDG_CONFIG_HOME") or self.home / ".config"

    @property
    def app_support(self) -> Path:
        """Where desktop apps keep their settings: Application Support, %APPDATA%, or $XDG_CONFIG_HOME."""
        if self.system == "darwin":
            return self.home / "Library" / "Application Support"
        if self.system == "win32":
            return self.appdata
        return self.xdg_config


def is_wsl(proc_version: str) -> bool:
    """`/proc/version` of a WSL kernel names Microsoft ("...-microsoft-standard-WSL2", WSL 1: "Microsoft")."""
    return "microsoft" in proc_version.lower()


def running_in_wsl(proc_version: Path = Path("/proc/version")) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return is_wsl(proc_version.read_text(errors="replace"))
    except OSError:
        return False


@dataclass(frozen=True)
class Entry:
    """One server entry we put in a client's configuration."""

    name: str  # "port", or "port-<profile id>" for a pinned profile
    url: str  # http://127.0.0.1:<port>/mcp or …/p/<id>/mcp
    key: str | None  # the local key; None when the bridge does not require one
    profile_id: str | None = None  # None: the active profile
    key_env: str | None = None  # carry the key by this environment variable's name, where the client can
    program: str | None = None  # absolute path of `port-mcp-bridge`, for clients that start a command

    @property
    def auth_header(self) -> str | None:
        return f"Bearer {self.key}" if self.key else None

    @property
    def stdio_args(self) -> list[str]:
        return ["stdio", "--profile", self.profile_id] if self.profile_id else ["stdio"]

    @property
    def label(self) -> str:
        return f"profile '{self.profile_id}'" if self.profile_id else "the active profile"


class State(StrEnum):
    ABSENT = "absent"
    CURRENT = "current"
    STALE = "stale"


@dataclass(frozen=True)
class EntryStatus:
    name: str
    state: State
    reasons: tuple[str, ...] = ()  # why stale: "wrong port", "wrong key", … (never the key itself)

    def describe(self) -> str:
        return f"{self.state.value} ({', '.join(self.reasons)})" if self.reasons else self.state.value
