"""One adapter per client; `ALL` is the order `export --list` shows them in."""

from __future__ import annotations

from bridge.export.base import Client
from bridge.export.clients.augment import Augment
from bridge.export.clients.claude_code import ClaudeCode
from bridge.export.clients.claude_desktop import ClaudeDesktop
from bridge.export.clients.cline import Cline
from bridge.export.clients.codex import Codex
from bridge.export.clients.cursor import Cursor
from bridge.export.clients.gemini import Gemini
from bridge.export.clients.goose import Goose
from bridge.export.clients.kiro import Kiro
from bridge.export.clients.lmstudio import LMStudio
from bridge.export.clients.vscode import VSCode, VSCodeInsiders, VSCodeWorkspace
from bridge.export.clients.windsurf import Windsurf
from bridge.export.clients.zed import Zed

ALL: tuple[type[Client], ...] = (
    Cursor, VSCode, VSCodeInsiders, VSCodeWorkspace, ClaudeDesktop, ClaudeCode, Codex, Gemini, Windsurf, Zed, Cline,
    Goose, LMStudio, Kiro, Augment,
)  # fmt: skip

__all__ = ["ALL", "Client"]
