"""Which Port the live tier checks, read from the environment (docs/live-tests.md).

`PORT_CLIENT_ID`, `PORT_CLIENT_SECRET` and `PORT_REGION` (eu / us) name a real organization; the URLs come from the
project's one region table (`bridge.settings.values.PORT_REGIONS`), as a profile's do. Two variables the docs keep for
the project's own test (`tests/test_live_tier.py`), which points the tier at a sandbox on loopback:
`PORT_LIVE_MCP_URL` (the MCP endpoint instead of the region's) and `PORT_LIVE_API_URL` (where the credentials are
exchanged for a token; default: that URL's origin + /v1, what a profile with a custom URL uses).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bridge.settings.values import PORT_REGIONS, Region

NEEDED = ("PORT_CLIENT_ID", "PORT_CLIENT_SECRET", "PORT_REGION")
SKIP_REASON = (
    "live Port checks: set PORT_CLIENT_ID, PORT_CLIENT_SECRET and PORT_REGION to run them (docs/live-tests.md)"
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "port_tools"


@dataclass(frozen=True)
class LiveTarget:
    region: str  # "eu" or "us": names the recorded fixture
    client_id: str
    client_secret: str
    mcp_url: str
    api_url: str
    region_text: str  # what the profile is created with: the region, or the overriding URL
    record: bool  # PORT_LIVE_RECORD=1: write the tool list to the fixtures folder
    fixtures: Path

    def __repr__(self) -> str:  # never the secret, whatever prints this object
        return f"LiveTarget(region={self.region!r}, mcp_url={self.mcp_url!r}, client_id={self.client_id!r})"

    def fixture_path(self, day: datetime | None = None) -> Path:
        date = (day or datetime.now(UTC)).date().isoformat()
        return self.fixtures / f"live-{self.region}-{date}.json"


def missing(env: Mapping[str, str]) -> list[str]:
    return [name for name in NEEDED if not env.get(name, "").strip()]


def live_target(env: Mapping[str, str] = os.environ) -> LiveTarget | None:
    """The target named by `env`, or None when a needed variable is missing (the tier is then skipped). A region
    other than eu / us raises ValueError: a typo must not look like a skip."""
    if missing(env):
        return None
    region = env["PORT_REGION"].strip().lower()
    if region not in (Region.EU, Region.US):
        raise ValueError(f"PORT_REGION must be 'eu' or 'us', not {env['PORT_REGION']!r}")
    known = PORT_REGIONS[Region(region)]
    mcp_url = env.get("PORT_LIVE_MCP_URL", "").strip()
    if mcp_url:
        parts = urlsplit(mcp_url)
        api_url = env.get("PORT_LIVE_API_URL", "").strip() or f"{parts.scheme}://{parts.netloc}/v1"
    else:
        mcp_url, api_url = known.mcp_url, known.api_url
    return LiveTarget(
        region=region,
        client_id=env["PORT_CLIENT_ID"].strip(),
        client_secret=env["PORT_CLIENT_SECRET"].strip(),
        mcp_url=mcp_url,
        api_url=api_url,
        region_text=mcp_url if env.get("PORT_LIVE_MCP_URL", "").strip() else region,
        record=env.get("PORT_LIVE_RECORD", "") == "1",
        fixtures=Path(env.get("PORT_LIVE_FIXTURES", "") or FIXTURES),
    )
