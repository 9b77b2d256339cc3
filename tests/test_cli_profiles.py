"""`port-mcp-bridge profiles ...` through click's test runner, against a settings file in a temp directory."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge import __version__
from bridge.cli import cli
from bridge.settings import AuthMode, Region, SettingsStore, ToolExposure


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="port-mcp-bridge")


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def test_version_and_help() -> None:
    result = ok("--version")
    assert result.output.strip() == f"port-mcp-bridge, version {__version__}"
    assert "profiles" in ok("--help").output
    help_text = ok("profiles", "--help").output
    for command in ("list", "add", "remove", "use", "set"):
        assert command in help_text
    add_help = ok("profiles", "add", "--help").output
    assert "--region eu|us|URL" in add_help and "Examples:" in add_help
    assert "--tools-deny" in ok("profiles", "set", "-h").output


def test_list_empty(settings_home: Path) -> None:
    result = ok("profiles", "list")
    assert "No profiles yet" in result.output
    assert json.loads(ok("profiles", "list", "--json").stdout) == {"active_profile": None, "profiles": []}
    assert not settings_home.exists()  # listing writes nothing


def test_add_and_list(settings_home: Path) -> None:
    result = ok("profiles", "add", "Acme EU", "--region", "eu", "--org", "acme")
    assert result.output == "Added profile 'Acme EU' (acme-eu), now active.\n"
    result = ok(
        "profiles",
        "add",
        "Sandbox",
        "--region",
        "http://127.0.0.1:47780/v1",
        "--auth",
        "token",
        "--read-only",
        "--allowed-actions",
        "deploy, rollback",
    )
    assert result.output == (
        "Added profile 'Sandbox' (sandbox). Switch to it with: port-mcp-bridge profiles use sandbox\n"
    )
    ok("profiles", "add", "Acme US", "--region", "US", "--no-actions", "--use")

    lines = ok("profiles", "list").output.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ORGANIZATION", "REGION", "AUTH", "SIGN-IN", "READ-ONLY", "ACTIONS"]
    assert lines[1].split() == ["acme-eu", "Acme", "EU", "acme", "eu", "oauth", "not", "signed", "in", "no", "all"]
    assert lines[2].split() == [
        "sandbox",
        "Sandbox",
        "-",
        "http://127.0.0.1:47780/v1",
        "token",
        "not",
        "signed",
        "in",
        "yes",
        "deploy,rollback",
    ]
    assert lines[3].split() == ["*", "acme-us", "Acme", "US", "-", "us", "oauth", "not", "signed", "in", "no", "none"]

    data = json.loads(ok("profiles", "list", "--json").stdout)
    assert data["active_profile"] == "acme-us"
    by_id = {p["id"]: p for p in data["profiles"]}
    assert by_id["sandbox"]["mcp_url"] == "http://127.0.0.1:47780/v1"
    assert by_id["sandbox"]["api_url"] == "http://127.0.0.1:47780/v1"
    assert by_id["sandbox"]["allowed_actions"] == ["deploy", "rollback"]
    assert by_id["acme-us"]["allowed_actions"] == [] and by_id["acme-us"]["active"] is True
    assert by_id["acme-eu"]["mcp_url"] == "https://mcp.port.io/v1" and by_id["acme-eu"]["active"] is False
    assert by_id["acme-eu"]["sign_in"] == {"state": "not signed in", "expires_at": None, "email": None}


def test_add_errors(settings_home: Path) -> None:
    result = run("profiles", "add", "X", "--region", "xx")
    assert result.exit_code == 1
    assert result.output == (
        "Error: Invalid setting: Unknown region 'xx'. Use eu, us, or the URL of a Port MCP endpoint such as "
        "http://127.0.0.1:47780/v1.\n"
    )
    ok("profiles", "add", "Acme EU", "--region", "eu")
    result = run("profiles", "add", "acme eu", "--region", "us")
    assert result.exit_code == 1
    assert "A profile named 'acme eu' already exists." in result.output
    result = run("profiles", "add", "Remote", "--region", "http://mcp.example.com/v1")
    assert result.exit_code == 1 and "plain http://" in result.output
    result = run("profiles", "add", "Y", "--region", "eu", "--allowed-actions", "a", "--no-actions")
    assert result.exit_code == 2
    assert "--allowed-actions and --no-actions cannot be used together" in result.output
    result = run("profiles", "add", "Y", "--region", "eu", "--allowed-actions", " , ")
    assert result.exit_code == 2 and "use --no-actions" in result.output
    result = run("profiles", "add", "Y", "--region", "eu", "--allowed-actions", "rm -rf")
    assert result.exit_code == 1 and "'rm -rf' is not a valid action identifier" in result.output
    assert run("profiles", "add", "Y").exit_code == 2  # --region is required
    assert [p.id for p in SettingsStore().load().profiles] == ["acme-eu"]


def test_use_and_remove(settings_home: Path) -> None:
    for name in ("One", "Two", "Three"):
        ok("profiles", "add", name, "--region", "eu")
    assert ok("profiles", "use", "three").output == "Now using profile 'Three' (three).\n"
    assert SettingsStore().load().active_profile == "three"
    assert ok("profiles", "remove", "Two").output == "Removed profile 'Two' (two). Active profile: 'Three' (three).\n"
    assert ok("profiles", "remove", "three").output == "Removed profile 'Three' (three). Active profile: 'One' (one).\n"
    assert ok("profiles", "remove", "one").output == "Removed profile 'One' (one). No profile is active now.\n"


def test_unknown_profile(settings_home: Path) -> None:
    ok("profiles", "add", "Acme EU", "--region", "eu")
    for command in (("use", "nope"), ("remove", "nope"), ("set", "nope", "--read-only")):
        result = run("profiles", *command)
        assert result.exit_code == 1
        assert result.output == "Error: No such profile: No profile 'nope'. Known profiles: 'Acme EU' (acme-eu).\n"
        assert "Traceback" not in result.output


def test_set(settings_home: Path) -> None:
    ok("profiles", "add", "Acme EU", "--region", "eu")
    ok("profiles", "add", "Acme US", "--region", "us")
    result = ok("profiles", "set", "acme-eu", "--name", "Acme Europe", "--org", "acme", "--read-only", "--no-actions")
    assert result.output == (
        "Updated profile 'Acme Europe' (acme-eu): name 'Acme Europe', organization 'acme', read-only, actions none.\n"
    )
    refused = run("profiles", "set", "Acme Europe", "--region", "https://port.acme.internal/mcp/v1", "--auth", "token")
    assert refused.exit_code == 1 and "Give the profile its API URL" in refused.output
    ok("profiles", "set", "Acme Europe", "--region", "https://port.acme.internal/mcp/v1", "--auth", "token",
       "--api-url", "https://port.acme.internal/api/v1")  # fmt: skip
    ok("profiles", "set", "acme-eu", "--tools-deny", "delete_entity,delete_blueprint")
    profile = SettingsStore().load().get_profile("acme-eu")
    assert profile.name == "Acme Europe" and profile.organization == "acme"
    assert profile.read_only is True and profile.allowed_actions == []
    assert (profile.region, profile.base_url) == (Region.CUSTOM, "https://port.acme.internal/mcp/v1")
    assert profile.auth_mode is AuthMode.TOKEN and profile.api_url == "https://port.acme.internal/api/v1"
    assert profile.tools == ToolExposure(mode="deny", names=["delete_entity", "delete_blueprint"])

    ok(
        "profiles",
        "set",
        "acme-eu",
        "--read-write",
        "--allowed-actions",
        "deploy",
        "--tools-allow",
        "list_entities",
    )
    profile = SettingsStore().load().get_profile("acme-eu")
    assert profile.read_only is False and profile.allowed_actions == ["deploy"]
    assert profile.tools == ToolExposure(mode="allow", names=["list_entities"])
    result = ok("profiles", "set", "acme-eu", "--all-actions", "--all-tools", "--region", "eu")
    assert result.output == "Updated profile 'Acme Europe' (acme-eu): region eu, actions all, tools all.\n"
    profile = SettingsStore().load().get_profile("acme-eu")
    assert (profile.allowed_actions, profile.tools.mode, profile.base_url) == (None, "all", None)
    assert (profile.api_base_url, profile.api_url) == (None, "https://api.port.io/v1")  # the region's own


def test_add_with_a_pasted_port_address(settings_home: Path) -> None:
    """The web app's address (what people see in the browser) is understood as its region, and said so."""
    result = ok("profiles", "add", "Acme", "--region", "https://app.us.port.io/organization/catalog")
    assert "This is Port's US web app address (app.us.port.io); the bridge will use https://mcp.us.port.io/v1." in (
        result.output
    )
    ok("profiles", "add", "Globex", "--region", "api.getport.io", "--auth", "token")
    acme, globex = SettingsStore().load().profiles
    assert (acme.region, acme.base_url, acme.mcp_url) == (Region.US, None, "https://mcp.us.port.io/v1")
    assert (globex.region, globex.api_url) == (Region.EU, "https://api.port.io/v1")
    result = run("profiles", "add", "X", "--region", "eu", "--api-url", "https://api.example.com/v1")
    assert result.exit_code == 1 and "only for a custom MCP URL" in result.output


