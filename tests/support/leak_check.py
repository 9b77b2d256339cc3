"""After the whole test run: no token, refresh token, client secret or local key anywhere it must not be.

Every secret the suite creates is remembered where it is born: tokens, codes and client secrets in the sandbox's
`TokenStore`, API secrets from the demo credentials, local keys and other values as they enter a test keychain. At
the end of the session the plugin scans:

- every file the tests left in pytest's temporary directory (settings, logs, exported client configs, backups,
  crash output of child processes), except the test keychains themselves;
- every log record any test produced (a handler on the root logger at DEBUG);
- every test's captured stdout/stderr and failure text.

Local keys are *meant* to be in exported client configs and in `export --print` output, so they are only looked for
in settings files, log files, activity files (`activity*.jsonl`) and log records. A leak fails the run, naming the
kind of secret and where it was (never the secret itself).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest

MIN_LENGTH = 16  # shorter values could match by accident

_secrets: dict[str, str] = {}  # value -> kind
_local_keys: set[str] = set()
_records: list[str] = []
_outputs: list[tuple[str, str]] = []


def remember(value: Any, kind: str) -> None:
    if isinstance(value, str) and len(value) >= MIN_LENGTH:
        _secrets.setdefault(value, kind)


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a broken record is not this check's concern
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            _records.append(text)


def _wrap(cls: type, name: str, after: Any) -> None:
    original = getattr(cls, name)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        after(self, args, kwargs, result)
        return result

    setattr(cls, name, wrapper)


def pytest_configure(config: pytest.Config) -> None:
    import keyring

    from bridge.sandbox.seed import DEMO_CREDENTIALS
    from bridge.sandbox.tokens import TokenStore

    for secret, *_ in DEMO_CREDENTIALS.values():
        remember(secret, "API client secret")

    def tokens(store: Any, args: tuple, kwargs: dict, result: Any) -> None:
        remember(result.get("access_token"), "access token")
        remember(result.get("refresh_token"), "refresh token")

    def machine(store: Any, args: tuple, kwargs: dict, result: Any) -> None:
        remember(result[0], "machine access token")

    def registered(store: Any, args: tuple, kwargs: dict, result: Any) -> None:
        remember(result.get("client_secret"), "client secret")

    def code(store: Any, args: tuple, kwargs: dict, result: Any) -> None:
        remember(result, "authorization code")

    _wrap(TokenStore, "_token_response", tokens)
    _wrap(TokenStore, "machine_token", machine)
    _wrap(TokenStore, "register", registered)
    _wrap(TokenStore, "issue_code", code)

    original = keyring.set_password

    def set_password(service: str, username: str, password: str) -> None:
        _keychain_value(username, password)
        original(service, username, password)

    keyring.set_password = set_password  # every in-process keychain write; child processes: `_read_keychain_file`

    logging.getLogger().addHandler(_Collector(logging.DEBUG))
    logging.getLogger("bridge").setLevel(logging.DEBUG)  # our own records at every level reach the collector


def _keychain_value(username: str, password: str) -> None:
    if username.endswith("local-key"):
        if isinstance(password, str) and len(password) >= MIN_LENGTH:
            _local_keys.add(password)
    elif "#" not in username and isinstance(password, str) and not password.startswith("port-mcp-bridge:chunked:"):
        remember(password, f"keychain value ({username.split('/')[-1]})")


def _read_keychain_file(path: Path) -> None:
    """A test keychain written by a child process (tests.support.file_keyring): its values are secrets too."""
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(data, dict):
        for name, value in data.items():
            _keychain_value(str(name), value)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, text in report.sections:
        _outputs.append((f"{report.nodeid} ({name})", text))
    if report.failed and report.longrepr is not None:
        _outputs.append((f"{report.nodeid} (failure)", str(report.longrepr)))


def _is_keychain_file(path: Path) -> bool:
    return path.name in KEYCHAIN_FILES


KEYCHAIN_FILES = ("keychain.json", "ring.json")  # what the tests call their file keychains (TEST_KEYRING_FILE)
THIRD_PARTY = (".mcp-auth",)  # other programs' own token stores (mcp-remote), not ours to judge


def find_leaks(base: Path) -> list[str]:
    """Where secrets were found, as '<kind> in <place>' lines."""
    leaks: list[str] = []
    files = [p for p in base.rglob("*") if p.is_file()] if base.exists() else []
    for path in files:
        if _is_keychain_file(path):
            _read_keychain_file(path)
    everything = dict(_secrets)
    with_keys = {**everything, **{k: "local key" for k in _local_keys}}
    for path in files:
        if _is_keychain_file(path) or any(part in THIRD_PARTY for part in path.parts):
            continue
        if path.stat().st_size > 20_000_000:
            continue
        try:
            text = path.read_text(errors="ignore")
        except OSError:
            continue
        ours = path.name.startswith("settings.json") and '"schema_version"' in text  # not a client's settings.json
        activity = path.name.startswith("activity") and path.name.endswith(".jsonl")  # and the rotated one
        strict = path.suffix == ".log" or ".log." in path.name or ours or activity
        for value, kind in (with_keys if strict else everything).items():
            if value in text:
                leaks.append(f"{kind} in file {path.relative_to(base)}")
    for value, kind in with_keys.items():
        if any(value in record for record in _records):
            leaks.append(f"{kind} in a log record")
    for place, text in _outputs:
        for value, kind in everything.items():
            if value in text:
                leaks.append(f"{kind} in output of {place}")
    return sorted(set(leaks))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = factory.getbasetemp() if factory is not None else None
    if base is None:
        return
    leaks = find_leaks(Path(base))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (f"secret scan: {len(_secrets)} secrets and {len(_local_keys)} local keys, "
               f"{len(_records)} log records, {len(_outputs)} captured outputs: ")  # fmt: skip
    if reporter is not None:
        reporter.write_line(summary + ("clean" if not leaks else f"{len(leaks)} LEAK(S)"))
        for leak in leaks:
            reporter.write_line(f"  leak: {leak}", red=True)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
