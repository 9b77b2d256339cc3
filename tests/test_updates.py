"""The update check against a release feed on loopback shaped like GitHub's: newer, same, malformed, slow, down; and
the once-a-day rule. It only ever reads the feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.api import BridgeApi
from bridge.errors import UpdateCheckFailed
from bridge.settings import Settings, SettingsStore
from bridge.updates import due, is_newer, last_check, parse_release, record_check
from tests.support.net import free_port
from tests.support.release_feed import ReleaseFeed, release_feed

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed() -> Iterator[ReleaseFeed]:
    with release_feed() as served:
        yield served


@pytest.fixture
def api(feed: ReleaseFeed, settings_home: Path) -> BridgeApi:
    """A bridge (not started) of version 0.1.0 whose update check reads `feed`."""
    bridge = BridgeApi(SettingsStore())
    bridge.updates.feed = feed.url
    bridge.updates.version = "0.1.0"
    bridge.updates.timeout = 2.0
    return bridge


def test_a_newer_release_is_offered_with_its_notes_and_page(api: BridgeApi, feed: ReleaseFeed) -> None:
    feed.publish("v0.2.0", "## What's new\n- An About box")
    release = api.updates.check(NOW)
    assert release is not None
    assert (release.version, release.name) == ("0.2.0", "Port MCP Bridge v0.2.0")
    assert release.notes.startswith("## What's new")
    assert release.url == "https://github.com/acme/port-mcp-bridge/releases/tag/v0.2.0"
    assert last_check() == NOW  # recorded: the daily check waits a day now
    headers = {k.lower(): v for k, v in feed.requests[-1].items()}
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["user-agent"].startswith("port-mcp-bridge/")
    assert "authorization" not in headers  # the public API: nothing of the user's is sent


@pytest.mark.parametrize("tag", ["v0.1.0", "0.1", "0.1.0rc1", "v0.0.9"])
def test_the_same_or_an_older_release_is_no_update(api: BridgeApi, feed: ReleaseFeed, tag: str) -> None:
    feed.publish(tag)
    assert api.updates.check(NOW) is None


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, b"<html>rate limited</html>", "not JSON"),
        (200, b'{"message": "hello"}', "did not describe a release"),
        (200, b'["v0.2.0"]', "did not describe a release"),
        (200, json.dumps({"tag_name": "latest"}).encode(), "not a version"),
        (404, b'{"message": "Not Found"}', "No release of Port MCP Bridge is published"),
        (403, b'{"message": "API rate limit exceeded"}', "HTTP 403"),
    ],
)
def test_a_malformed_or_failing_feed_is_a_failed_check(
    api: BridgeApi, feed: ReleaseFeed, status: int, body: bytes, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    feed.answer(status, body)
    with pytest.raises(UpdateCheckFailed, match=said) as failed:
        api.updates.check(NOW)
    assert failed.value.title == "Could not check for updates"
    assert last_check() == NOW  # a feed that is down is asked again tomorrow, not at every start
    assert "update check failed" in caplog.text
    # the daily check says nothing more than the log line
    assert api.updates.check_if_due(NOW + timedelta(days=2)) is None


def test_a_feed_that_never_answers_times_out(api: BridgeApi, feed: ReleaseFeed) -> None:
    feed.stall()
    api.updates.timeout = 0.3
    with pytest.raises(UpdateCheckFailed, match=r"did not answer within 0\.3 seconds"):
        api.updates.check(NOW)


@pytest.mark.parametrize("where", ["http://127.0.0.1:{port}/releases/latest", "http://[::1/releases", "ftp://x/y"])
def test_a_feed_that_is_not_there_is_a_failed_check(api: BridgeApi, where: str) -> None:
    api.updates.feed = where.format(port=free_port())
    with pytest.raises(UpdateCheckFailed, match="could not be reached"):
        api.updates.check(NOW)


def test_a_release_page_that_is_not_https_is_not_opened() -> None:
    release = parse_release({"tag_name": "v1.0.0", "html_url": "javascript:alert(1)", "body": None, "name": ""})
    assert release.url == "https://github.com/port-labs/port-mcp-bridge/releases"
    assert (release.notes, release.name) == ("", "Port MCP Bridge 1.0.0")


@pytest.mark.parametrize(
    ("latest", "current", "newer"),
    [
        ("v0.2.0", "0.1.0", True),
        ("0.10.0", "0.9.1", True),
        ("1.0", "1.0.0", False),
        ("1.0.0", "1.0.0rc2", True),
        ("1.0.0-rc.2", "1.0.0-rc.1", True),
        ("1.0.0b1", "1.0.0a9", True),
        ("1.0.0rc1", "1.0.0", False),
        ("v2.0.0+build.7", "1.9.9", True),
        ("nightly", "0.1.0", False),
        ("0.2.0", "dev", False),
    ],
)
def test_versions_compare_as_release_numbers(latest: str, current: str, newer: bool) -> None:
    assert is_newer(latest, current) is newer


def test_once_a_day() -> None:
    day = timedelta(days=1)
    assert due(None, NOW)  # never checked
    assert not due(NOW - day + timedelta(seconds=1), NOW)
    assert due(NOW - day, NOW)
    assert due(NOW - 30 * day, NOW)
    assert due(NOW + timedelta(hours=1), NOW)  # the clock was set back: check, rather than wait for it


def test_the_daily_check_follows_the_switch_and_the_last_check(api: BridgeApi, feed: ReleaseFeed) -> None:
    feed.publish("v0.3.0")
    assert api.updates.enabled()  # on by default
    assert api.updates.due(NOW)
    assert api.updates.check_if_due(NOW) is not None
    assert not api.updates.due(NOW + timedelta(hours=23))
    assert api.updates.check_if_due(NOW + timedelta(hours=23)) is None
    assert len(feed.requests) == 1
    assert api.updates.check_if_due(NOW + timedelta(days=1)) is not None
    api.updates.set_enabled(False)
    assert not api.updates.enabled() and not api.updates.due(NOW + timedelta(days=5))
    assert api.updates.check_if_due(NOW + timedelta(days=5)) is None
    assert len(feed.requests) == 2
    assert api.updates.check(NOW + timedelta(days=5)) is not None  # on demand, even when switched off


def test_the_last_check_survives_a_broken_state_file(tmp_path: Path) -> None:
    path = tmp_path / "update-check.json"
    assert last_check(path) is None
    path.write_text("{not json", encoding="utf-8")
    assert last_check(path) is None
    record_check(NOW, path)
    assert last_check(path) == NOW


def test_settings_files_from_before_the_switch_load_with_it_on(settings_home: Path) -> None:
    settings_home.mkdir()
    (settings_home / "settings.json").write_text(
        json.dumps({"schema_version": 2, "local_port": 47600, "log_level": "INFO", "profiles": []}), encoding="utf-8"
    )
    store = SettingsStore()
    assert store.load().check_for_updates is True
    with pytest.raises(Exception, match="check_for_updates: must be true or false"):
        Settings.model_validate({"check_for_updates": "no"})


def test_the_feed_is_the_repository_the_build_was_made_in(tmp_path: Path) -> None:
    from bridge.updates import DEFAULT_REPOSITORY, repository

    info = tmp_path / "release.json"
    assert repository(info) == DEFAULT_REPOSITORY  # a copy run from source: the project's home
    info.write_text('{"repository": "acme-forks/port-mcp-bridge"}')
    assert repository(info) == "acme-forks/port-mcp-bridge"
    for junk in ('{"repository": "../../evil"}', '{"repository": "a/b/c"}', "[1]", "not json", '{"repository": 3}'):
        info.write_text(junk)
        assert repository(info) == DEFAULT_REPOSITORY, junk