def test_token_mode_on_a_custom_url_asks_for_the_api_url(settings_home: Path) -> None:
    result = run("profiles", "add", "Lab", "--region", "https://mcp.lab.dev/v1", "--auth", "token")
    assert result.exit_code == 1 and "will not guess where to send the credentials" in result.output
    assert "Give the profile its API URL" in result.output
    ok("profiles", "add", "Lab", "--region", "https://mcp.lab.dev/v1")  # browser sign-in needs none
    ok("profiles", "add", "Lab CI", "--region", "https://mcp.lab.dev/v1", "--auth", "token",
       "--api-url", "https://api.lab.dev")  # fmt: skip
    ok("profiles", "add", "Sandbox", "--region", "http://127.0.0.1:47780/v1", "--auth", "token")
    by_id = {p["id"]: p for p in json.loads(ok("profiles", "list", "--json").stdout)["profiles"]}
    assert by_id["lab"]["api_url"] is None
    assert (by_id["lab-ci"]["api_base_url"], by_id["lab-ci"]["api_url"]) == ("https://api.lab.dev/v1",) * 2
    assert by_id["sandbox"]["api_url"] == "http://127.0.0.1:47780/v1"  # the sandbox serves both
    result = run("profiles", "set", "lab-ci", "--api-url", "")
    assert result.exit_code == 1 and "Give the profile its API URL" in result.output  # token mode still needs it
    result = ok("profiles", "set", "lab-ci", "--api-url", "", "--auth", "oauth")
    assert "API URL (none)" in result.output


