"""Secrets in the operating system's keychain (macOS Keychain, Windows Credential Manager, Secret Service).

Settings hold only the *names* of entries (`Profile.secret_refs`); values live here. Calls are blocking: async code
runs them in a worker thread.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from bridge.errors import BridgeError

SERVICE = "port-mcp-bridge"


class KeychainError(BridgeError):
    """The system keychain refused or is unavailable."""

    title = "Keychain unavailable"


def _unavailable(exc: Exception) -> KeychainError:
    return KeychainError(
        f"The system keychain could not be used ({type(exc).__name__}). Port MCP Bridge keeps tokens and keys only "
        "there. Unlock the keychain (or install a Secret Service such as GNOME Keyring on Linux) and try again."
    )


def get_secret(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError as exc:
        raise _unavailable(exc) from exc


def set_secret(name: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        raise _unavailable(exc) from exc


def delete_secret(name: str) -> None:
    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        pass  # already gone
    except KeyringError as exc:
        raise _unavailable(exc) from exc
