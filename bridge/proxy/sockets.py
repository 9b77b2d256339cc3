"""Upstream TCP sockets as the bridge opens them: Happy Eyeballs over the resolved addresses, Nagle off (TCP_NODELAY:
a request's head and body leave in one write, and nothing small waits for an ACK: the delayed-ACK stall would cost up
to 40 ms on Linux, 200 ms on macOS and Windows), and TCP keep-alive probes on a silent connection."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import socket
import sys
from asyncio.staggered import staggered_race
from collections.abc import Sequence
from typing import Any

_HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305, as anyio (so httpcore2) does: a dead IPv6 route costs 0.25 s, not a timeout
# TCP keep-alive on upstream connections (`keep_alive`): first probe after this long silent, then every 10 s, 3 tries.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 60, 10, 3


async def open_socket(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    """A connected TCP socket to `host`, trying its addresses Happy-Eyeballs style: uvloop's `create_connection`
    tries them one after another, so a dead IPv6 route (common on VPNs) would cost a whole connect timeout."""
    try:  # an address already (the local bridge, a sandbox): no resolver round trip through a worker thread
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        infos: Sequence[tuple[Any, ...]] = [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
    except ValueError:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    if not infos:
        raise OSError(f"no address for {host}")
    opened: list[socket.socket] = []

    def attempt(info: tuple[Any, ...]) -> Any:
        async def connect() -> socket.socket:
            family, kind, proto, _, address = info
            sock = socket.socket(family, kind, proto)  # EMFILE when out of descriptors: the race collects it
            opened.append(sock)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                keep_alive(sock)
                await loop.sock_connect(sock, address)
            except BaseException:  # failed, or lost the race: cancelled
                sock.close()
                raise
            return sock

        return connect

    winner: socket.socket | None = None
    try:
        winner, _, raised = await staggered_race([attempt(i) for i in interleave(infos)], _HAPPY_EYEBALLS_DELAY)
    finally:
        for sock in opened:  # two attempts may both connect before the race is called: keep only the winner's
            if sock is not winner:
                sock.close()
    if winner is None:  # every attempt failed, each with its exception (whether `socket()` or the connect failed)
        errors = [exc for exc in raised if isinstance(exc, OSError)] or [OSError(f"no connection to {host}:{port}")]
        first = errors[0]  # the errno is kept, so "out of descriptors" (EMFILE) is still recognised as such
        raise first if len(errors) == 1 else OSError(first.errno, f"cannot connect to {host}:{port}: {first}")
    return winner


def keep_alive(sock: socket.socket) -> None:
    """Probe the connection when it has been silent for a minute. A server-to-client stream may carry nothing for
    hours: without probes, a connection that died meanwhile (the laptop slept, the VPN reconnected, a NAT or firewall
    forgot it) would be waited on forever, its client never told; and NATs drop connections idle for a few minutes,
    which the probes also prevent. A dead one now ends within ~90 s, and the client opens its stream again."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    # macOS calls the idle time TCP_KEEPALIVE (0x10 in its headers; Python names it from 3.10 on)
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(
        socket, "TCP_KEEPALIVE", 0x10 if sys.platform == "darwin" else None
    )
    options = (
        (idle, KEEPALIVE_IDLE),
        (getattr(socket, "TCP_KEEPINTVL", None), KEEPALIVE_INTERVAL),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_COUNT),
    )
    for option, value in options:
        if option is not None:
            with contextlib.suppress(OSError):  # an older Windows refuses some: the system's defaults then
                sock.setsockopt(socket.IPPROTO_TCP, option, value)


def interleave(infos: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Addresses alternating between families, first family first (RFC 8305 §4), as asyncio does."""
    by_family: dict[int, collections.deque[tuple[Any, ...]]] = {}
    for info in infos:
        by_family.setdefault(info[0], collections.deque()).append(info)
    queues = list(by_family.values())
    out: list[tuple[Any, ...]] = []
    while queues:
        for queue in list(queues):
            out.append(queue.popleft())
            if not queue:
                queues.remove(queue)
    return out