def test_set_errors(settings_home: Path) -> None:
    ok("profiles", "add", "Acme EU", "--region", "eu")
    ok("profiles", "add", "Acme US", "--region", "us")
    result = run("profiles", "set", "acme-eu")
    assert result.exit_code == 2 and "Nothing to change" in result.output
    result = run("profiles", "set", "acme-eu", "--all-actions", "--no-actions")
    assert result.exit_code == 2 and "--all-actions and --no-actions cannot be used together" in result.output
    result = run("profiles", "set", "acme-eu", "--tools-allow", "a", "--tools-deny", "b")
    assert result.exit_code == 2 and "--tools-allow and --tools-deny cannot be used together" in result.output
    result = run("profiles", "set", "acme-eu", "--name", "ACME US")
    assert result.exit_code == 1 and "A profile named 'ACME US' already exists." in result.output
    result = run("profiles", "set", "acme-eu", "--region", "mars")
    assert result.exit_code == 1 and "Unknown region 'mars'" in result.output
    result = run("profiles", "set", "acme-eu", "--auth", "saml")
    assert result.exit_code == 2


def test_list_reports_a_recovered_file(settings_home: Path) -> None:
    settings_home.mkdir()
    (settings_home / "settings.json").write_text("{ not json")
    result = ok("profiles", "list")
    assert "could not be read and was kept at" in result.stderr
    assert "No profiles yet" in result.stdout
    assert [p.name for p in settings_home.iterdir() if ".corrupt-" in p.name]


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """`folder` refuses new files: mode 0555, and for root (whom modes do not stop) the immutable attribute."""
    folder.chmod(0o555)
    immutable = False
    try:
        if os.access(folder, os.W_OK):  # root
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
            if not immutable:
                pytest.skip("cannot make a folder read-only here (root, and no chattr)")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_settings_folder_is_a_clear_error_not_a_traceback(settings_home: Path) -> None:
    settings_home.mkdir()
    store = SettingsStore()
    store.path.write_text("{broken")
    with read_only_folder(settings_home):  # no lock file yet: it cannot be made
        listed = run("profiles", "list")  # a damaged file it cannot set aside: defaults, and it says so
        result = run("profiles", "add", "Acme", "--region", "eu")
    assert listed.exit_code == 0 and "No profiles yet" in listed.output, listed.exception
    assert store.path.read_text() == "{broken"  # left where it is
    assert result.exit_code == 1 and not isinstance(result.exception, PermissionError), result.exception
    assert result.output.startswith(f"Error: Settings not saved: Port MCP Bridge cannot write its settings in "
                                    f"{settings_home}") and "Make that folder writable" in result.output  # fmt: skip
    store.path.write_text("{}")
    ok("profiles", "add", "Acme", "--region", "eu")  # now the lock file exists: the new file cannot be made
    with read_only_folder(settings_home):
        result = run("profiles", "add", "Globex", "--region", "us")
        assert result.exit_code == 1 and "Error: Settings not saved:" in result.output, result.exception
        assert [p.id for p in store.load().profiles] == ["acme"]  # nothing changed


def test_ask_before_and_record_arguments(settings_home: Path) -> None:
    ok("profiles", "add", "Prod", "--region", "eu", "--ask-before", "actions")
    assert SettingsStore().load().get_profile("prod").ask_before == "actions"
    result = ok("profiles", "set", "prod", "--ask-before", "writes", "--record-arguments")
    assert result.output == "Updated profile 'Prod' (prod): ask before writes, arguments recorded.\n"
    profile = SettingsStore().load().get_profile("prod")
    assert (profile.ask_before, profile.record_arguments) == ("writes", True)
    ok("profiles", "set", "prod", "--ask-before", "never", "--no-record-arguments")
    profile = SettingsStore().load().get_profile("prod")
    assert (profile.ask_before, profile.record_arguments) == ("never", False)
    assert run("profiles", "set", "prod", "--ask-before", "always").exit_code == 2  # not a choice
