"""The opt-in tier against a real Port organization (docs/live-tests.md). Without PORT_CLIENT_ID, PORT_CLIENT_SECRET
and PORT_REGION every test here is skipped at collection with one line saying so, and nothing is contacted.

Port's answers are gathered once per run (`port`), the sandbox's answers to the same calls too (`sandbox_answers`,
with the demo credential of the role Port's list shows), and each test signs in through the facade into this test's
settings folder and keychain (the project's conftest: a temporary PORT_MCP_BRIDGE_HOME and an in-memory keychain).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.live import probe
from tests.live.target import SKIP_REASON, LiveTarget, live_target

if TYPE_CHECKING:
    from bridge.api import BridgeApi

HERE = Path(__file__).resolve().parent
REPORT = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        target = live_target()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if target is not None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(REPORT, None)
    if lines is not None:
        terminalreporter.write_sep("-", "Port compared with the sandbox")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def target() -> LiveTarget:
    found = live_target()
    if found is None:
        pytest.skip(SKIP_REASON)
    return found


@pytest.fixture(scope="session")
def port(target: LiveTarget) -> probe.Answers:
    """Port's answers to the tier's calls, asked directly (not through the bridge)."""

    async def ask() -> probe.Answers:
        token = await probe.machine_token(target.api_url, target.client_id, target.client_secret)
        refused = os.environ.get("PORT_LIVE_REFUSED_ACTION", "").strip() or None
        return await probe.probe(target.mcp_url, token, refused=refused)

    return probe.run(ask())


@dataclass(frozen=True)
class SandboxAnswers:
    answers: probe.Answers
    role: str  # the role Port's list shows the live credential has, whose demo credential answered here


@pytest.fixture(scope="session")
def sandbox_answers(port: probe.Answers) -> Iterator[SandboxAnswers]:
    """The sandbox's answers to the same calls, from its own instance on loopback (the current era)."""
    from bridge.sandbox import Sandbox, SandboxConfig
    from bridge.sandbox.seed import DEMO_CREDENTIALS

    box = Sandbox(config=SandboxConfig(seed=7)).start()
    api_url = f"{box.url}/v1"

    async def token(client_id: str) -> str:
        return await probe.machine_token(api_url, client_id, DEMO_CREDENTIALS[client_id][0])

    async def ask() -> SandboxAnswers:
        builder = await probe.list_tools(box.mcp_url, probe.bearer(await token("acme-builder-demo")))
        developer = await probe.list_tools(box.mcp_url, probe.bearer(await token("acme-developer-demo")))
        role = probe.credential_role(port.names, [t["name"] for t in builder], [t["name"] for t in developer])
        answers = await probe.probe(box.mcp_url, await token(f"acme-{role}-demo"))
        return SandboxAnswers(answers, role)

    try:
        yield probe.run(ask())
    finally:
        box.stop()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> list[str]:
    """Lines for the end-of-run section "Port compared with the sandbox"."""
    return request.config.stash.setdefault(REPORT, [])


@dataclass(frozen=True)
class Bridge:
    """The bridge in this process, its one profile signed in to the target in token mode."""

    api: BridgeApi
    profile: str
    url: str
    headers: dict[str, str] = field(repr=False)  # the local key: never in a failure's report


@pytest.fixture
def bridge(target: LiveTarget) -> Iterator[Bridge]:
    """Token-mode sign-in through the facade (the check Port's token endpoint makes, then the keychain), into this
    test's settings folder, and the bridge started on a free loopback port."""
    from bridge.api import BridgeApi

    api = BridgeApi(port=0)
    try:
        profile = api.add_profile("Live", target.region_text, auth_mode="token", make_active=True)
        api.sign_in_with_token(profile.id, target.client_id, target.client_secret).result(60)
        api.start()
        snapshot = api.snapshot()
        headers = {"Authorization": f"Bearer {api.reveal_local_key()}"} if snapshot.local_key_required else {}
        yield Bridge(api, profile.id, snapshot.mcp_url, headers)
    finally:
        api.stop()
