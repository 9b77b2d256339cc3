"""`port-mcp-bridge activity`: from an activity file the real `ActivityLog` wrote in the test's log folder; `--follow`
as a real process that picks up a record written after it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.activity.file import ActivityFile
from bridge.activity.log import ActivityLog, activity_log
from bridge.cli import cli
from bridge.settings import Settings
from tests.activity.support import call
from tests.support.processes import Children, child_env, read_until

pytestmark = pytest.mark.timeout(60)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["activity", *args], prog_name="port-mcp-bridge")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def recorded(settings_home: Path) -> list[dict]:
    """Five calls recorded by the bridge's own recorder, in the log folder of this test's settings home."""
    log = activity_log(lambda: Settings())
    records = [
        call(1),
        call(2, profile_id="globex", profile="Globex", client="claude-code", client_version="2.0"),
        call(3, tool="run_action", action="deploy_service", run_id="r_Q0YotCZMKxDLdlaU", duration_ms=2345.0),
        call(4, outcome="refused", detail="Read-only mode: run_action changes Port"),
        call(5, tool="run_action", action="restart", outcome="cut", detail="may have run"),
    ]
    for record in records:
        log.record(record)
    log.close()
    assert log.path == settings_home / "log" / "activity.jsonl"
    return [r.to_json() for r in records]


def test_json_lines_oldest_first_as_the_file_holds_them(recorded: list[dict]) -> None:
    output = run("--json").output
    assert [json.loads(line) for line in output.splitlines()] == recorded
    assert [json.loads(line)["tool"] for line in run("--json", "--limit", "2").output.splitlines()] == [
        "tool_4",
        "run_action",
    ]  # the two newest, the newest last


def test_filters(recorded: list[dict]) -> None:
    def tools(*args: str) -> list[str]:
        return [json.loads(line)["tool"] for line in run("--json", *args).output.splitlines()]

    assert tools("--profile", "Globex") == ["tool_2"]
    assert tools("--client", "Claude-Code") == ["tool_2"]
    assert tools("--outcome", "refused") == ["tool_4"]
    assert tools("--search", "deploy") == ["run_action"]
    assert tools("--profile", "acme", "--outcome", "cut") == ["run_action"]
    assert run("--client", "nobody").output == "No calls match.\n"
    refused = CliRunner().invoke(cli, ["activity", "--outcome", "failed"])
    assert refused.exit_code == 2 and "'failed' is not one of" in refused.output


def test_table(recorded: list[dict]) -> None:
    rows = run().output.splitlines()
    assert rows[0].split() == ["TIME", "PROFILE", "CLIENT", "TOOL", "/", "ACTION", "OUTCOME", "TOOK", "RUN"]
    deploy = next(row for row in rows if "deploy_service" in row)
    when = datetime.fromtimestamp(recorded[2]["time"]).strftime("%Y-%m-%d %H:%M:%S")  # local time
    assert deploy.startswith(when) and "Acme" in deploy and "Cursor 1.7.2" in deploy
    assert "2345 ms" in deploy and deploy.endswith("r_Q0YotCZMKxDLdlaU")
    cut = next(i for i, row in enumerate(rows) if "restart" in row)
    assert "may have run" in rows[cut] and "failed" not in rows[cut]
    refused = next(i for i, row in enumerate(rows) if "tool_4" in row)
    assert rows[refused + 1].strip() == "Read-only mode: run_action changes Port"  # the rule, under its row


def test_nothing_recorded_yet(settings_home: Path) -> None:
    assert run().output.startswith("No calls recorded yet (")
    assert run("--json").output == ""


def test_follow_prints_a_record_written_after_it_started(tmp_path: Path, children: Children) -> None:
    folder = tmp_path / "log"  # the child's log folder: PORT_MCP_BRIDGE_HOME is tmp_path
    log = ActivityLog(ActivityFile(folder))
    try:
        log.record(call(1))
        assert log.flush()
        proc = children.start([sys.executable, "-m", "bridge", "activity", "--follow", "--json", "--limit", "1"],
                              env=child_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
        assert '"tool": "tool_1"' in read_until(proc, "tool_1")  # the backlog: the file is open from here on
        log.record(call(2, client="Zed", outcome="declined", approval="timed_out"))
        assert log.flush()
        line = read_until(proc, "tool_2")
        assert json.loads(line) == call(2, client="Zed", outcome="declined", approval="timed_out").to_json()
        if os.name == "posix":
            proc.send_signal(signal.SIGINT)  # Ctrl+C: ends quietly
            assert proc.wait(30) == 0
            assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    finally:
        log.close()
