"""Load: many concurrent client sessions through one bridge, each response reaching its own caller, and a profile
switch in the middle that never lets a session be answered from another organization.

The default run is the fast core (8 sessions x 40 calls); `python3 dev.py soak` runs the issue's 32 x 1,000
(`LOAD_SESSIONS`, `LOAD_CALLS`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from dataclasses import dataclass, field

import httpx2
import pytest

from tests.support.net import wait_until_async
from tests.support.stack import ACCEPT, Stack

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "8"))
CALLS = int(os.environ.get("LOAD_CALLS", "40"))
pytestmark = pytest.mark.timeout(1800)

HELLO = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}}


@dataclass
class Tally:
    ok: int = 0
    restarts: int = 0  # sessions ended by the switch (404) and started again
    orgs: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def _data(response: httpx2.Response) -> dict:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        lines = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        return json.loads(lines[-1])
    return response.json()


async def _session(http: httpx2.AsyncClient, stack: Stack) -> tuple[str, dict[str, str]]:
    headers = stack.headers(**ACCEPT)
    r = await http.post(stack.url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": HELLO},
                        headers=headers)  # fmt: skip
    r.raise_for_status()
    headers = {**headers, "mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    await http.post(stack.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return r.headers["mcp-session-id"], headers


async def _client(n: int, stack: Stack, tally: Tally, halfway: asyncio.Queue[int], switched: asyncio.Event) -> None:
    async with httpx2.AsyncClient(timeout=60) as http:
        session, headers = await _session(http, stack)
        org = None
        for i in range(CALLS):
            if i == CALLS // 2:
                halfway.put_nowait(n)
                if n % 2 == 0:
                    await switched.wait()  # half the clients hold their open session across the switch
            request_id = f"{n}-{i}"
            body = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                    "params": {"name": "describe_user_details", "arguments": {}}}  # fmt: skip
            r = await http.post(stack.url, json=body, headers=headers)
            if r.status_code == 404:  # the profile switch ended this session: start over, as a client must
                tally.restarts += 1
                session, headers = await _session(http, stack)
                org = None
                r = await http.post(stack.url, json=body, headers=headers)
            if r.status_code != 200:
                tally.problems.append(f"{request_id}: HTTP {r.status_code} {r.text[:200]}")
                continue
            answer = _data(r)
            if answer.get("id") != request_id:
                tally.problems.append(f"{request_id}: answer for {answer.get('id')!r} (cross-talk)")
                continue
            if "error" in answer:
                tally.problems.append(f"{request_id}: {answer['error']}")
                continue
            got = json.loads(answer["result"]["content"][0]["text"])["organization"]["name"]
            if org is None:
                org = got
            elif got != org:
                tally.problems.append(f"{request_id}: session {session[:8]} of {org} answered from {got}")
                continue
            tally.ok += 1
            tally.orgs[got] += 1


async def test_concurrent_sessions_and_a_switch_under_load(stack: Stack) -> None:
    tally = Tally()
    halfway: asyncio.Queue[int] = asyncio.Queue()
    switched = asyncio.Event()

    async def switch() -> None:
        for _ in range(SESSIONS):
            await halfway.get()  # the other half keeps sending while the switch happens
        await asyncio.to_thread(stack.store.use_profile, "globex")
        await wait_until_async(lambda: stack.bridge.settings.active_profile == "globex", "the bridge switched")
        switched.set()

    await asyncio.gather(*(_client(n, stack, tally, halfway, switched) for n in range(SESSIONS)), switch())
    assert tally.problems == [], tally.problems[:10]
    assert tally.ok == SESSIONS * CALLS
    assert set(tally.orgs) == {"Acme Corp (demo)", "Globex (demo)"} and tally.restarts >= SESSIONS // 2
