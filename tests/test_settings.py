"""Settings and profiles: models, parsing, migration, recovery, atomic saves, profile operations, watching."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import platformdirs
import pytest

from bridge.errors import ProfileNotFoundError, SettingsError
from bridge.settings import (
    SCHEMA_VERSION,
    AuthMode,
    InvalidSettingsError,
    Profile,
    Region,
    Settings,
    SettingsStore,
    ToolExposure,
    migrate,
    parse_region,
    slugify,
    unique_id,
    validate_mcp_url,
)
from bridge.settings import store as settings_module
from bridge.system import paths
from tests.support.net import wait_until
from tests.support.processes import ROOT

POSIX = sys.platform != "win32"


@pytest.fixture
def store(settings_home: Path) -> SettingsStore:
    return SettingsStore()


def corrupt_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if ".corrupt-" in p.name)


def profile(pid: str = "acme-eu", name: str = "Acme EU", **kw: object) -> Profile:
    return Profile(id=pid, name=name, region=kw.pop("region", Region.EU), **kw)


# --- paths -----------------------------------------------------------------------------------------------


def test_paths_follow_env_and_create_nothing(settings_home: Path) -> None:
    assert paths.config_dir() == settings_home
    assert paths.settings_path() == settings_home / "settings.json"
    assert SettingsStore().path == settings_home / "settings.json"
    assert not settings_home.exists()


def test_paths_default_to_platform_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    expected = Path(platformdirs.user_config_dir("port-mcp-bridge", appauthor=False))
    assert paths.config_dir() == expected
    assert paths.settings_path() == expected / "settings.json"


# --- loading and saving ----------------------------------------------------------------------------------


def test_missing_file_gives_defaults_without_writing(store: SettingsStore, settings_home: Path) -> None:
    loaded = store.load()
    assert loaded == Settings()
    assert loaded.schema_version == SCHEMA_VERSION
    assert loaded.local_port == 47773
    assert loaded.require_local_key is True
    assert loaded.start_at_login is False
    assert loaded.log_level == "INFO"
    assert loaded.active() is None
    assert store.notice is None and store.recovered_from is None
    assert not settings_home.exists()


def test_round_trip(store: SettingsStore) -> None:
    original = Settings(
        active_profile="sandbox",
        local_port=50000,
        require_local_key=False,
        start_at_login=True,
        log_level="DEBUG",
        profiles=[
            profile(organization="acme", read_only=True, allowed_actions=["deploy", "roll_back"]),
            profile("acme-us", "Acme US", region=Region.US, auth_mode=AuthMode.TOKEN, allowed_actions=[]),
            profile(
                "sandbox",
                "Sandbox",
                region=Region.CUSTOM,
                base_url="http://127.0.0.1:47780/v1",
                tools=ToolExposure(mode="deny", names=["delete_entity"]),
                secret_refs={"oauth": "profile/sandbox/oauth"},
            ),
        ],
    )
    store.save(original)
    loaded = store.load()
    assert loaded == original
    assert loaded.active() is not None and loaded.active().name == "Sandbox"
    data = json.loads(store.path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["profiles"][1]["allowed_actions"] == []
    assert data["profiles"][0]["allowed_actions"] == ["deploy", "roll_back"]
    assert store.path.read_text().endswith("}\n")


def test_unknown_fields_survive_load_and_save(store: SettingsStore, settings_home: Path) -> None:
    settings_home.mkdir()
    raw = {
        "schema_version": SCHEMA_VERSION,
        "future_top": {"nested": [1, 2, 3]},
        "profiles": [
            {
                "id": "acme-eu",
                "name": "Acme EU",
                "region": "eu",
                "future_profile_field": "kept",
                "tools": {"mode": "all", "names": [], "future_tools_field": True},
            }
        ],
    }
    store.path.write_text(json.dumps(raw))
    store.update(lambda s: setattr(s, "local_port", 47774))
    data = json.loads(store.path.read_text())
    assert data["future_top"] == {"nested": [1, 2, 3]}
    assert data["profiles"][0]["future_profile_field"] == "kept"
    assert data["profiles"][0]["tools"]["future_tools_field"] is True
    assert data["local_port"] == 47774
    # and through the profile helpers, which rebuild the profile
    store.set_profile("acme-eu", read_only=True)
    data = json.loads(store.path.read_text())
    assert data["profiles"][0]["future_profile_field"] == "kept"
    assert data["future_top"] == {"nested": [1, 2, 3]}


V1_FILE = {
    "schema_version": 1,
    "port": 48000,
    "active_profile": "Acme US",
    "profiles": [
        {"name": "Acme EU", "region": "EU", "readOnly": True, "organization": "acme"},
        {"name": "Acme US", "region": "US", "readOnly": False},
        {"name": "Acme-US", "region": "CUSTOM", "url": "http://localhost:47780/v1"},
    ],
}


def test_migration_from_v1(store: SettingsStore, settings_home: Path) -> None:
    settings_home.mkdir()
    store.path.write_text(json.dumps(V1_FILE))
    loaded = store.load()
    assert loaded.schema_version == SCHEMA_VERSION
    assert loaded.local_port == 48000
    assert [(p.id, p.region, p.read_only) for p in loaded.profiles] == [
        ("acme-eu", Region.EU, True),
        ("acme-us", Region.US, False),
        ("acme-us-2", Region.CUSTOM, False),
    ]
    assert loaded.profiles[2].mcp_url == "http://localhost:47780/v1"
    assert loaded.profiles[0].organization == "acme"
    assert loaded.active_profile == "acme-us"
    assert store.recovered_from is None and store.version_warning is None
    # nothing v1-only is left behind once saved
    store.save(loaded)
    data = json.loads(store.path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert "port" not in data
    assert all("readOnly" not in p and "url" not in p for p in data["profiles"])


def test_migrate_treats_missing_version_as_v1_and_rejects_nonsense() -> None:
    migrated = migrate({"port": 47999, "profiles": []})
    assert migrated["schema_version"] == SCHEMA_VERSION and migrated["local_port"] == 47999
    with pytest.raises(SettingsError):
        migrate({"schema_version": "two"})
    with pytest.raises(SettingsError):
        migrate({"schema_version": 0})


def test_newer_schema_version_is_kept_with_a_warning(store: SettingsStore, settings_home: Path) -> None:
    settings_home.mkdir()
    raw = {"schema_version": SCHEMA_VERSION + 5, "brand_new": "x", "profiles": []}
    store.path.write_text(json.dumps(raw))
    loaded = store.load()
    assert loaded.schema_version == SCHEMA_VERSION + 5
    assert store.version_warning is not None and "newer version" in store.version_warning
    assert store.recovered_from is None
    store.add_profile("Acme EU", "eu")
    data = json.loads(store.path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION + 5
    assert data["brand_new"] == "x"
    assert corrupt_files(settings_home) == []


# --- corrupt files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff\xfe garbage \x80",
        b'{"schema_version": 2, "profiles": [',
        b"[1, 2, 3]",
        b'{"local_port": "not a number"}',
        b'{"local_port": 80}',
        b'{"profiles": "nope"}',
        b'{"profiles": [{"id": "x", "name": "X"}]}',  # no region
        b'{"profiles": [{"id": "x", "name": "X", "region": "custom"}]}',  # custom without a URL
        b'{"profiles": [{"id": "x", "name": "X", "region": "eu", "allowed_actions": ["no spaces"]}]}',
        b'{"profiles": [{"id": "a", "name": "X", "region": "eu"}, {"id": "b", "name": "x", "region": "us"}]}',
        b'{"schema_version": "2"}',
    ],
    ids=[
        "binary",
        "truncated",
        "array",
        "port-type",
        "port-range",
        "profiles-type",
        "no-region",
        "custom-no-url",
        "bad-action",
        "duplicate-names",
        "version-type",
    ],
)
def test_corrupt_file_is_kept_aside_and_defaults_load(
    store: SettingsStore, settings_home: Path, content: bytes
) -> None:
    settings_home.mkdir()
    store.path.write_bytes(content)
    loaded = store.load()
    assert loaded == Settings()
    kept = corrupt_files(settings_home)
    assert len(kept) == 1
    assert store.recovered_from == kept[0]
    assert kept[0].name.startswith("settings.json.corrupt-")
    stamp = kept[0].name.removeprefix("settings.json.corrupt-")
    time.strptime(stamp, "%Y%m%d-%H%M%S")
    assert kept[0].read_bytes() == content
    assert not store.path.exists()
    assert store.notice == (
        f"Your settings file could not be read and was kept at {kept[0]}; "
        "Port MCP Bridge started with default settings."
    )


def test_directory_in_place_of_the_file_is_moved_aside(store: SettingsStore, settings_home: Path) -> None:
    store.path.mkdir(parents=True)
    (store.path / "inside.txt").write_text("keep me")
    assert store.load() == Settings()
    kept = corrupt_files(settings_home)
    assert len(kept) == 1 and kept[0].is_dir()
    assert (kept[0] / "inside.txt").read_text() == "keep me"
    assert store.notice is not None and str(kept[0]) in store.notice
    # the next save creates a proper file again
    store.add_profile("Acme EU", "eu")
    assert store.load().profiles[0].id == "acme-eu"


def test_corrupt_name_gets_a_counter_when_taken(
    store: SettingsStore, settings_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module.time, "strftime", lambda fmt, *a: "20250101-120000")
    settings_home.mkdir()
    for expected in ("settings.json.corrupt-20250101-120000", "settings.json.corrupt-20250101-120000-2"):
        store.path.write_text("not json")
        store.load()
        assert store.recovered_from == settings_home / expected
    assert len(corrupt_files(settings_home)) == 2


def test_update_on_a_corrupt_file_keeps_it_and_writes_fresh_settings(store: SettingsStore, settings_home: Path) -> None:
    settings_home.mkdir()
    store.path.write_text("{oops")
    created = store.add_profile("Acme EU", "eu")
    assert created.id == "acme-eu"
    (kept,) = corrupt_files(settings_home)
    assert kept.read_text() == "{oops"
    assert store.recovered_from == kept
    assert [p.id for p in store.load().profiles] == ["acme-eu"]


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_saved_file_is_private(store: SettingsStore, settings_home: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        store.save(Settings())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings_home.stat().st_mode) == 0o700
    store.add_profile("Acme EU", "eu")  # replaced file stays private
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_save_leaves_no_temp_files_and_cleans_stale_ones(store: SettingsStore, settings_home: Path) -> None:
    settings_home.mkdir()
    stale = settings_home / ".settings.json.tmp-12345-deadbeef"
    stale.write_text('{"half": ')
    store.save(Settings())
    assert sorted(p.name for p in settings_home.iterdir() if not p.name.endswith(".lock")) == ["settings.json"]


def test_save_validates(store: SettingsStore) -> None:
    settings = Settings()
    settings.local_port = 80  # plain assignment is not checked; save must
    with pytest.raises(SettingsError, match="local_port"):
        store.save(settings)
    assert not store.path.exists()


def test_failed_update_writes_nothing(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    before = store.path.read_bytes()

    def boom(s: Settings) -> None:
        s.local_port = 50000
        raise SettingsError("no")

    with pytest.raises(SettingsError):
        store.update(boom)
    assert store.path.read_bytes() == before


def test_update_may_return_new_settings(store: SettingsStore) -> None:
    result = store.update(lambda s: Settings(local_port=50001))
    assert result.local_port == 50001 and store.load().local_port == 50001


# --- parsing user input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eu", (Region.EU, None)),
        ("EU", (Region.EU, None)),
        (" Us ", (Region.US, None)),
        ("http://127.0.0.1:47780/v1", (Region.CUSTOM, "http://127.0.0.1:47780/v1")),
        ("  https://port.example.com/mcp/v1 ", (Region.CUSTOM, "https://port.example.com/mcp/v1")),
        ("http://localhost:47780/v1", (Region.CUSTOM, "http://localhost:47780/v1")),
        ("http://[::1]:47780/v1", (Region.CUSTOM, "http://[::1]:47780/v1")),
    ],
)
def test_parse_region(text: str, expected: tuple[Region, str | None]) -> None:
    assert parse_region(text) == expected


def test_parse_region_unknown_text() -> None:
    with pytest.raises(SettingsError) as info:
        parse_region("xx")
    assert info.value.message == (
        "Unknown region 'xx'. Use eu, us, or the URL of a Port MCP endpoint such as http://127.0.0.1:47780/v1."
    )
    with pytest.raises(SettingsError, match="For a custom region give its MCP endpoint's URL"):
        parse_region("custom")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://127.0.0.1/v1",
            "'ftp://127.0.0.1/v1' is not a valid MCP URL: it must start with https:// (or http:// for a "
            "server on this computer), for example http://127.0.0.1:47780/v1.",
        ),
        ("https:///v1", "'https:///v1' has no host name. Example: http://127.0.0.1:47780/v1"),
        (
            "http://mcp.example.com/v1",
            "'http://mcp.example.com/v1' uses plain http:// to another machine, which would send your Port "
            "credentials unencrypted. Use https://, or http:// only for this computer (127.0.0.1, localhost "
            "or ::1).",
        ),
        (
            "http://127.0.0.1:99999/v1",
            "'http://127.0.0.1:99999/v1' is not a valid URL. Example: http://127.0.0.1:47780/v1",
        ),
        (
            "https://user:secret@mcp.example.com/v1",
            "The URL contains a user name or password. Remove it: credentials are kept in the system "
            "keychain, never in the URL.",
        ),
        (
            "https://mcp.example.com/v1?x=1",
            "'https://mcp.example.com/v1?x=1' must not contain '?' or '#'. Example: http://127.0.0.1:47780/v1",
        ),
    ],
)
def test_url_validation_messages(url: str, message: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_region(url)
    assert info.value.message == message
    assert "secret" not in info.value.message


def test_validate_mcp_url_accepts_remote_https() -> None:
    assert validate_mcp_url("https://mcp.example.com:8443/v1") == "https://mcp.example.com:8443/v1"


def test_slugs_and_unique_ids() -> None:
    assert slugify("Acme (EU)") == "acme-eu"
    assert slugify("  Zürich Prod  ") == "zurich-prod"
    assert slugify("!!!") == "profile"
    assert len(slugify("x" * 200)) <= 40
    assert unique_id("Acme EU", ["acme-eu"]) == "acme-eu-2"
    assert unique_id("Acme EU", ["acme-eu", "acme-eu-2"]) == "acme-eu-3"


# --- profile model ---------------------------------------------------------------------------------------


def test_urls_per_region() -> None:
    eu = profile()
    us = profile("acme-us", "Acme US", region=Region.US)
    sandbox = profile("sb", "Sandbox", region=Region.CUSTOM, base_url="http://127.0.0.1:47780/v1")
    private = profile("p", "Private", region=Region.CUSTOM, base_url="https://port.acme.internal/mcp/v1")
    assert (eu.mcp_url, eu.api_url) == ("https://mcp.port.io/v1", "https://api.port.io/v1")
    assert (us.mcp_url, us.api_url) == ("https://mcp.us.port.io/v1", "https://api.us.port.io/v1")
    assert (sandbox.mcp_url, sandbox.api_url) == ("http://127.0.0.1:47780/v1", "http://127.0.0.1:47780/v1")
    # A custom URL's API is never guessed from its host (tests/test_addresses.py has the rule).
    assert (private.mcp_url, private.api_url) == ("https://port.acme.internal/mcp/v1", None)
    assert sandbox.region_label == "http://127.0.0.1:47780/v1" and eu.region_label == "eu"


def test_allowed_actions_semantics() -> None:
    assert profile().allowed_actions is None
    assert profile().allowed_actions_header() is None
    assert profile(allowed_actions=[]).allowed_actions_header() == ""
    assert profile(allowed_actions=["deploy", "roll-back", "deploy"]).allowed_actions_header() == "deploy,roll-back"
    with pytest.raises(ValueError, match="'rm -rf' is not a valid action identifier"):
        profile(allowed_actions=["rm -rf"])


def test_profile_region_and_url_must_agree() -> None:
    with pytest.raises(ValueError, match="has a custom region but no URL"):
        profile(region=Region.CUSTOM)
    with pytest.raises(ValueError, match="takes no URL"):
        profile(base_url="https://mcp.port.io/v1")
    with pytest.raises(ValueError, match="plain http://"):
        profile(region=Region.CUSTOM, base_url="http://10.0.0.5/v1")


def test_secret_refs_hold_names_not_secrets() -> None:
    ok = profile(secret_refs={"oauth": "profile/acme-eu/oauth"})
    assert ok.secret_refs["oauth"] == "profile/acme-eu/oauth"
    with pytest.raises(ValueError, match="secrets belong in the system keychain"):
        profile(secret_refs={"token": "x" * 500})


def test_tool_exposure() -> None:
    assert ToolExposure().exposes("anything")
    allow = ToolExposure(mode="allow", names=["list_entities"])
    deny = ToolExposure(mode="deny", names=["delete_entity"])
    assert allow.exposes("list_entities") and not allow.exposes("delete_entity")
    assert deny.exposes("list_entities") and not deny.exposes("delete_entity")
    with pytest.raises(ValueError, match="not a valid tool name"):
        ToolExposure(mode="allow", names=["bad name"])


def test_get_profile_by_id_or_name() -> None:
    s = Settings(profiles=[profile(), profile("sandbox", "Sandbox")])
    assert s.get_profile("acme-eu").name == "Acme EU"
    assert s.get_profile("acme eu").id == "acme-eu"
    assert s.get_profile(" SANDBOX ").id == "sandbox"
    with pytest.raises(ProfileNotFoundError) as info:
        s.get_profile("nope")
    assert info.value.message == "No profile 'nope'. Known profiles: 'Acme EU' (acme-eu), 'Sandbox' (sandbox)."
    with pytest.raises(ProfileNotFoundError, match="no profiles are set up yet"):
        Settings().get_profile("x")


def test_active_ignores_a_dangling_id() -> None:
    assert Settings(active_profile="gone", profiles=[profile()]).active() is None


# --- the models' own checks (plain dataclasses: everything pydantic did for us is done by hand) -------------

PROFILE = {"id": "acme-eu", "name": "Acme EU", "region": "eu"}


def test_unknown_fields_are_kept_at_every_level_and_compared() -> None:
    raw = {
        "future_top": {"nested": [1, 2]},
        "profiles": [PROFILE | {"future_profile": "p", "tools": {"mode": "all", "future_tools": True}}],
    }
    settings = Settings.model_validate(raw)
    assert settings.model_extra == {"future_top": {"nested": [1, 2]}}
    assert settings.profiles[0].model_extra == {"future_profile": "p"}
    assert settings.profiles[0].tools.model_extra == {"future_tools": True}
    dumped = settings.model_dump(mode="json")
    assert dumped["future_top"] == {"nested": [1, 2]}
    assert dumped["profiles"][0]["future_profile"] == "p"
    assert dumped["profiles"][0]["tools"]["future_tools"] is True
    assert Settings.model_validate(dumped) == settings
    assert Settings.model_validate(raw | {"future_top": "changed"}) != settings  # unknown fields count in ==


def test_an_unknown_field_set_in_code_is_saved(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    store.update(lambda s: setattr(s.get_profile("acme-eu"), "demo", True))
    loaded = store.load().get_profile("acme-eu")
    assert loaded.model_extra == {"demo": True} and loaded.demo is True
    assert json.loads(store.path.read_text())["profiles"][0]["demo"] is True
    with pytest.raises(AttributeError):
        _ = loaded.colour


def test_dump_order_and_json_mode() -> None:
    p = profile(auth_mode="token")
    assert list(p.model_dump()) == [
        "id",
        "name",
        "organization",
        "organization_id",
        "region",
        "base_url",
        "api_base_url",
        "auth_mode",
        "read_only",
        "allowed_actions",
        "tools",
        "secret_refs",
        "ask_before",
        "record_arguments",
    ]
    assert p.model_dump()["region"] is Region.EU
    as_json = p.model_dump(mode="json")
    assert (type(as_json["region"]), type(as_json["auth_mode"]), as_json["auth_mode"]) == (str, str, "token")
    assert as_json["tools"] == {"mode": "all", "names": []}
    as_json["tools"]["names"].append("x")  # a dump is a copy
    assert p.tools.names == []


def test_model_copy_is_shallow_and_unchecked() -> None:
    original = Settings.model_validate({"future": 1, "profiles": [PROFILE]})
    copied = original.model_copy(update={"local_port": 80})
    assert (copied.local_port, original.local_port) == (80, 47773)  # not checked, as before: save checks
    assert copied.profiles is original.profiles
    copied.model_extra["future"] = 2
    assert original.model_extra == {"future": 1}


def test_constructors_check_and_convert() -> None:
    built = Profile(id="x", name=" X ", region="us", auth_mode="token", organization=" acme ")
    assert (built.region, built.auth_mode, built.name, built.organization) == (Region.US, AuthMode.TOKEN, "X", "acme")
    nested = Settings(profiles=[{"id": "y", "name": "Y", "region": "custom", "base_url": "http://[::1]:1/v1"}])
    assert isinstance(nested.profiles[0], Profile) and nested.profiles[0].region is Region.CUSTOM
    with pytest.raises(ValueError, match="local_port: must be from 1024 to 65535, not 80"):
        Settings(local_port=80)


@pytest.mark.parametrize(
    ("data", "message", "loc"),
    [
        ({"local_port": "not a number"}, "local_port: must be a whole number", ("local_port",)),
        ({"local_port": True}, "local_port: must be a whole number", ("local_port",)),
        ({"local_port": 8000.5}, "local_port: must be a whole number", ("local_port",)),
        ({"local_port": 1023}, "local_port: must be from 1024 to 65535, not 1023", ("local_port",)),
        ({"local_port": 65536}, "local_port: must be from 1024 to 65535, not 65536", ("local_port",)),
        ({"schema_version": 0}, "schema_version: must be at least 1, not 0", ("schema_version",)),
        (
            {"require_local_key": "maybe"},
            'require_local_key: must be true or false (a JSON boolean, without quotes), not "maybe"',
            ("require_local_key",),
        ),
        (
            {"start_at_login": 2},
            "start_at_login: must be true or false (a JSON boolean, without quotes), not 2",
            ("start_at_login",),
        ),
        ({"log_level": "debug"}, "log_level: must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'", ("log_level",)),
        ({"active_profile": 5}, "active_profile: must be text", ("active_profile",)),
        ({"profiles": "nope"}, "profiles: must be a list", ("profiles",)),
        ({"profiles": [None]}, "profiles.0: must be an object", ("profiles", 0)),
        ({"profiles": [{"id": "x", "name": "X"}]}, "profiles.0.region: is missing", ("profiles", 0, "region")),
        (
            {"profiles": [PROFILE | {"region": "EU"}]},
            "profiles.0.region: must be one of 'eu', 'us', 'custom'",
            ("profiles", 0, "region"),
        ),
        (
            {"profiles": [PROFILE | {"auth_mode": "saml"}]},
            "profiles.0.auth_mode: must be one of 'oauth', 'token'",
            ("profiles", 0, "auth_mode"),
        ),
        ({"profiles": [PROFILE | {"name": 5}]}, "profiles.0.name: must be text", ("profiles", 0, "name")),
        (
            {"profiles": [PROFILE | {"organization": None}]},
            "profiles.0.organization: must be text",
            ("profiles", 0, "organization"),
        ),
        (
            {"profiles": [PROFILE | {"read_only": "sometimes"}]},
            'profiles.0.read_only: must be true or false (a JSON boolean, without quotes), not "sometimes"',
            ("profiles", 0, "read_only"),
        ),
        (
            {"profiles": [PROFILE | {"allowed_actions": "deploy"}]},
            "profiles.0.allowed_actions: must be a list",
            ("profiles", 0, "allowed_actions"),
        ),
        (
            {"profiles": [PROFILE | {"secret_refs": {"oauth": 1}}]},
            "profiles.0.secret_refs.oauth: must be text",
            ("profiles", 0, "secret_refs", "oauth"),
        ),
        ({"profiles": [PROFILE | {"tools": None}]}, "profiles.0.tools: must be an object", ("profiles", 0, "tools")),
        (
            {"profiles": [PROFILE | {"tools": {"mode": "some"}}]},
            "profiles.0.tools.mode: must be one of 'all', 'allow', 'deny'",
            ("profiles", 0, "tools", "mode"),
        ),
        (
            {"profiles": [PROFILE, {"id": "b", "name": "B", "region": "eu", "tools": {"names": ["ok", 3]}}]},
            "profiles.1.tools.names.1: must be text",
            ("profiles", 1, "tools", "names", 1),
        ),
        # the rules' own sentences already name the value: shown as they are
        (
            {"profiles": [PROFILE | {"allowed_actions": ["no spaces"]}]},
            "'no spaces' is not a valid action identifier: Port's identifiers use only letters, digits and "
            "@ _ . + : = -.",
            ("profiles", 0, "allowed_actions"),
        ),
        (
            {"profiles": [PROFILE | {"region": "custom"}]},
            "Profile 'Acme EU' has a custom region but no URL.",
            ("profiles", 0),
        ),
        (
            {"profiles": [PROFILE, PROFILE | {"name": "acme eu", "id": "other"}]},
            "A profile named 'acme eu' already exists.",
            (),
        ),
    ],
)
def test_bad_values_are_refused_naming_the_field(data: dict[str, object], message: str, loc: tuple[object]) -> None:
    with pytest.raises(InvalidSettingsError) as info:
        Settings.model_validate(data)
    assert (info.value.message, info.value.loc) == (message, loc)
    assert isinstance(info.value, SettingsError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"local_port": "8000"}, ("local_port", 8000)),
        ({"local_port": " 8000 "}, ("local_port", 8000)),
        ({"local_port": 8000.0}, ("local_port", 8000)),
        ({"local_port": 1024}, ("local_port", 1024)),
        ({"local_port": 65535}, ("local_port", 65535)),
        ({"require_local_key": False}, ("require_local_key", False)),
        ({"start_at_login": True}, ("start_at_login", True)),
        ({"schema_version": 7}, ("schema_version", 7)),
    ],
)
def test_hand_edited_values_read_as_meant(data: dict[str, object], expected: tuple[str, object]) -> None:
    name, value = expected
    loaded = getattr(Settings.model_validate(data), name)
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"require_local_key": "false"}, '"false"'),  # was read as false: the local key silently off
        ({"require_local_key": "No"}, '"No"'),
        ({"require_local_key": 0}, "0"),
        ({"require_local_key": None}, "null"),
        ({"start_at_login": "true"}, '"true"'),
        ({"start_at_login": 1}, "1"),
        ({"profiles": [PROFILE | {"read_only": "false"}]}, '"false"'),
    ],
)
def test_a_boolean_setting_is_a_json_boolean_and_nothing_else(data: dict[str, object], shown: str) -> None:
    with pytest.raises(InvalidSettingsError) as info:
        Settings.model_validate(data)
    where = ".".join(str(part) for part in info.value.loc)
    assert where in ("require_local_key", "start_at_login", "profiles.0.read_only")
    assert info.value.message == f"{where}: must be true or false (a JSON boolean, without quotes), not {shown}"


def test_set_profile_names_the_bad_part_of_tools(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    with pytest.raises(SettingsError) as info:
        store.set_profile("acme-eu", tools={"mode": "sometimes"})
    assert info.value.message == "tools.mode: must be one of 'all', 'allow', 'deny'"
    with pytest.raises(SettingsError) as info:
        store.set_profile("acme-eu", tools="all")
    assert info.value.message == "tools: must be an object"
    assert store.load().get_profile("acme-eu").tools == ToolExposure()


def test_a_file_with_a_bad_value_is_set_aside_saying_where(
    store: SettingsStore, settings_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings_home.mkdir()
    store.path.write_text(json.dumps({"profiles": [PROFILE | {"tools": {"mode": "some"}}]}))
    assert store.load() == Settings()
    assert "profiles.0.tools.mode: must be one of 'all', 'allow', 'deny'" in caplog.text


# --- profile operations ----------------------------------------------------------------------------------


def test_add_profile(store: SettingsStore) -> None:
    first = store.add_profile("Acme EU", "EU", organization=" acme ")
    assert (first.id, first.region, first.organization, first.auth_mode) == (
        "acme-eu",
        Region.EU,
        "acme",
        AuthMode.OAUTH,
    )
    assert store.load().active_profile == "acme-eu"  # the first profile becomes active
    second = store.add_profile(
        "Acme  EU!",
        "http://127.0.0.1:47780/v1",
        auth_mode="token",
        read_only=True,
        allowed_actions=["a", "b"],
    )
    assert second.id == "acme-eu-2"
    assert second.mcp_url == "http://127.0.0.1:47780/v1"
    assert (second.auth_mode, second.read_only, second.allowed_actions) == (AuthMode.TOKEN, True, ["a", "b"])
    assert store.load().active_profile == "acme-eu"  # not moved without make_active
    third = store.add_profile("Sandbox", "us", allowed_actions=[], make_active=True)
    assert third.allowed_actions == []
    assert store.load().active_profile == "sandbox"


def test_add_profile_rejects_bad_input(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    with pytest.raises(SettingsError) as info:
        store.add_profile("ACME eu", "us")
    assert info.value.message == "A profile named 'ACME eu' already exists."
    with pytest.raises(SettingsError, match="Unknown region 'mars'"):
        store.add_profile("Mars", "mars")
    with pytest.raises(SettingsError, match="Unknown sign-in method 'saml'"):
        store.add_profile("Other", "eu", auth_mode="saml")
    with pytest.raises(SettingsError, match="A profile needs a name"):
        store.add_profile("  ", "eu")
    with pytest.raises(SettingsError, match="not a valid action identifier"):
        store.add_profile("Other", "eu", allowed_actions=["a b"])
    assert [p.id for p in store.load().profiles] == ["acme-eu"]


def test_remove_profile_moves_the_active_profile(store: SettingsStore) -> None:
    for name in ("One", "Two", "Three"):
        store.add_profile(name, "eu")
    store.use_profile("three")
    store.remove_profile("two")  # not active: active unchanged
    assert store.load().active_profile == "three"
    removed = store.remove_profile("Three")
    assert removed.id == "three"
    assert store.load().active_profile == "one"  # first remaining
    store.remove_profile("one")
    loaded = store.load()
    assert loaded.profiles == [] and loaded.active_profile is None
    with pytest.raises(ProfileNotFoundError):
        store.remove_profile("one")


def test_use_profile(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    store.add_profile("Acme US", "us")
    assert store.use_profile("ACME US").id == "acme-us"
    assert store.load().active().name == "Acme US"
    with pytest.raises(ProfileNotFoundError, match="Known profiles: 'Acme EU' \\(acme-eu\\), 'Acme US'"):
        store.use_profile("acme-mars")


def test_set_profile(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    store.add_profile("Acme US", "us")
    renamed = store.set_profile("acme-eu", name="Acme Europe", organization="acme", read_only=True)
    assert (renamed.id, renamed.name, renamed.organization, renamed.read_only) == (
        "acme-eu",
        "Acme Europe",
        "acme",
        True,
    )
    assert store.set_profile("acme-eu", name="ACME EUROPE").name == "ACME EUROPE"  # own name, other case
    with pytest.raises(SettingsError, match="A profile named 'acme us' already exists"):
        store.set_profile("acme-eu", name="acme us")
    custom = store.set_profile("acme-eu", region="https://port.acme.internal/mcp/v1")
    assert (custom.region, custom.base_url) == (Region.CUSTOM, "https://port.acme.internal/mcp/v1")
    back = store.set_profile("acme-eu", region="us")
    assert (back.region, back.base_url) == (Region.US, None)
    assert store.set_profile("acme-eu", allowed_actions=["deploy"]).allowed_actions_header() == "deploy"
    assert store.set_profile("acme-eu", allowed_actions=[]).allowed_actions_header() == ""
    assert store.set_profile("acme-eu", allowed_actions=None).allowed_actions_header() is None
    tools = store.set_profile("acme-eu", tools={"mode": "allow", "names": ["list_entities"]}).tools
    assert tools == ToolExposure(mode="allow", names=["list_entities"])
    assert store.set_profile("acme-eu", auth_mode="TOKEN").auth_mode is AuthMode.TOKEN
    with pytest.raises(SettingsError, match="plain http://"):
        store.set_profile("acme-eu", region="http://example.com/v1")
    with pytest.raises(SettingsError, match="Unknown profile setting"):
        store.set_profile("acme-eu", colour="blue")
    with pytest.raises(SettingsError, match="read_only must be true or false"):
        store.set_profile("acme-eu", read_only="yes")
    with pytest.raises(SettingsError, match="not a valid tool name"):
        store.set_profile("acme-eu", tools={"mode": "deny", "names": ["a b"]})
    with pytest.raises(ProfileNotFoundError):
        store.set_profile("nope", read_only=True)
    assert [p.id for p in store.load().profiles] == ["acme-eu", "acme-us"]


# --- watching --------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Settings] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, settings: Settings) -> None:
        with self.lock:
            self.calls.append(settings)

    def on_error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def names(self) -> list[list[str]]:
        with self.lock:
            return [[p.name for p in s.profiles] for s in self.calls]


def test_watch_sees_changes_from_another_process(store: SettingsStore) -> None:
    store.add_profile("Acme EU", "eu")
    recorder = Recorder()
    watcher = store.watch(recorder, interval=0.05)
    try:
        code = "from bridge.settings import SettingsStore; SettingsStore().add_profile('From Child', 'us')"
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
        wait_until(lambda: ["Acme EU", "From Child"] in recorder.names(), "the watcher saw the child's profile")
    finally:
        watcher.stop()
    assert not watcher.running


def test_watch_sees_own_changes_and_deletion(store: SettingsStore) -> None:
    recorder = Recorder()
    with store.watch(recorder, interval=0.02):
        store.add_profile("Acme EU", "eu")
        wait_until(lambda: ["Acme EU"] in recorder.names(), "the watcher saw the new profile")
        store.path.unlink()
        wait_until(lambda: recorder.calls and recorder.calls[-1] == Settings(), "the watcher saw the deletion")


def test_watch_skips_a_corrupt_file_without_moving_it(store: SettingsStore, settings_home: Path) -> None:
    store.add_profile("Acme EU", "eu")
    recorder = Recorder()
    watcher = store.watch(recorder, interval=0.02, on_error=recorder.on_error)
    try:
        store.path.write_text("{ half-edited by hand")
        wait_until(lambda: recorder.errors, "the watcher reported the unreadable file")
        assert "could not be read" in recorder.errors[0]
        assert recorder.calls == []
        assert corrupt_files(settings_home) == [] and store.path.read_text() == "{ half-edited by hand"
        assert watcher.running
        # fixed by hand: the watcher picks it up again
        fixed = Settings(profiles=[profile("fixed", "Fixed")]).model_dump(mode="json")
        store.path.write_text(json.dumps(fixed) + "\n\n")
        wait_until(lambda: ["Fixed"] in recorder.names(), "the watcher saw the fixed file")
    finally:
        watcher.stop()


def test_watch_survives_a_failing_callback(store: SettingsStore) -> None:
    seen: list[int] = []

    def flaky(settings: Settings) -> None:
        seen.append(settings.local_port)
        if len(seen) == 1:
            raise RuntimeError("callback bug")

    with store.watch(flaky, interval=0.02):
        store.update(lambda s: setattr(s, "local_port", 50001))
        wait_until(lambda: 50001 in seen, "the first change reached the callback")
        store.update(lambda s: setattr(s, "local_port", 50002))
        wait_until(lambda: 50002 in seen, "the second change reached the callback (after it failed once)")


def test_concurrent_updates_from_threads(store: SettingsStore) -> None:
    def add_many(tag: str) -> None:
        own = SettingsStore(store.path) if tag == "b" else store  # same store object and a second one
        for i in range(20):
            own.update(lambda s, i=i: s.profiles.append(profile(f"{tag}-{i}", f"{tag} {i}")))

    threads = [threading.Thread(target=add_many, args=(tag,)) for tag in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(store.load().profiles) == 60


def test_approval_and_activity_settings_are_checked() -> None:
    assert (profile().ask_before, profile().record_arguments) == ("never", False)
    assert profile(ask_before="actions").ask_before == "actions"
    with pytest.raises(InvalidSettingsError, match="ask_before"):
        profile(ask_before="always")
    with pytest.raises(InvalidSettingsError, match="record_arguments"):
        profile(record_arguments="yes")
    assert (Settings().activity_max_mb, Settings().approval_timeout) == (10, 60)
    with pytest.raises(InvalidSettingsError, match="approval_timeout"):
        Settings(approval_timeout=5)
    with pytest.raises(InvalidSettingsError, match="activity_max_mb"):
        Settings(activity_max_mb=0)


def test_set_profile_takes_ask_before_and_record_arguments(store: SettingsStore) -> None:
    """Settings → Profiles saves them through the same edit path as the other fields, checked the same way."""
    store.add_profile("Acme EU", "eu")
    changed = store.set_profile("acme-eu", ask_before="writes", record_arguments=True)
    assert (changed.ask_before, changed.record_arguments) == ("writes", True)
    assert store.load().get_profile("acme-eu").ask_before == "writes"
    with pytest.raises(SettingsError, match="ask_before"):
        store.set_profile("acme-eu", ask_before="always")
    with pytest.raises(SettingsError, match="record_arguments must be true or false"):
        store.set_profile("acme-eu", record_arguments="yes")
    assert store.load().get_profile("acme-eu").ask_before == "writes"  # nothing written by a refused change
