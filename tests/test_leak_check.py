"""The end-of-run secret scan (tests/support/leak_check.py) finds what it is there to find."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.support import leak_check


def test_the_scan_finds_a_secret_in_a_file_a_settings_log_and_a_record(tmp_path: Path) -> None:
    token = "eyJ-test-only-access-token-0123456789"
    key = "local-key-test-only-0123456789abcdef"
    leak_check.remember(token, "access token")
    leak_check._local_keys.add(key)
    try:
        (tmp_path / "exported.json").write_text(f'{{"Authorization": "Bearer {token}"}}')
        (tmp_path / "cursor.json").write_text(f'{{"Authorization": "Bearer {key}"}}')  # by design: not a leak
        (tmp_path / "settings.json").write_text(f'{{"schema_version": 2, "oops": "{key}"}}')
        (tmp_path / "gemini").mkdir()
        (tmp_path / "gemini" / "settings.json").write_text(f'{{"headers": {{"Authorization": "Bearer {key}"}}}}')
        (tmp_path / "keychain.json").write_text(f'{{"x": "{token}"}}')  # the test keychain itself: fine
        (tmp_path / "log").mkdir()
        (tmp_path / "log" / "activity.jsonl").write_text(f'{{"tool": "x", "detail": "{token}"}}\n')
        (tmp_path / "log" / "activity.1.jsonl").write_text(f'{{"tool": "x", "arguments": {{"k": "{key}"}}}}\n')
        logging.getLogger("bridge.test").warning("oops %s", token)
        leaks = leak_check.find_leaks(tmp_path)
        assert "access token in file exported.json" in leaks
        assert "local key in file settings.json" in leaks
        assert "access token in file log/activity.jsonl" in leaks
        assert "local key in file log/activity.1.jsonl" in leaks  # an activity file may not hold the local key either
        assert "access token in a log record" in leaks
        assert not any("cursor.json" in leak or "keychain.json" in leak or "gemini" in leak for leak in leaks)
    finally:
        del leak_check._secrets[token]
        leak_check._local_keys.discard(key)
        leak_check._records[:] = [r for r in leak_check._records if token not in r]
        for path in sorted(tmp_path.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
