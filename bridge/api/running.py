"""Finding the bridge that runs in another process (the tray app, `serve`) and asking it about itself.

Its port is the one its settings folder's lock names (`bridge.system.instance`), whatever it was started with; and
before the local key is sent, it must answer the key's challenge (`endpoint.probe`): a program squatting on the
port would otherwise be handed the key.
"""

from __future__ import annotations

from bridge.api.views import BridgeStatus
from bridge.auth.localkey import local_key
from bridge.endpoint import base_url, probe
from bridge.errors import KeychainError
from bridge.settings import SettingsStore
from bridge.system import instance

UNPROVEN = (
    "A program answers like the bridge on {where} but cannot prove it holds the local key, so the key was not sent "
    "to it: it may be a program posing as the bridge, or a bridge of an older version or with another key."
)


def bridge_port(store: SettingsStore, override: int | None = None) -> int:
    """Where this settings folder's bridge serves: the lock holder's port, else `override` or the settings'."""
    found = instance.holder(store.path.parent)
    if found is not None and found.port:
        return found.port
    return override or store.load().local_port


def saved_key(store: SettingsStore) -> str | None:
    """The keychain's local key when the settings require one (None when off, or without a keychain)."""
    if not store.load().require_local_key:
        return None
    try:
        return local_key()
    except KeychainError:
        return None


def bridge_status(store: SettingsStore, override: int | None, key: str | None) -> BridgeStatus:
    """Ask the bridge about itself at /status, once it has proved it holds `key` (blocking: a few local requests)."""
    import httpx2

    port = bridge_port(store, override)
    url = base_url(port)
    alive = probe(port, timeout=3, key=key)
    if alive == "unproven":
        return BridgeStatus(False, url, problem=UNPROVEN.format(where=url.removeprefix("http://")))
    if alive != "bridge":
        return BridgeStatus(False, url)
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    try:
        report = httpx2.get(f"{url}/status", headers=headers, timeout=3).json()
    except (httpx2.HTTPError, ValueError):
        return BridgeStatus(False, url)
    if not isinstance(report, dict) or not report.get("running"):
        return BridgeStatus(False, url)
    return BridgeStatus(True, url, report)
