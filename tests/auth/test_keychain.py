"""The keychain layer: values split for size-limited backends, crash-safe rewrites, a clear error when none exists."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from keyring.errors import PasswordSetError

from bridge.auth import keychain as secrets
from bridge.auth.keychain import delete_secret, get_secret, set_secret
from bridge.errors import KeychainError
from tests.support.memory_keyring import MemoryKeyring


class WindowsLikeKeyring(MemoryKeyring):
    """Refuses what Windows Credential Manager refuses: blobs over 2,560 bytes (UTF-16)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > 2560:
            raise PasswordSetError("The stub received invalid data")
        super().set_password(service, username, password)


@pytest.fixture
def windows_like() -> WindowsLikeKeyring:
    ring = WindowsLikeKeyring()
    keyring.set_keyring(ring)
    return ring


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 2000, 2001, 9000])
def test_values_of_any_size_round_trip(windows_like: WindowsLikeKeyring, size: int) -> None:
    value = "".join(chr(0x41 + i % 26) for i in range(size)) + ("é" if size else "")
    set_secret("profile/x/oauth/1", value)
    assert get_secret("profile/x/oauth/1") == value
    assert all(len(v) <= secrets.CHUNK for v in windows_like.entries.values())


def test_rewriting_and_deleting_leave_no_stray_chunks(windows_like: WindowsLikeKeyring) -> None:
    set_secret("t", "a" * 5000)
    assert len(windows_like.entries) == 6  # header + 5 chunks
    set_secret("t", "b" * 2500)
    assert get_secret("t") == "b" * 2500 and len(windows_like.entries) == 4
    set_secret("t", "short")
    assert get_secret("t") == "short" and len(windows_like.entries) == 1
    set_secret("t", "c" * 3000)
    delete_secret("t")
    assert windows_like.entries == {} and get_secret("t") is None


def test_a_value_that_looks_like_a_header_is_stored_safely(windows_like: WindowsLikeKeyring) -> None:
    tricky = "port-mcp-bridge:chunked:v1:abcd:3:0000"
    set_secret("t", tricky)
    assert get_secret("t") == tricky


def test_a_crash_while_writing_keeps_the_old_value(
    windows_like: WindowsLikeKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_secret("t", "old" * 700)
    real = windows_like.set_password
    writes: list[str] = []

    def dying(service: str, username: str, password: str) -> None:
        writes.append(username)
        if len(writes) == 2:
            raise KeyboardInterrupt  # the process dies after the first chunk of the new value
        real(service, username, password)

    monkeypatch.setattr(windows_like, "set_password", dying)
    with pytest.raises(KeyboardInterrupt):
        set_secret("t", "new" * 900)
    monkeypatch.setattr(windows_like, "set_password", real)
    assert get_secret("t") == "old" * 700


def test_missing_or_altered_chunks_read_as_no_value(windows_like: WindowsLikeKeyring) -> None:
    set_secret("t", "x" * 2500)
    chunk = next(k for k in windows_like.entries if "#" in k[1])
    windows_like.entries[chunk] = "y" * len(windows_like.entries[chunk])
    assert get_secret("t") is None  # never half of one value and half of another
    del windows_like.entries[chunk]
    assert get_secret("t") is None


def test_no_keychain_is_a_clear_error_never_a_plaintext_fallback() -> None:
    keyring.set_keyring(fail.Keyring())
    assert not secrets.keychain_available()
    for attempt in (lambda: get_secret("t"), lambda: set_secret("t", "v"), lambda: delete_secret("t")):
        with pytest.raises(KeychainError) as caught:
            attempt()
        message = caught.value.message
        assert "gnome-keyring" in message and "PYTHON_KEYRING_BACKEND" in message and "never in a plain file" in message


def test_a_keyring_backend_that_cannot_be_loaded_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "nope.Backend")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # keyring loads the backend on next use
    with pytest.raises(KeychainError, match=r"PYTHON_KEYRING_BACKEND \(nope.Backend\) could not be loaded"):
        get_secret("t")
    assert not secrets.keychain_available()
