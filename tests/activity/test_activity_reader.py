"""Reading the activity file back: newest first across the rotated pair, filters and search, damaged lines, the stamp
the Activity page polls, and `follow` through rotations. Files written by the real `ActivityLog` where it matters."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.activity.file import ACTIVITY_FILE, OLDER_FILE, ActivityFile
from bridge.activity.log import ActivityLog
from bridge.activity.reader import Query, follow, parse_line, recent, stamp
from bridge.activity.record import CallRecord
from tests.activity.support import call


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "log"
    path.mkdir()
    return path


@pytest.fixture
def log(folder: Path) -> Iterator[ActivityLog]:
    writer = ActivityLog(ActivityFile(folder))
    yield writer
    writer.close()


def write(path: Path, *records: CallRecord | str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record.to_json())) + "\n")


def tools(records: list[CallRecord]) -> list[str]:
    return [r.tool for r in records]


def test_newest_first_across_the_rotated_pair(folder: Path) -> None:
    write(folder / OLDER_FILE, *(call(n) for n in range(1, 6)))
    write(folder / ACTIVITY_FILE, *(call(n) for n in range(6, 9)))
    assert tools(recent(folder, 4)) == ["tool_8", "tool_7", "tool_6", "tool_5"]  # the limit reached in the older
    assert tools(recent(folder)) == [f"tool_{n}" for n in range(8, 0, -1)]
    assert recent(folder, 0) == []
    (folder / ACTIVITY_FILE).unlink()  # just rotated, nothing new yet: the older file still answers
    assert tools(recent(folder, 2)) == ["tool_5", "tool_4"]


def test_a_long_file_is_read_back_from_its_end(folder: Path) -> None:
    write(folder / ACTIVITY_FILE, *(call(n, detail="x" * 300) for n in range(1000)))  # ~400 kB: several blocks
    assert tools(recent(folder, 3)) == ["tool_999", "tool_998", "tool_997"]
    assert len(recent(folder, 5000)) == 1000  # every line whole, none split at a block's edge


def test_filters_and_search(folder: Path) -> None:
    write(
        folder / ACTIVITY_FILE,
        call(1),
        call(2, profile_id="globex", profile="Globex", client="claude-code"),
        call(3, tool="run_action", action="deploy_service", run_id="r_Q0YotCZMKxDLdlaU"),
        call(4, outcome="refused", detail="Read-only mode: run_action changes Port"),
        call(5, client="Claude-Code", outcome="declined", approval="denied"),
    )

    def find(**query: str) -> list[str]:
        return tools(recent(folder, 100, Query(**query)))

    assert find(profile="acme") == ["tool_5", "tool_4", "run_action", "tool_1"]  # by id
    assert find(profile="GLOBEX") == ["tool_2"]  # by name, any case
    assert find(client="claude-code") == ["tool_5", "tool_2"]
    assert find(outcome="refused") == ["tool_4"]
    assert find(search="DEPLOY") == ["run_action"]  # the action
    assert find(search="r_q0yot") == ["run_action"]  # the run id
    assert find(search="read-only changes") == ["tool_4"]  # every word, anywhere in the detail
    assert find(search="read-only deploy") == []
    assert find(search="globex") == ["tool_2"]
    assert find(client="claude-code", outcome="declined") == ["tool_5"]
    assert find(profile="nobody") == []


def test_lines_that_are_not_records_are_skipped(folder: Path) -> None:
    write(folder / OLDER_FILE, call(1), "not json at all", "[1, 2]")
    write(
        folder / ACTIVITY_FILE,
        call(2),
        '{"time": "yesterday", "outcome": "ok", "tool": "bad_time"}',
        '{"time": 1, "outcome": "exploded", "tool": "bad_outcome"}',
        '{"time": 1, "outcome": "ok", "tool": 7}',
        '{"time": 1, "outcome": "ok", "tool": "bad_args", "arguments": [1]}',
        "",
        '{"time": 1, "outcome": "ok", "tool": "from_a_newer_version", "colour": "blue"}',
        call(3),
    )
    with (folder / ACTIVITY_FILE).open("a") as handle:
        handle.write('{"time": 1800000099.0, "outcome": "ok", "tool": "half_writ')  # the writer is mid-line
    assert tools(recent(folder)) == ["tool_3", "from_a_newer_version", "tool_2", "tool_1"]
    assert parse_line(b"\xff\xfe") is None


def test_a_link_in_place_of_the_file_is_not_read(folder: Path, tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("links")
    elsewhere = tmp_path / "planted.jsonl"
    write(elsewhere, call(1, tool="planted"))
    (folder / ACTIVITY_FILE).symlink_to(elsewhere)
    assert recent(folder) == []


def test_a_fifo_in_place_of_the_file_does_not_hang_a_reader(folder: Path) -> None:
    if os.name != "posix":
        pytest.skip("FIFOs")
    os.mkfifo(folder / ACTIVITY_FILE)  # opened for reading, a FIFO with no writer would block for ever
    write(folder / OLDER_FILE, call(1))
    assert tools(recent(folder)) == ["tool_1"]
    with follow(folder, backlog=5, poll=0.01) as stream:
        assert next(stream).tool == "tool_1"


def test_stamp_changes_with_each_write_and_rotation(folder: Path) -> None:
    assert stamp(folder) == (0, 0, 0.0)
    line = len(json.dumps(call(1).to_json(), separators=(",", ":"))) + 1
    writer = ActivityLog(ActivityFile(folder), lambda: line * 2)
    try:
        seen = {stamp(folder)}
        for n in range(1, 6):
            writer.record(call(n))
            assert writer.flush()
            now = stamp(folder)
            assert now not in seen  # a size that came back after a rotation differs in its inode
            seen.add(now)
        assert stamp(folder) == stamp(folder)  # nothing written: the same
    finally:
        writer.close()


def test_follow_gives_the_backlog_then_new_records_through_rotations(folder: Path) -> None:
    line = len(json.dumps(call(10).to_json(), separators=(",", ":"))) + 1
    writer = ActivityLog(ActivityFile(folder), lambda: line * 3)
    stop = threading.Event()
    try:
        for n in range(10, 14):
            writer.record(call(n))
            assert writer.flush()
        stream = follow(folder, Query(client="cursor"), backlog=2, poll=0.01, stop=stop)
        assert tools([next(stream), next(stream)]) == ["tool_12", "tool_13"]  # the newest two, oldest first
        got = []
        for n in range(14, 30):  # rotated every three records, while the reader reads
            writer.record(call(n) if n % 4 else call(n, client="other"))
            if n % 2:
                assert writer.flush()
                while len(got) < len([m for m in range(14, n + 1) if m % 4]):
                    got.append(next(stream).tool)  # waits (polling) for the record to be written
        assert got == [f"tool_{m}" for m in range(14, 30) if m % 4]  # each once, in order, none lost to a rotation
        stop.set()
        assert list(stream) == []  # stopped: the iteration ends
        stream.close()
    finally:
        stop.set()
        writer.close()


def test_follow_starts_a_file_that_appears_later_from_its_start(folder: Path) -> None:
    stream = follow(folder, poll=0.01)
    with stream:
        write(folder / ACTIVITY_FILE, call(1), call(2))
        assert tools([next(stream), next(stream)]) == ["tool_1", "tool_2"]
