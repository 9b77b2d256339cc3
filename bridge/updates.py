"""The update check: the newest release in the project's release feed (GitHub's "latest release" API) against this
version. It only tells: the app shows the release notes and opens the release page, it never downloads or installs.

Pure parts (`is_newer`, `parse_release`, `due`) decide; `fetch_latest` is the one network call, with a timeout, and
turns every failure into `UpdateCheckFailed`. The time of the last check is kept in `update-check.json` next to the
settings (not in them: a daily timestamp would wake every settings watcher).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge import __version__
from bridge.errors import Action, Do, UpdateCheckFailed
from bridge.system.files import atomic_write
from bridge.system.paths import config_dir

log = logging.getLogger(__name__)

# The GitHub repository releases come from. An installed app checks the repository it was built in: the release
# workflow builds in it, and `packaging/build.py` writes its name (GitHub's GITHUB_REPOSITORY) into the bundle as
# `release.json` beside this module. A copy run from source, or built elsewhere, uses the project's home.
DEFAULT_REPOSITORY = "port-labs/port-mcp-bridge"
RELEASE_INFO = Path(__file__).with_name("release.json")
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")


def repository(info: Path = RELEASE_INFO) -> str:
    """The owner/name of the repository whose releases this copy follows: the build's, else `DEFAULT_REPOSITORY`."""
    try:
        named = json.loads(info.read_text(encoding="utf-8")).get("repository")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_REPOSITORY
    if isinstance(named, str) and _REPOSITORY_NAME.fullmatch(named) and ".." not in named:
        return named
    log.warning("%s names no repository as owner/name: the update check uses %s", info, DEFAULT_REPOSITORY)
    return DEFAULT_REPOSITORY


REPOSITORY = repository()
RELEASES_URL = f"https://api.github.com/repos/{REPOSITORY}/releases/latest"  # the feed the app checks
RELEASES_PAGE = f"https://github.com/{REPOSITORY}/releases"
README_URL = f"https://github.com/{REPOSITORY}#readme"  # the project's documentation
# Port's guide to its MCP server (port-labs/port-docs: docs/ai-interfaces/port-mcp-server/overview-and-installation.md)
PORT_MCP_DOCS_URL = "https://docs.port.io/ai-interfaces/port-mcp-server/overview-and-installation"

CHECK_EVERY = timedelta(days=1)
TIMEOUT = 10.0  # seconds, for the whole request: a check in the background must never hang a worker
MAX_FEED_BYTES = 1_000_000  # a release's JSON is a few KB; anything far larger is not the feed
STATE_FILE = "update-check.json"


@dataclass(frozen=True)
class Release:
    """A published release: its version ("0.2.0", no leading v), its title, notes (Markdown) and page."""

    version: str
    name: str
    notes: str
    url: str


# A release tag: "v1.2.3", "1.2", "1.2.3-rc.1", "1.2.3b2"; build metadata ("+abc") is ignored. Not `packaging`: it is
# only a development dependency here, and these tags are ours.
_VERSION = re.compile(
    r"v?(\d+(?:\.\d+)*)(?:[-.]?(a|alpha|b|beta|c|rc|pre|preview)[-.]?(\d*))?(?:\+[\w.]*)?", re.IGNORECASE
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_FINAL = (3, 0)  # a final release sorts after its pre-releases


def version_key(text: str) -> tuple[tuple[int, ...], tuple[int, int]] | None:
    """What versions sort by (1.2 == 1.2.0; 1.2.0rc1 < 1.2.0), or None for text that is not a version."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    numbers, pre, pre_number = match.groups()
    release = tuple(int(n) for n in numbers.split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    return release, ((_PRE_RANK[pre.lower()], int(pre_number or 0)) if pre else _FINAL)


def is_newer(latest: str, current: str = __version__) -> bool:
    """Whether `latest` is a later version than `current` (0.10.0 > 0.9.1 > 0.9.1rc1). Either not a version (a
    development build, an odd tag): never newer."""
    new, old = version_key(latest), version_key(current)
    return new is not None and old is not None and new > old


def parse_release(data: Any) -> Release:
    """A `Release` from GitHub's release JSON (`tag_name`, `name`, `body`, `html_url`); `UpdateCheckFailed` when the
    feed has another shape. The page must be https (it is opened in the browser), else the releases page is used."""
    if not isinstance(data, dict) or not isinstance(data.get("tag_name"), str):
        raise UpdateCheckFailed("The release feed did not describe a release.")
    tag = data["tag_name"].strip()
    if version_key(tag) is None:
        raise UpdateCheckFailed(f"The latest release is tagged {tag[:40]!r}, which is not a version.")
    version = tag.removeprefix("v").removeprefix("V")
    url = data.get("html_url")
    name, notes = data.get("name"), data.get("body")
    return Release(
        version=version,
        name=name if isinstance(name, str) and name.strip() else f"Port MCP Bridge {version}",
        notes=notes if isinstance(notes, str) else "",
        url=url if isinstance(url, str) and url.startswith("https://") else RELEASES_PAGE,
    )


def fetch_latest(feed: str = RELEASES_URL, *, timeout: float = TIMEOUT) -> Release:
    """The feed's latest release (blocking). Any failure is an `UpdateCheckFailed` saying what happened."""
    import httpx2

    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": f"port-mcp-bridge/{__version__}",  # GitHub's API refuses requests without one
    }
    try:
        with httpx2.Client(timeout=timeout, follow_redirects=True) as client:
            response = client.get(feed, headers=headers)
    except httpx2.TimeoutException:
        raise UpdateCheckFailed(f"The release feed did not answer within {timeout:g} seconds.") from None
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        raise UpdateCheckFailed(f"The release feed could not be reached ({type(exc).__name__}).") from None
    if response.status_code == 404:  # GitHub's answer for a repository with no published release yet
        raise UpdateCheckFailed(
            f"No release of Port MCP Bridge is published at github.com/{REPOSITORY} yet.",
            actions=(Action(Do.OPEN_URL, "Open the releases page", RELEASES_PAGE),),
        )
    if response.status_code != 200:
        raise UpdateCheckFailed(f"The release feed answered HTTP {response.status_code}.")
    if len(response.content) > MAX_FEED_BYTES:
        raise UpdateCheckFailed("The release feed's answer is far too large to be a release.")
    try:
        data = json.loads(response.content)
    except ValueError:
        raise UpdateCheckFailed("The release feed's answer is not JSON.") from None
    return parse_release(data)


def due(last_check: datetime | None, now: datetime, every: timedelta = CHECK_EVERY) -> bool:
    """Whether the daily check should run: never checked, a day or more since, or a last check in the future (the
    clock was set back; waiting for it to catch up could skip checks for a long time)."""
    return last_check is None or now - last_check >= every or last_check > now


def state_path() -> Path:
    return config_dir() / STATE_FILE


def last_check(path: Path | None = None) -> datetime | None:
    """When the last check finished (answered or not); None if never, or if the file is unreadable."""
    try:
        value = json.loads((path or state_path()).read_text(encoding="utf-8"))["last_check"]
        when = datetime.fromisoformat(value)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def record_check(when: datetime, path: Path | None = None) -> None:
    """Remember `when` as the last check; a folder that refuses the write only means the next start checks again."""
    try:
        atomic_write(path or state_path(), json.dumps({"last_check": when.isoformat()}).encode())
    except OSError as exc:
        log.warning("could not record the update check: %s", exc)


def now() -> datetime:
    return datetime.now(UTC)
