"""A Port-like network on loopback for `network_bench.py`: a userland TCP relay that delays every chunk by half the
round trip in each direction (the run's CA and server certificate come from tests/support/certs.py).

    client ──TCP──▶ relay (RTT/2 each way, counts connections, restarts) ──TCP──▶ sandbox over TLS (60 s keep-alive)

The relay makes a connection cost what it costs over the internet: a client's first bytes reach the server one RTT
after it connected (the SYN / SYN-ACK exchange) plus half an RTT, so TCP and each TLS flight pay their round trips;
chunks keep their order and are not held behind each other (a window of data in flight, as on a real path). A server's
close (its keep-alive timeout) reaches the client half an RTT later too. `restart` resets every connection and listens
again on the same port: what a client's connections see after a Wi-Fi change or a laptop's sleep.

The relay is a child process (`portnet.py --rtt MS --target HOST:PORT`), announcing its port and a control port on
stdout as one JSON line; the control port takes one line, `count` (connections accepted so far) or `restart`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import socket
import struct
from typing import Any

# --- the relay (child process) -------------------------------------------------------------------------------------


class _Delayed:
    """One direction of a relayed connection: chunks written to `out` `delay` seconds after they arrived, in order,
    none earlier than `not_before` (a new connection's handshake)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float, not_before: float) -> None:
        self.loop, self.delay, self.not_before = loop, delay, not_before
        self.out: asyncio.Transport | None = None
        self.queue: collections.deque[tuple[float, bytes | None]] = collections.deque()
        self.timer: asyncio.TimerHandle | None = None

    def push(self, chunk: bytes | None) -> None:  # None: the end (close after what came before)
        self.queue.append((max(self.loop.time() + self.delay, self.not_before), chunk))
        if self.timer is None:
            self._arm()

    def _arm(self) -> None:
        self.timer = self.loop.call_at(self.queue[0][0], self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        if self.out is None:  # the relay's own connection to the server is not made yet: a moment later
            self.timer = self.loop.call_later(0.001, self._flush)
            return
        while self.queue and self.queue[0][0] <= now:
            _, chunk = self.queue.popleft()
            if self.out.is_closing():
                continue
            if chunk is None:
                self.out.close()
            else:
                self.out.write(chunk)
        if self.queue:
            self._arm()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.queue.clear()


class _Side(asyncio.Protocol):
    def __init__(self, forward: _Delayed, link: _Link) -> None:
        self.forward, self.link = forward, link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.forward.push(data)

    def eof_received(self) -> bool:
        self.forward.push(None)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.forward.push(None)
        self.link.lost()


class _Link:
    """A client's connection to the relay and the relay's to the server."""

    def __init__(self, relay: Relay, client: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        # client -> server: the first bytes a client sends arrive one RTT (SYN, SYN-ACK) and a half after it connected
        self.up = _Delayed(loop, relay.half, now + 3 * relay.half)
        self.down = _Delayed(loop, relay.half, now)
        self.relay, self.client_sock = relay, client
        self.sides: list[_Side] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        client = _Side(self.up, self)
        server = _Side(self.down, self)
        self.sides = [client, server]
        ct, _ = await loop.connect_accepted_socket(lambda: client, self.client_sock)
        try:
            st, _ = await loop.create_connection(lambda: server, *self.relay.target)
        except OSError:
            self.up.cancel()
            ct.abort()
            return
        self.down.out, self.up.out = ct, st  # type: ignore[assignment]

    def lost(self) -> None:
        if all(side.transport is None or side.transport.is_closing() for side in self.sides):
            self.relay.links.discard(self)

    def reset(self) -> None:
        """Both ends reset at once (RST, not FIN): a network that changed under the connection."""
        self.up.cancel()
        self.down.cancel()
        for side in self.sides:
            transport = side.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()


class Relay:
    def __init__(self, rtt_ms: float, target: tuple[str, int]) -> None:
        self.half = rtt_ms / 2000
        self.target = target
        self.accepted = 0
        self.links: set[_Link] = set()
        self.sock: socket.socket | None = None
        self.port = 0
        self._accepting: asyncio.Task[None] | None = None

    def listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.sock, self.port = sock, sock.getsockname()[1]
        self._accepting = asyncio.get_running_loop().create_task(self._accept(sock))

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            client, _ = await loop.sock_accept(sock)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.accepted += 1
            link = _Link(self, client)
            self.links.add(link)
            link.task = loop.create_task(link.start())

    def restart(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        if self.sock is not None:
            self.sock.close()
        for link in list(self.links):
            link.reset()
        self.links.clear()
        self.listen()


async def _serve(rtt_ms: float, target: tuple[str, int]) -> None:
    relay = Relay(rtt_ms, target)
    relay.listen()

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).strip()
        if line == b"restart":
            relay.restart()
        writer.write(json.dumps({"accepted": relay.accepted}).encode() + b"\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(control, "127.0.0.1", 0)
    print(json.dumps({"port": relay.port, "control": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.Event().wait()


def ask(control_port: int, command: str) -> int:
    """Send the relay a `count` or `restart`; returns the connections it has accepted so far."""
    with socket.create_connection(("127.0.0.1", control_port)) as sock:
        sock.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            more = sock.recv(4096)
            if not more:
                break
            data += more
    answer: dict[str, Any] = json.loads(data)
    return int(answer["accepted"])


def main() -> None:
    parser = argparse.ArgumentParser(description="A TCP relay delaying each chunk by RTT/2 per direction.")
    parser.add_argument("--rtt", type=float, required=True, help="round trip in ms")
    parser.add_argument("--target", required=True, help="HOST:PORT")
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(_serve(args.rtt, (host, int(port))))


if __name__ == "__main__":
    main()
