"""Secrets never reach a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.system.logs import RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hQGFjbWUuZXhhbXBsZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    "line",
    [
        f"Authorization: Bearer {JWT}",
        "authorization=Bearer abc.def-ghi",
        f"token is {JWT} here",
        '{"accessToken": "s3cr3t-value", "ok": true}',
        "client_secret=s3cr3t-value&grant_type=client_credentials",
        "refresh_token: s3cr3t-value",
        "GET http://127.0.0.1:47800/callback?code=s3cr3t-value&state=abc.def-ghi 200",
    ],
)
def test_secrets_are_redacted(line: str) -> None:
    out = redact(line)
    assert "[redacted]" in out
    assert JWT not in out and "s3cr3t-value" not in out and "abc.def-ghi" not in out


def test_http_traces_stay_out_even_at_debug(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.system import logs

    root = logging.getLogger()
    before = root.level, list(root.handlers)
    try:
        logs.setup("DEBUG", to_file=False)
        assert logging.getLogger("bridge").getEffectiveLevel() == logging.DEBUG
        assert not logging.getLogger("httpcore2.http11").isEnabledFor(logging.DEBUG)  # raw headers: never
    finally:
        root.setLevel(before[0])
        root.handlers[:] = before[1]


def test_ordinary_text_is_kept() -> None:
    text = "Forwarded tools/list for profile acme-eu to mcp.port.io in 12 ms"
    assert redact(text) == text


def test_filter_redacts_arguments_too(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("bridge.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="bridge.test"):
        logger.info("upstream said %s", f"Bearer {JWT}")
    assert JWT not in caplog.text and "[redacted]" in caplog.text


def test_the_log_file_lives_under_the_home_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests and portable installs set PORT_MCP_BRIDGE_HOME: their logs must not land in the user's own log folder."""
    from bridge.system import logs
    from bridge.system.paths import HOME_ENV

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    root = logging.getLogger()
    before = root.level, list(root.handlers)
    try:
        path = logs.setup("INFO")
        assert path is not None and path.parent == tmp_path / "log"
        logging.getLogger("bridge.test").info("hello")
        for handler in root.handlers:
            handler.flush()
        assert "hello" in path.read_text()
    finally:
        for handler in root.handlers:
            if handler not in before[1]:
                handler.close()
        root.setLevel(before[0])
        root.handlers[:] = before[1]
    monkeypatch.delenv(HOME_ENV)
    assert tmp_path not in logs.log_dir().parents
