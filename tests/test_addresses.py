"""The addresses people paste (issue 16, section 4): Port's own host names on both domains read as their region, the
API URL of a custom MCP URL given rather than guessed, and settings files from before the field still loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.errors import SettingsError
from bridge.settings import AuthMode, Profile, Region, SettingsStore, parse_region, port_address, region_note
from bridge.settings.values import default_api_url, validate_api_url

EU_MCP, US_MCP = "https://mcp.port.io/v1", "https://mcp.us.port.io/v1"


# Every host form Port's docs use (docs/port-compatibility.md, "Regions and addresses"), with and without a scheme
# and a path: each is its region, with the region's canonical MCP URL.
@pytest.mark.parametrize(
    ("text", "region", "kind"),
    [
        ("https://app.port.io", Region.EU, "app"),
        ("https://app.port.io/organization/catalog?x=1#y", Region.EU, "app"),
        ("app.port.io", Region.EU, "app"),
        ("https://app.getport.io/settings/credentials", Region.EU, "app"),
        ("APP.GETPORT.IO", Region.EU, "app"),
        ("https://app.us.port.io/", Region.US, "app"),
        ("app.us.getport.io/self-serve", Region.US, "app"),
        ("https://api.port.io", Region.EU, "api"),
        ("https://api.getport.io/v1", Region.EU, "api"),
        ("https://api.eu.getport.io", Region.EU, "api"),
        ("https://api.us.port.io/v1", Region.US, "api"),
        ("https://api.us.getport.io", Region.US, "api"),
        ("https://mcp.port.io/v1", Region.EU, "mcp"),
        ("mcp.getport.io/v1", Region.EU, "mcp"),
        ("https://mcp.us.port.io/v1", Region.US, "mcp"),
        ("https://mcp.us.getport.io/v1", Region.US, "mcp"),
        ("http://mcp.us.port.io:443/v1", Region.US, "mcp"),
        ("https://app.port.io./", Region.EU, "app"),  # a fully qualified name
    ],
)
def test_port_addresses_are_their_region(text: str, region: Region, kind: str) -> None:
    address = port_address(text)
    assert address is not None and (address.region, address.kind) == (region, kind)
    assert parse_region(text) == (region, None)
    note = region_note(text)
    words = {"app": "web app", "api": "API", "mcp": "MCP server"}[kind]
    mcp = EU_MCP if region is Region.EU else US_MCP
    assert note == f"This is Port's {region.name} {words} address ({address.host}); the bridge will use {mcp}."


@pytest.mark.parametrize(
    "text",
    [
        "https://docs.port.io/ai-interfaces",  # Port's, but not an address of an organization
        "https://ingest.port.io",
        "https://port.io",
        "https://app.port.io.evil.example/v1",  # only Port's own names, not names that start like them
        "https://evilport.io/v1",
        "https://app.notport.io",
        "https://mcp.example.com/v1",
        "http://127.0.0.1:47780/v1",
        "eu",
        "custom",
        "app port io",
        "",
    ],
)
def test_other_addresses_are_not_port(text: str) -> None:
    assert port_address(text) is None and region_note(text) is None


def test_other_urls_stay_custom() -> None:
    assert parse_region("https://mcp.example.com/v1") == (Region.CUSTOM, "https://mcp.example.com/v1")
    assert parse_region("https://app.port.io.evil.example/v1")[0] is Region.CUSTOM
    assert region_note("eu") is None and region_note(" US ") is None  # a plain choice needs no explanation


@pytest.mark.parametrize(
    ("typed", "used"),
    [
        ("https://api.acme.dev/v1", "https://api.acme.dev/v1"),
        ("https://api.acme.dev", "https://api.acme.dev/v1"),  # Port's docs give API URLs with and without /v1
        ("https://api.acme.dev/", "https://api.acme.dev/v1"),
        ("https://port.acme.dev/api/v1/", "https://port.acme.dev/api/v1"),
        ("https://app.us.port.io/organization", "https://api.us.port.io/v1"),  # never the web app's host
        ("api.getport.io", "https://api.port.io/v1"),
        ("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"),
    ],
)
def test_api_urls_as_typed(typed: str, used: str) -> None:
    assert validate_api_url(typed) == used


def test_api_url_refusals() -> None:
    with pytest.raises(SettingsError, match="plain http://"):
        validate_api_url("http://api.acme.dev/v1")
    with pytest.raises(SettingsError, match="user name or password"):
        validate_api_url("https://me:pw@api.acme.dev/v1")


def test_the_default_api_url_is_only_for_this_computer() -> None:
    assert default_api_url("http://127.0.0.1:47780/v1") == "http://127.0.0.1:47780/v1"
    assert default_api_url("http://localhost:5/mcp/v1") == "http://localhost:5/v1"
    assert default_api_url("http://[::1]:5/v1") == "http://[::1]:5/v1"
    assert default_api_url("https://mcp.acme.dev/v1") is None


def test_profile_api_url_rule() -> None:
    custom = Profile(id="lab", name="Lab", region=Region.CUSTOM, base_url="https://mcp.lab.dev/v1")
    assert custom.api_url is None
    problem = custom.api_url_problem()
    assert problem is not None and "https://mcp.lab.dev/v1" in problem and "will not guess" in problem
    given = Profile(id="lab", name="Lab", region=Region.CUSTOM, base_url="https://mcp.lab.dev/v1",
                    api_base_url="https://api.lab.dev")  # fmt: skip
    assert (given.api_url, given.api_url_problem()) == ("https://api.lab.dev/v1", None)
    with pytest.raises(SettingsError, match="takes no URL"):
        Profile(id="eu", name="EU", region=Region.EU, api_base_url="https://api.lab.dev/v1")


def test_settings_round_trip_and_files_from_before_the_field(settings_home: Path) -> None:
    store = SettingsStore()
    store.add_profile("Lab", "https://mcp.lab.dev/v1", auth_mode="token", api_url="https://api.lab.dev")
    store.add_profile("Acme", "https://app.port.io", auth_mode="token")
    data = json.loads(store.path.read_text())
    assert [p["api_base_url"] for p in data["profiles"]] == ["https://api.lab.dev/v1", None]
    assert store.load().get_profile("lab").api_url == "https://api.lab.dev/v1"

    # A file written before the field existed, with a token-mode profile on a custom URL: it loads as it was; the
    # missing API URL is asked for at sign-in (tests/auth/test_api_url.py), not by refusing the whole file.
    for raw in data["profiles"]:
        del raw["api_base_url"]
    data["profiles"][0]["auth_mode"] = "token"
    store.path.write_text(json.dumps(data))
    loaded = store.load()
    assert store.notice is None
    lab = loaded.get_profile("lab")
    assert (lab.auth_mode, lab.api_base_url, lab.api_url) == (AuthMode.TOKEN, None, None)
    store.set_profile("lab", name="Lab 2")  # other edits still work
    assert "api_base_url" in json.loads(store.path.read_text())["profiles"][0]
