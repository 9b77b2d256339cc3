"""Logging for the headless bridge: stderr plus a rotating file, with secrets redacted from every record."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from bridge.system.paths import log_dir

# Bearer tokens, JWT-looking strings, and `"accessToken": "..."`-style fields.
_SECRET = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
    r"|((?:access_?token|refresh_?token|client_?secret|password|authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"[^\"'\s,}]+"
    r"|([?&](?:code|state)=)[^&\s\"']+"  # an OAuth redirect's authorization code
)


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2) or m.group(3) or "") + "[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


__all__ = ["LOG_FILE", "RedactingFilter", "log_dir", "log_file", "redact", "setup"]

LOG_FILE = "bridge.log"  # in log_dir(); rotated to bridge.log.1 … .3


def log_file() -> Path:
    """The log file the bridge writes now (the app's log viewer shows it; it may not exist yet)."""
    return log_dir() / LOG_FILE


def setup(level: str = "INFO", *, to_file: bool = True) -> Path | None:
    """Configure the root logger; returns the log file's path when one is written."""
    root = logging.getLogger()
    root.setLevel(level)
    # The HTTP stack's DEBUG traces dump raw headers (a redirect's Location carries an authorization code) and
    # add nothing a user or support needs: even at DEBUG they stay at INFO and above.
    for noisy in ("httpcore2", "hpack", "h11"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    path = None
    if to_file:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_FILE
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    return path
