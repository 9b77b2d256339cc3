"""`port-mcp-bridge activity`: what assistants did through the bridge, from the activity file (a table or JSON Lines),
and with `--follow` each call as it happens."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from bridge.api import OUTCOMES

if TYPE_CHECKING:
    from bridge.api import CallRecord

# How the table says an outcome: a call cut off after it reached Port may have run, so it never reads "failed".
OUTCOME_WORDS = {"ok": "ok", "tool_error": "tool error", "error": "error", "refused": "refused",
                 "declined": "declined", "cut": "may have run"}  # fmt: skip
_COLUMNS = (("TIME", 19), ("PROFILE", 16), ("CLIENT", 16), ("TOOL / ACTION", 36), ("OUTCOME", 12), ("TOOK", 8))


@click.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing calls as they happen, until Ctrl+C.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one record per line, as the file holds it.")
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(0), help="How many recent calls.")
@click.option("--profile", metavar="ID|NAME", help="Only calls through this profile.")
@click.option("--client", metavar="NAME", help="Only calls from this client (its name, e.g. Cursor).")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only calls that ended this way.")
@click.option("--search", metavar="WORDS", default="", help="Only calls whose tool, action, client, profile, run id "
              "or message contain all these words (case-insensitive).")  # fmt: skip
def activity(
    follow: bool, as_json: bool, limit: int, profile: str | None, client: str | None, outcome: str | None, search: str
) -> None:
    """Show the calls assistants made through the bridge: when, through which profile, from which
    client, which tool or action, how it ended, how long it took and Port's run id.

    The most recent calls are printed oldest first, so the newest is at the bottom (where --follow
    continues). The bridge keeps them in activity.jsonl in its log folder; arguments are recorded
    only for profiles set to record them (redacted as the logs are).
    """
    from bridge.api import BridgeApi

    api = BridgeApi()
    show = _json_line if as_json else _row
    filters = (profile, client, outcome, search)
    if not follow:
        records = api.activity.recent(limit, profile=profile, client=client, outcome=outcome, search=search)
        if not records and not as_json and limit:
            click.echo(f"No calls recorded yet ({api.activity.path()})." if not any(filters) else "No calls match.")
            return
        if not as_json:
            click.echo(_header())
        for record in reversed(records):
            click.echo(show(record))
        return
    stream = api.activity.follow(backlog=limit, profile=profile, client=client, outcome=outcome, search=search)
    if not as_json:
        click.echo(_header())
    try:
        for record in stream:
            click.echo(show(record))
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()


def _json_line(record: CallRecord) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False)


def _header() -> str:
    return _columns([name for name, _ in _COLUMNS] + ["RUN"])


def _row(record: CallRecord) -> str:
    from datetime import datetime

    when = datetime.fromtimestamp(record.time).strftime("%Y-%m-%d %H:%M:%S")
    client = f"{record.client} {record.client_version}".strip() or "-"
    what = f"{record.tool} {record.action}" if record.action else record.tool
    ended = OUTCOME_WORDS.get(record.outcome, record.outcome)
    ended += " (no answer)" if record.approval == "timed_out" else ""
    took = f"{record.duration_ms:.0f} ms" if record.duration_ms < 10_000 else f"{record.duration_ms / 1000:.0f} s"
    row = _columns([when, record.profile or record.profile_id, client, what, ended, took, record.run_id or ""])
    return row + (f"\n{'':{_COLUMNS[0][1]}}  {record.detail}" if record.detail else "")


def _columns(values: list[str]) -> str:
    cells = []
    for (_, width), value in zip(_COLUMNS, values, strict=False):
        cells.append(value if len(value) <= width else value[: width - 1] + "…")
        cells[-1] = cells[-1].ljust(width)
    cells.extend(values[len(_COLUMNS) :])
    return "  ".join(cells).rstrip()
