"""`port-mcp-bridge login`, `logout` and `profiles list` as real processes: the browser flow (the user's part played
over HTTP), token mode, and a machine without any keychain."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from bridge.sandbox import Sandbox
from bridge.sandbox.seed import DEMO_CREDENTIALS
from tests.support.browser import ACME_DANA, consent_form
from tests.support.processes import child_env, read_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return child_env(tmp_path, tmp_path / "home")


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def approve(url: str, choice: str = ACME_DANA) -> str:
    form = consent_form(httpx2.get(url).text)
    answer = httpx2.post(url, data={**form, "choice": choice, "decision": "approve"})
    return httpx2.get(answer.headers["location"]).text


def test_login_in_the_browser_then_list_then_logout(sandbox: Sandbox, env: dict[str, str]) -> None:
    assert cli(env, "profiles", "add", "Acme", "--region", sandbox.mcp_url, "--use").returncode == 0
    login = subprocess.Popen([sys.executable, "-m", "bridge", "login", "--no-browser"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        shown = read_until(login, "/authorize?")
        url = re.search(r"(http://\S+/authorize\?\S+)", shown)
        assert url, shown
        assert "You're signed in" in html.unescape(approve(url.group(1)))
        rest, _ = login.communicate(timeout=30)
    finally:
        login.kill()
    assert login.returncode == 0, rest
    assert "Signed in to Acme Corp (demo) as dana@acme.example" in rest

    listed = cli(env, "profiles", "list")
    assert "Acme Corp (demo)" in listed.stdout and "signed in, token until" in listed.stdout
    data = json.loads(cli(env, "profiles", "list", "--json").stdout)["profiles"][0]
    assert data["sign_in"]["state"] == "signed in" and data["sign_in"]["email"] == "dana@acme.example"
    keychain = Path(env["TEST_KEYRING_FILE"]).read_text()
    settings = (Path(env["PORT_MCP_BRIDGE_HOME"]) / "settings.json").read_text()
    assert "eyJ" in keychain and "eyJ" not in settings  # tokens only in the keychain

    out = cli(env, "logout")
    assert out.returncode == 0 and "Signed out of Acme" in out.stdout
    assert json.loads(Path(env["TEST_KEYRING_FILE"]).read_text()) == {}
    assert "not signed in" in cli(env, "profiles", "list").stdout


def test_login_says_at_once_what_ports_sso_error_page_means(sandbox: Sandbox, env: dict[str, str]) -> None:
    """Against an SSO organization Port shows an error page and never redirects: the command says so while it waits,
    with the request for Port support and the API-credentials command, not after five minutes."""
    sandbox.faults.sso_login_error = True
    assert cli(env, "profiles", "add", "Acme", "--region", sandbox.mcp_url, "--use").returncode == 0
    login = subprocess.Popen([sys.executable, "-m", "bridge", "login", "--no-browser"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        shown = read_until(login, "login acme --token")
        url = re.search(r"(http://\S+/authorize\?\S+)", shown)
        assert url, shown
        assert "Oops!, something went wrong" in httpx2.get(url.group(1)).text  # what the browser shows
        assert login.poll() is None  # still waiting
    finally:
        login.kill()
        login.communicate(timeout=30)
    waiting = shown[shown.index("Waiting for the browser…") :]
    assert 'If the browser shows "Oops!, something went wrong"' in waiting and "SSO" in waiting
    assert "Hello Port support" in waiting and f"Region: {sandbox.mcp_url}." in waiting
    assert "With API credentials from the command line: port-mcp-bridge login acme --token" in waiting


def test_token_login_for_ci(sandbox: Sandbox, env: dict[str, str]) -> None:
    assert cli(env, "profiles", "add", "CI", "--region", sandbox.mcp_url).returncode == 0
    secret = DEMO_CREDENTIALS["acme-builder-demo"][0]
    done = cli(env, "login", "--profile", "ci", "--token", "--client-id", "acme-builder-demo",
               "--client-secret-stdin", stdin=secret + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = json.loads(cli(env, "profiles", "list", "--json").stdout)["profiles"][0]
    assert listed["auth_mode"] == "token" and listed["sign_in"]["state"] == "API credentials"
    assert secret not in (Path(env["PORT_MCP_BRIDGE_HOME"]) / "settings.json").read_text()


def test_without_a_keychain_login_refuses_and_writes_nothing(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    assert cli(env, "profiles", "add", "CI", "--region", sandbox.mcp_url).returncode == 0
    secret = DEMO_CREDENTIALS["acme-builder-demo"][0]
    done = cli(env, "login", "--token", "--client-id", "acme-builder-demo", "--client-secret-stdin", stdin=secret)
    assert done.returncode == 1
    assert "No system keychain was found" in done.stderr and "gnome-keyring" in done.stderr
    assert "Traceback" not in done.stderr
    written = "".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    assert secret not in written


def test_removing_a_profile_deletes_its_keychain_entries(sandbox: Sandbox, env: dict[str, str]) -> None:
    assert cli(env, "profiles", "add", "CI", "--region", sandbox.mcp_url).returncode == 0
    secret = DEMO_CREDENTIALS["acme-builder-demo"][0]
    done = cli(env, "login", "--token", "--client-id", "acme-builder-demo", "--client-secret-stdin", stdin=secret)
    assert done.returncode == 0 and secret in Path(env["TEST_KEYRING_FILE"]).read_text()
    assert cli(env, "profiles", "remove", "ci").returncode == 0
    assert json.loads(Path(env["TEST_KEYRING_FILE"]).read_text()) == {}
