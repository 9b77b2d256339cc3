"""Warm connections (`bridge/proxy/warm.py`): the active profile's Port kept connected and verified, counted at the
server's side of real sockets. No timing here: what is asserted is which connections exist and what went on them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx2

from bridge.auth.tokens import StaticTokenProvider
from bridge.proxy.service import BridgeService
from bridge.proxy.warm import Warm
from bridge.settings import SettingsStore
from tests.support.net import wait_until_async
from tests.support.stack import ACCEPT
from tests.support.upstream import Server, read_request, serving

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Recorder:
    """A server's handler that answers every request 200 `{}` on a kept-alive connection and records each request."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.on: list[asyncio.StreamWriter] = []  # the connection each request came on

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            self.requests.append(request)
            self.on.append(writer)
            writer.write(OK)
            await writer.drain()


def bridge_to(*ports: int) -> tuple[BridgeService, SettingsStore]:
    """A started bridge (warming on, local key "k") with a token-mode profile per port, the first one active."""
    store = SettingsStore()
    for i, port in enumerate(ports):
        store.add_profile(f"P{i}", f"http://127.0.0.1:{port}/v1", auth_mode="token", make_active=i == 0)
    bridge = BridgeService(store, port=0, tokens=lambda p: StaticTokenProvider("secret-token"), key="k").start()
    return bridge, store


async def stop(bridge: BridgeService, *servers: Server) -> None:
    """Stop the bridge, then let each server take in and see the end of every connection the keeper opened (one
    accepted after the test's server closed would be left to the garbage collector)."""
    warm = bridge.warm
    bridge.stop()
    if warm is not None:
        await wait_until_async(lambda: sum(s.connections for s in servers) >= warm.opened and all(
            w.is_closing() for s in servers for w in s.writers), "the servers saw every connection end")  # fmt: skip


@contextlib.asynccontextmanager
async def warmed(server: Server) -> AsyncIterator[tuple[BridgeService, Warm]]:
    """A bridge to `server` once its two warm connections are open, stopped (and every connection seen to end) after."""
    bridge, _ = bridge_to(server.port)
    try:
        await wait_until_async(lambda: len(kept(bridge, server)) == 2, "two warm connections")
        assert bridge.warm is not None
        yield bridge, bridge.warm
    finally:
        await stop(bridge, server)


def kept(bridge: BridgeService, server: Server) -> list[socket.socket]:
    """The sockets of the bridge's idle connections to `server` (read from the test's thread: a snapshot)."""
    warm = bridge.warm
    if warm is None or warm.key != server.key:
        return []
    return [c.transport.get_extra_info("socket") for c in warm.pool.idle(server.key) if c.transport and not c.closed]


async def test_the_active_profiles_port_is_connected_at_start_with_nothing_of_the_user() -> None:
    recorder = Recorder()
    async with serving(recorder) as server:
        bridge, _ = bridge_to(server.port)
        try:
            await wait_until_async(lambda: server.connections >= 2 and len(recorder.requests) >= 2,
                                   "two warm connections, verified")  # fmt: skip
            for request in recorder.requests:  # public metadata, no token, no client's header
                assert request.startswith(b"GET /.well-known/oauth-protected-resource/v1 HTTP/1.1\r\n")
                assert b"authorization" not in request.lower() and b"secret-token" not in request
            # a client's request then goes out on one of them: no new connection
            answer = await asyncio.to_thread(httpx2.post, f"{bridge.url}/mcp", headers={"Authorization": "Bearer k",
                                             **ACCEPT}, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})  # fmt: skip
            assert answer.status_code == 200
            # ... on a connection opened and verified before (a new one may have been opened since: the keeper tops up)
            sent = next(i for i, r in enumerate(recorder.requests) if b"authorization: Bearer secret-token" in r)
            assert recorder.on[sent] in recorder.on[:2]
        finally:
            await stop(bridge, server)


async def test_upstream_sockets_have_nagle_off() -> None:
    """TCP_NODELAY: a request's last segment never waits for the server's delayed ACK of the one before."""
    async with serving(Recorder()) as server, warmed(server) as (bridge, _):
        for sock in kept(bridge, server):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_a_profile_switch_moves_the_warm_connections_to_the_new_port() -> None:
    async with serving(Recorder()) as first, serving(Recorder()) as second:
        bridge, store = bridge_to(first.port, second.port)
        try:
            await wait_until_async(lambda: len(kept(bridge, first)) == 2, "warm connections to the first profile")
            assert second.connections == 0
            other = next(p.id for p in store.load().profiles if p.name == "P1")
            store.use_profile(other)
            await wait_until_async(lambda: second.connections >= 2 and len(kept(bridge, second)) == 2,
                                   "warm connections to the profile switched to")  # fmt: skip
            assert kept(bridge, first) == []  # the keeper follows the active profile only
        finally:
            await stop(bridge, first, second)


