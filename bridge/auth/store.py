"""Reading and writing a profile's sign-in in the keychain (blocking calls: async code runs them in a thread)."""

from __future__ import annotations

import json

from bridge.auth.keychain import delete_secret, get_secret, set_secret
from bridge.auth.records import CLIENT_REF, TOKENS_REF, ClientRegistration, TokenRecord, client_entry


def load_registration(profile_id: str) -> ClientRegistration | None:
    text = get_secret(client_entry(profile_id))
    if not text:
        return None
    try:
        return ClientRegistration.from_json(text)
    except (ValueError, TypeError):
        return None  # unreadable: register again


def save_registration(profile_id: str, registration: ClientRegistration) -> None:
    set_secret(client_entry(profile_id), registration.to_json())


def load_tokens(entry: str | None) -> TokenRecord | None:
    if not entry:
        return None
    text = get_secret(entry)
    if not text:
        return None
    try:
        return TokenRecord.from_json(text)
    except (ValueError, TypeError, KeyError):
        return None  # unreadable: as if signed out


def save_tokens(entry: str, record: TokenRecord) -> None:
    set_secret(entry, record.to_json())


def delete_entries(secret_refs: dict[str, str]) -> None:
    """Every keychain entry a profile's sign-in owns (tokens, registration, API credentials)."""
    for purpose, entry in secret_refs.items():
        if purpose in (TOKENS_REF, CLIENT_REF, "client_credentials"):
            delete_secret(entry)


def client_credentials(entry: str | None) -> tuple[str, str] | None:
    """Token mode's (client id, secret), or None when none are saved."""
    text = get_secret(entry) if entry else None
    if not text:
        return None
    try:
        data = json.loads(text)
        return str(data["clientId"]), str(data["clientSecret"])
    except (ValueError, KeyError, TypeError):
        return None
