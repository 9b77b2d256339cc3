"""Secrets in the operating system's keychain (macOS Keychain, Windows Credential Manager, Secret Service).

Settings hold only the *names* of entries (`Profile.secret_refs`); values live here. Calls are blocking: async code
runs them in a worker thread.

Long values (OAuth tokens are JWTs of 1 to 3 KB) are split over several entries, because Windows Credential Manager
refuses blobs over 2,560 bytes (UTF-16, so ~1,280 characters). The main entry then holds a small header naming a
generation; chunks of a new value are written under a new generation *before* the header switches to it, so a crash
mid-write leaves the old value readable, never a mix of two.
"""

from __future__ import annotations

import hashlib
import os
import secrets as _random

import keyring
from keyring.backends import fail
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from bridge.errors import KeychainError

SERVICE = "port-mcp-bridge"
CHUNK = 1000  # characters per entry: well inside Windows' limit whatever the encoding
_HEADER = "port-mcp-bridge:chunked:v1:"


# keyring raises ImportError & co. when PYTHON_KEYRING_BACKEND names a backend that cannot be loaded.
_FAILURES = (KeyringError, ImportError, AttributeError, ValueError)

NO_KEYCHAIN = (
    "No system keychain was found, and Port MCP Bridge keeps tokens and keys only there, never in a plain file. "
    "On Linux, install and start a Secret Service: GNOME Keyring (the gnome-keyring package) or KeePassXC "
    "with its Secret Service integration turned on, then try again. To use another keyring backend on purpose "
    "(e.g. on a headless server), choose it with the PYTHON_KEYRING_BACKEND environment variable: see the README, "
    '"Where your tokens are kept".'
)


def _unavailable(exc: Exception) -> KeychainError:
    if isinstance(exc, NoKeyringError):
        return KeychainError(NO_KEYCHAIN)
    if isinstance(exc, ImportError | AttributeError | ValueError) and os.environ.get("PYTHON_KEYRING_BACKEND"):
        return KeychainError(
            f"The keyring backend chosen with PYTHON_KEYRING_BACKEND ({os.environ['PYTHON_KEYRING_BACKEND']}) could "
            f"not be loaded ({type(exc).__name__}: {exc}). Unset the variable to use the system keychain, or install "
            "that backend into the same Python. (Installed apps can only use the backends they ship with.)"
        )
    return KeychainError(
        f"The system keychain could not be used ({type(exc).__name__}). Port MCP Bridge keeps tokens and keys only "
        "there. Unlock the keychain (or install a Secret Service such as GNOME Keyring on Linux) and try again."
    )


def keychain_available() -> bool:
    """False when keyring found no usable backend (a bare Linux without Secret Service, for example)."""
    try:
        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except _FAILURES:
        return False


def _get(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except _FAILURES as exc:
        raise _unavailable(exc) from exc


def _set(name: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, name, value)
    except _FAILURES as exc:
        raise _unavailable(exc) from exc


def _delete(name: str) -> None:
    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        pass  # already gone
    except _FAILURES as exc:
        raise _unavailable(exc) from exc


def _parse_header(value: str) -> tuple[str, int, str] | None:
    """(generation, chunk count, digest) of a chunked value's header, or None for a plain value."""
    if not value.startswith(_HEADER):
        return None
    try:
        generation, count, digest = value[len(_HEADER) :].split(":")
        return generation, int(count), digest
    except ValueError:
        return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _chunk_name(name: str, generation: str, index: int) -> str:
    return f"{name}#{generation}.{index}"


def get_secret(name: str) -> str | None:
    value = _get(name)
    header = _parse_header(value) if value is not None else None
    if header is None:
        return value
    generation, count, digest = header
    parts = [_get(_chunk_name(name, generation, i)) for i in range(count)]
    present = [part for part in parts if part is not None]
    if len(present) < count:
        return None  # chunks removed behind our back: as good as no value
    joined = "".join(present)
    return joined if _digest(joined) == digest else None


def set_secret(name: str, value: str) -> None:
    old = _get(name)
    old_header = _parse_header(old) if old is not None else None
    if len(value) <= CHUNK and not value.startswith(_HEADER):
        _set(name, value)
    else:
        generation = _random.token_hex(4)
        pieces = [value[i : i + CHUNK] for i in range(0, len(value), CHUNK)]
        for index, piece in enumerate(pieces):
            _set(_chunk_name(name, generation, index), piece)
        _set(name, f"{_HEADER}{generation}:{len(pieces)}:{_digest(value)}")
    if old_header is not None:
        _delete_chunks(name, old_header)


def delete_secret(name: str) -> None:
    old = _get(name)
    header = _parse_header(old) if old is not None else None
    _delete(name)
    if header is not None:
        _delete_chunks(name, header)


def _delete_chunks(name: str, header: tuple[str, int, str]) -> None:
    generation, count, _ = header
    for index in range(count):
        _delete(_chunk_name(name, generation, index))
