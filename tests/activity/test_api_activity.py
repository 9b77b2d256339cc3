"""`api.activity` as the Activity page and the command line use it: the file the bridge's recorder writes in the log
folder, read back through the facade; the link to a run in Port for each region."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import api as bridge_api
from bridge.activity.log import ActivityLog, activity_log
from bridge.api import BridgeApi
from bridge.errors import BridgeError
from bridge.settings import SettingsStore
from tests.activity.support import call


@pytest.fixture
def api(settings_home: Path) -> BridgeApi:
    store = SettingsStore()
    store.add_profile("Acme EU", "eu")
    store.add_profile("Acme US", "us")
    store.add_profile("Sandbox", "http://127.0.0.1:47780/v1", auth_mode="token")
    return BridgeApi(store)


@pytest.fixture
def log(api: BridgeApi) -> Iterator[ActivityLog]:
    writer = activity_log(api.settings)
    yield writer
    writer.close()


def test_the_facade_reads_what_the_recorder_wrote(api: BridgeApi, log: ActivityLog, settings_home: Path) -> None:
    assert api.activity.path() == settings_home / "log" / "activity.jsonl" == log.path
    assert api.activity.recent() == [] and api.activity.stamp() == (0, 0, 0.0)
    log.record(call(1, profile_id="acme-eu", profile="Acme EU"))
    log.record(call(2, profile_id="acme-us", profile="Acme US", outcome="tool_error"))
    assert log.flush()
    first = api.activity.stamp()
    assert [r.tool for r in api.activity.recent()] == ["tool_2", "tool_1"]
    assert [r.tool for r in api.activity.recent(profile="Acme EU")] == ["tool_1"]
    assert [r.tool for r in api.activity.recent(outcome="tool_error")] == ["tool_2"]
    assert [r.tool for r in api.activity.recent(1)] == ["tool_2"]
    assert isinstance(api.activity.recent()[0], bridge_api.CallRecord)  # front ends name it through bridge.api
    assert api.activity.stamp() == first  # read, not written: unchanged
    log.record(call(3))
    assert log.flush()
    assert api.activity.stamp() != first


def test_clear_empties_both_files_under_a_running_writer(api: BridgeApi, log: ActivityLog) -> None:
    older = api.activity.path().with_name("activity.1.jsonl")
    log.record(call(1))
    assert log.flush()
    older.write_text(api.activity.path().read_text())
    assert len(api.activity.recent()) == 2
    api.activity.clear()
    assert api.activity.path().stat().st_size == 0 and older.stat().st_size == 0
    assert api.activity.recent() == []
    log.record(call(2))  # the running bridge's writer has the file open: it goes on from the start
    assert log.flush()
    assert [r.tool for r in api.activity.recent()] == ["tool_2"]
    assert api.activity.path().read_text().count("\n") == 1 and older.stat().st_size == 0  # no hole, no rotation
    older.unlink()
    api.activity.path().unlink()
    api.activity.clear()  # nothing to clear: no error, and no file made


def test_clear_does_not_follow_a_link(api: BridgeApi, tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("links")
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    api.activity.path().parent.mkdir(parents=True, exist_ok=True)
    api.activity.path().symlink_to(victim)
    with pytest.raises(BridgeError, match="Could not clear the activity"):
        api.activity.clear()
    assert victim.read_text() == "someone else's file\n"


def test_run_links_by_region(api: BridgeApi) -> None:
    run = "r_Q0YotCZMKxDLdlaU"
    link = api.activity.run_link
    assert link(call(1, profile_id="acme-eu", run_id=run)) == f"https://app.port.io/organization/run?runId={run}"
    assert link(call(1, profile_id="acme-us", run_id=run)) == f"https://app.us.port.io/organization/run?runId={run}"
    assert link(call(1, profile_id="sandbox", run_id=run)) is None  # a custom region: no web app the bridge knows
    assert link(call(1, profile_id="acme-eu", run_id="wr_Q0YotCZMKxDLdlaU")) is None  # a workflow run: no page known
    assert link(call(1, profile_id="acme-eu")) is None  # no run
    assert link(call(1, profile_id="removed-since", run_id=run)) is None
    assert link(call(1, profile_id="acme-eu", run_id="r_x/../../evil?")) is None  # not a run id: never in a URL
