"""Errors the bridge can raise to its front ends (command line, tray app).

    BridgeError(title, message)       every error a user can meet; `title` is short, `message` says what to do
     ├── SettingsError                a bad value for a setting or profile (unknown region, bad URL, duplicate name)
     └── ProfileNotFoundError         no profile with that id or name

Front ends only render these; they never parse exception text. Messages never contain a token or secret.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bridge reports to a person."""

    title = "Port MCP Bridge error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


class SettingsError(BridgeError):
    """A value given for a setting or a profile is not acceptable."""

    title = "Invalid setting"


class ProfileNotFoundError(BridgeError):
    """No profile matches the id or name given."""

    title = "No such profile"
