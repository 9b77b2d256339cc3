"""The activity file as the bridge writes it: real files in a temporary log folder, the real writer thread."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.activity.file import ACTIVITY_FILE, OLDER_FILE, ActivityFile
from bridge.activity.log import ActivityLog, activity_log
from bridge.activity.reader import recent
from bridge.settings import Settings
from tests.activity.support import call

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes, links and FIFOs")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "log"


@pytest.fixture
def opened(folder: Path) -> Iterator[list[ActivityLog]]:
    """Logs a test opens, closed at its end whatever happened (their writer threads end)."""
    logs: list[ActivityLog] = []
    yield logs
    for log in logs:
        log.close()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_records_are_appended_as_json_lines_completed_from_the_answer(folder: Path, opened: list[ActivityLog]) -> None:
    log = ActivityLog(ActivityFile(folder))
    opened.append(log)
    answer = {"jsonrpc": "2.0", "id": 4, "result": {"isError": False, "content": [
        {"type": "text", "text": json.dumps({"ok": True, "run": {"id": "r_Q0YotCZMKxDLdlaU"}})}]}}  # fmt: skip
    log.record(call(1, tool="run_action", action="deploy"), json.dumps(answer).encode())
    log.record(call(2, outcome="refused", detail="read-only mode: run_action is a write"))
    assert log.flush()
    written = lines(folder / ACTIVITY_FILE)
    assert [r["tool"] for r in written] == ["run_action", "tool_2"]
    assert written[0]["run_id"] == "r_Q0YotCZMKxDLdlaU" and written[0]["outcome"] == "ok"  # from Port's answer
    assert written[1]["outcome"] == "refused" and "arguments" not in written[1]  # none given: none stored
    assert log.written == 2 and log.dropped == 0


@posix_only
def test_file_and_folder_are_private_and_a_widened_file_is_made_private_again(
    folder: Path, opened: list[ActivityLog]
) -> None:
    log = ActivityLog(ActivityFile(folder))
    opened.append(log)
    log.record(call(1))
    assert log.flush()
    assert mode(folder / ACTIVITY_FILE) == 0o600
    assert mode(folder) == 0o700
    log.close()
    os.chmod(folder / ACTIVITY_FILE, 0o644)  # widened by someone between two runs of the bridge
    again = ActivityLog(ActivityFile(folder))
    opened.append(again)
    again.record(call(2))
    assert again.flush()
    assert mode(folder / ACTIVITY_FILE) == 0o600
    assert [r["tool"] for r in lines(folder / ACTIVITY_FILE)] == ["tool_1", "tool_2"]


@posix_only
def test_rotation_at_the_cap_keeps_one_older_file_private_and_a_new_cap_holds_at_once(
    folder: Path, opened: list[ActivityLog]
) -> None:
    line_size = len(json.dumps(call(10).to_json(), separators=(",", ":"))) + 1
    cap = [line_size * 5 + 1]  # five lines to a file
    log = ActivityLog(ActivityFile(folder), lambda: cap[0])
    opened.append(log)
    for n in range(10, 22):  # 12 records, one write each: 5 | 5 | 2
        log.record(call(n))
        assert log.flush()
    current, older = folder / ACTIVITY_FILE, folder / OLDER_FILE
    assert [r["tool"] for r in lines(current)] == ["tool_20", "tool_21"]
    assert [r["tool"] for r in lines(older)] == [f"tool_{n}" for n in range(15, 20)]  # tool_10..14 are gone
    assert current.stat().st_size <= cap[0] and older.stat().st_size <= cap[0]
    assert mode(current) == mode(older) == 0o600
    assert not list(folder.glob("activity.2*"))  # one older file, no more
    cap[0] = line_size * 2 + 1  # the settings' cap lowered while running: the next write rotates
    log.record(call(22))
    assert log.flush()
    assert [r["tool"] for r in lines(current)] == ["tool_22"]
    assert [r["tool"] for r in lines(older)] == ["tool_20", "tool_21"]
    assert mode(current) == 0o600


def test_a_file_that_cannot_be_rotated_yet_is_written_on(folder: Path, opened: list[ActivityLog]) -> None:
    (folder / OLDER_FILE).mkdir(parents=True)  # the rename fails (as on Windows while a reader holds the file)
    log = ActivityLog(ActivityFile(folder), lambda: 10)
    opened.append(log)
    for n in range(3):
        log.record(call(n))
        assert log.flush()
    assert [r["tool"] for r in lines(folder / ACTIVITY_FILE)] == ["tool_0", "tool_1", "tool_2"]  # none lost
    assert log.dropped == 0
    (folder / OLDER_FILE).rmdir()
    log.record(call(3))  # the next write rotates
    assert log.flush()
    assert [r["tool"] for r in lines(folder / ACTIVITY_FILE)] == ["tool_3"]
    assert [r["tool"] for r in lines(folder / OLDER_FILE)] == ["tool_0", "tool_1", "tool_2"]


def test_activity_log_takes_the_cap_from_the_settings_as_they_are_at_each_write(
    folder: Path, opened: list[ActivityLog]
) -> None:
    settings = Settings(activity_max_mb=3)
    log = activity_log(lambda: settings, folder)
    opened.append(log)
    assert log.path == folder / ACTIVITY_FILE
    assert log._max_bytes() == 3 * 1024 * 1024
    settings = Settings(activity_max_mb=1)
    assert log._max_bytes() == 1024 * 1024


@posix_only
def test_a_link_in_place_of_the_file_is_not_followed(
    folder: Path, tmp_path: Path, opened: list[ActivityLog], caplog: pytest.LogCaptureFixture
) -> None:
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    (folder / ACTIVITY_FILE).symlink_to(victim)
    log = ActivityLog(ActivityFile(folder))
    opened.append(log)
    with caplog.at_level(logging.WARNING, logger="bridge.activity"):
        log.record(call(1))
        log.record(call(2))
        assert log.flush()
    assert victim.read_text() == "someone else's file\n"  # neither written through nor truncated
    assert (folder / ACTIVITY_FILE).is_symlink()  # and not replaced either: the user's to look at
    assert log.dropped == 2 and log.written == 0
    refusals = [r for r in caplog.records if "is refused (it is a link)" in r.getMessage()]
    assert len(refusals) == 1  # said once, not per record
    (folder / ACTIVITY_FILE).unlink()  # the user removed it: recording resumes
    log.record(call(3))
    assert log.flush()
    assert [r["tool"] for r in lines(folder / ACTIVITY_FILE)] == ["tool_3"]


@posix_only
def test_a_fifo_in_place_of_the_file_does_not_hang_the_writer(folder: Path, opened: list[ActivityLog]) -> None:
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / ACTIVITY_FILE)
    log = ActivityLog(ActivityFile(folder))
    opened.append(log)
    log.record(call(1))
    assert log.flush()  # a writer blocked opening a FIFO nobody reads would never get here
    assert log.dropped == 1


def test_arguments_are_redacted_and_the_local_key_never_written(folder: Path, opened: list[ActivityLog]) -> None:
    local_key = "lk-test-only-9f8e7d6c5b4a39281706"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0LW9ubHkifQ.c2lnbmF0dXJlLXRlc3Qtb25seQ"
    log = ActivityLog(ActivityFile(folder), secrets=lambda: [local_key, None])
    opened.append(log)
    arguments = {
        "identifier": "checkout-service",
        "password": "hunter2-test-only",
        "properties": {"apiKey": "ak-test-only-123", "client_secret": {"nested": "cs-test-only"}, "replicas": 3},
        "notes": [f"use Bearer {jwt}", f"key {local_key}"],
        "config": '{"access_token": "at-test-only-456"}',
        "empty_token": "",
    }
    given = json.loads(json.dumps(arguments))
    log.record(call(1, arguments=arguments, outcome="error", detail=f"401 for Bearer {jwt}"))
    assert log.flush()
    text = (folder / ACTIVITY_FILE).read_text("utf-8")
    for secret in ("hunter2-test-only", "ak-test-only-123", "cs-test-only", jwt, local_key, "at-test-only-456"):
        assert secret not in text
    stored = lines(folder / ACTIVITY_FILE)[0]["arguments"]
    assert stored["identifier"] == "checkout-service" and stored["properties"]["replicas"] == 3  # the rest is kept
    assert stored["password"] == "[redacted]" and stored["properties"]["client_secret"] == "[redacted]"
    assert stored["notes"][0] == "use Bearer [redacted]"
    assert stored["empty_token"] == ""  # nothing to hide
    assert arguments == given  # the call's own arguments (the proxy may still forward them) are untouched


class StuckDisk:
    """A file writer that hangs in `append` until released: a disk that stopped answering."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.lines: list[bytes] = []

    def append(self, data: bytes, max_bytes: int) -> None:
        self.entered.set()
        assert self.release.wait(60)
        self.lines.extend(data.splitlines())

    def close(self) -> None:
        pass


