"""Where Port MCP Bridge keeps its files.

Nothing here creates a directory: callers create what they write to, when they write it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "port-mcp-bridge"
HOME_ENV = "PORT_MCP_BRIDGE_HOME"


def config_dir() -> Path:
    """`$PORT_MCP_BRIDGE_HOME` if set (tests, portable installs), else the per-user config directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """`log/` under `$PORT_MCP_BRIDGE_HOME` if set (so tests and portable installs write nothing in the user's own
    log folder), else the per-user log directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser() / "log"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    """The settings file, `settings.json` in `config_dir()`."""
    return config_dir() / "settings.json"
