"""The per-install local key: a random secret that clients send as `Authorization: Bearer <key>` to the bridge.

Any process on the machine can reach 127.0.0.1, and whoever reaches the bridge acts as the user in Port; the key makes
that a deliberate act (it is written into each client's configuration by the export). It lives in the keychain.
"""

from __future__ import annotations

import secrets

from bridge.auth.keychain import get_secret, set_secret

ENTRY = "local-key"


def local_key() -> str:
    """The install's key, created on first use."""
    key = get_secret(ENTRY)
    if not key:
        key = secrets.token_urlsafe(32)
        set_secret(ENTRY, key)
    return key


def rotate_local_key() -> str:
    """A new key; every client configuration must be exported again afterwards."""
    key = secrets.token_urlsafe(32)
    set_secret(ENTRY, key)
    return key