async def test_a_warm_connection_the_server_closed_is_replaced_before_a_client_needs_it() -> None:
    closing = asyncio.Event()

    async def answer_then_close_when_told(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        if server.connections <= 2:  # the first two: closed while idle, as a server's keep-alive timeout would
            await closing.wait()
            return
        await Recorder()(reader, writer)

    async with serving(answer_then_close_when_told) as server, warmed(server) as (bridge, warm):
        closing.set()
        await wait_until_async(lambda: server.connections == 4 and len(kept(bridge, server)) == 2,
                               "both replaced by new, verified ones")  # fmt: skip
        assert warm.every < 20  # and it learned the server's timeout


async def test_idle_connections_are_dropped_after_a_sleep() -> None:
    """The wall clock ran on while the monotonic clock stood still: the connections are likely dead, new ones open."""
    async with serving(Recorder()) as server, warmed(server) as (bridge, warm):
        for conn in warm.pool.idle(server.key):
            conn.idle_wall -= 3600  # as if the laptop had slept an hour since they were verified

        async def take() -> object:  # on the bridge's loop, where the pool lives
            return warm.pool._take(server.key)

        assert await asyncio.wrap_future(bridge.submit(take())) is None  # never handed to a request: closed
        await wait_until_async(lambda: server.connections >= 4 and len(kept(bridge, server)) == 2,
                               "new connections opened")  # fmt: skip


async def test_idle_connections_are_dropped_after_a_network_change() -> None:
    """The route to the server now leaves from another local address (Wi-Fi to wired, a VPN came up): the idle
    connections left from the old one are closed and new ones opened. The kernel's routing table is really asked
    (for 127.0.0.1 it answers 127.0.0.1); the address the keeper remembered stands for the old network's."""
    async with serving(Recorder()) as server, warmed(server) as (bridge, warm):
        before = set(kept(bridge, server))
        assert warm._route == "127.0.0.1"

        async def moved() -> None:  # on the bridge's loop, where the keeper lives
            warm._route = "192.0.2.10"  # as if they had been opened on another network
            warm._looked = 0.0  # and the keeper's next look were due (it looks every LOOK seconds)
            warm._wake.set()

        await asyncio.wrap_future(bridge.submit(moved()))
        await wait_until_async(lambda: server.connections >= 4 and len(kept(bridge, server)) == 2
                               and not before & set(kept(bridge, server)), "new connections opened")  # fmt: skip
        assert warm._route == "127.0.0.1"  # what the kernel says now


async def test_a_run_of_calls_does_not_wake_the_keeper_for_each_call() -> None:
    """Each call takes the idle connection and gives it back; with one still idle the keeper has nothing to do until
    the run settles, so it is not woken (nor the routing table asked) once a call: that was ~0.1 ms of CPU a call."""
    recorder = Recorder()
    async with serving(recorder) as server, warmed(server) as (bridge, warm):
        before, sent = warm.rounds, len(recorder.requests)
        with httpx2.Client(headers={"Authorization": "Bearer k", **ACCEPT}) as client:
            for i in range(20):
                ping = {"jsonrpc": "2.0", "id": i, "method": "ping"}
                assert (await asyncio.to_thread(client.post, f"{bridge.url}/mcp", json=ping)).status_code == 200
        assert len(recorder.requests) - sent >= 20  # the calls went to the server (and whatever the keeper verified)
        assert warm.rounds - before < 10  # about one a second in a run of calls; it was one a call


async def test_connections_left_by_a_burst_are_not_kept_warm_forever() -> None:
    async with serving(Recorder()) as server, warmed(server) as (bridge, warm):

        async def burst() -> None:  # four requests at once on the bridge's loop: two more connections
            conns = [warm.pool.claim(c) and c for c in warm.pool.idle(server.key)]
            conns += [await warm.pool.open(server.key, 5) for _ in range(2)]
            for conn in conns:
                assert conn
                await (await warm.pool.exchange(conn, warm._head, b"", 5)).aclose()
            for conn in warm.pool.idle(server.key):
                conn.idle_since -= 3600  # all due for verification
            warm._wake.set()

        await asyncio.wrap_future(bridge.submit(burst()))
        await wait_until_async(lambda: len(kept(bridge, server)) == 2 and all(
            c.idle_since > 0 for c in warm.pool.idle(server.key)), "back to two, verified")  # fmt: skip