def test_record_never_waits_for_a_stuck_disk_and_drops_the_oldest_when_full(opened: list[ActivityLog]) -> None:
    disk = StuckDisk()
    log = ActivityLog(disk, queue_max=5)
    opened.append(log)
    try:
        log.record(call(0))
        assert disk.entered.wait(10)  # the writer is now stuck inside the disk with call 0
        for n in range(1, 21):  # were record() to wait for the writer, this test would hang here
            log.record(call(n))
        assert log.dropped == 15  # 20 queued behind the stuck write, room for 5: the 15 oldest dropped
    finally:
        disk.release.set()
    assert log.flush()
    assert [json.loads(line)["tool"] for line in disk.lines] == ["tool_0"] + [f"tool_{n}" for n in range(16, 21)]


def test_close_writes_what_is_queued_and_ends_the_thread(folder: Path) -> None:
    log = ActivityLog(ActivityFile(folder))
    for n in range(50):
        log.record(call(n))
    thread = log._thread
    log.close()
    assert thread is not None and not thread.is_alive()
    assert len(recent(folder, 100)) == 50
    log.record(call(99))  # after close: ignored, no new thread
    assert log._thread is thread and len(recent(folder, 100)) == 50


@posix_only  # Windows cannot remove a file that is open
def test_a_removed_file_is_started_again(folder: Path, opened: list[ActivityLog]) -> None:
    log = ActivityLog(ActivityFile(folder))
    opened.append(log)
    log.record(call(1))
    assert log.flush()
    (folder / ACTIVITY_FILE).unlink()  # Clear in Activity, or the user deleted it
    log.record(call(2))
    assert log.flush()
    assert [r["tool"] for r in lines(folder / ACTIVITY_FILE)] == ["tool_2"]
