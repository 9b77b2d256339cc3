"""The link to an action run in Port's web app, for a record that has Port's run id (pure).

Port's run page is `https://<app host>/organization/run?runId=<run id>` on the region's web app (EU `app.port.io`, US
`app.us.port.io`): the address Port's own MCP server gives as a run's `ui_link` and Port's docs use in notification
templates (docs/port-compatibility.md). A custom region (the sandbox, a private deployment) has no web app the bridge
knows, and a workflow run (`wr_…`) no page address Port documents: no link for those.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bridge.activity.record import CallRecord
from bridge.settings import Profile, Region
from bridge.settings.values import PORT_REGIONS

_ACTION_RUN = re.compile(r"^r_[A-Za-z0-9]{1,64}$")


def run_link(record: CallRecord, profile: Profile | None) -> str | None:
    """Where the record's action run can be seen in Port, or None (no run id, a workflow run, an unknown region)."""
    run_id = record.run_id
    if not run_id or not _ACTION_RUN.match(run_id) or profile is None or profile.region is Region.CUSTOM:
        return None
    return f"https://{PORT_REGIONS[profile.region].app_host}/organization/run?runId={quote(run_id)}"
