"""When the OS has no file descriptor left for a connection to Port (EMFILE for the process, ENFILE for the system):
the upstream client raises the OS's own error (it raised an IndexError that became an HTTP 500 with a traceback), and
each request gets a JSON-RPC error that says the computer is out of connections, logged in one line; the next request
after descriptors are free again works."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import types

import httpcore2
import httpx2
import pytest

from bridge.proxy import http11, sockets
from bridge.system.descriptors import out_of_descriptors
from tests.support.stack import ACCEPT, Stack

HELLO = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "emfile", "version": "1"}}


def no_sockets(monkeypatch: pytest.MonkeyPatch, code: int = errno.EMFILE) -> None:
    """http11 as it is when every descriptor is taken: `socket.socket()` fails (the rest of the module is real)."""

    def refuse(*args: object) -> socket.socket:
        raise OSError(code, "Too many open files")

    monkeypatch.setattr(sockets, "socket", types.SimpleNamespace(**{**vars(socket), "socket": refuse}))


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE])
async def test_a_socket_the_os_cannot_create_is_its_own_error(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    no_sockets(monkeypatch, code)
    loop = asyncio.get_running_loop()
    with pytest.raises(OSError) as raised:  # was IndexError: the error was raised outside what collected errors
        await sockets.open_socket(loop, "127.0.0.1", 9)
    assert raised.value.errno == code
    pool = http11.Pool(None)
    with pytest.raises(httpcore2.ConnectError) as connect:
        await pool.request(("http", "127.0.0.1", 9), b"GET / HTTP/1.1\r\n\r\n", b"", connect_timeout=5, read_timeout=5)
    assert out_of_descriptors(connect.value)
    await pool.aclose()


async def test_out_of_descriptors_across_several_addresses_keeps_the_errno(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sockets(monkeypatch)
    loop = asyncio.get_running_loop()
    infos = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 9, 0, 0)),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 9))]  # fmt: skip

    async def resolve(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return infos

    monkeypatch.setattr(loop, "getaddrinfo", resolve)
    with pytest.raises(OSError) as raised:
        await sockets.open_socket(loop, "port.example", 9)
    assert raised.value.errno == errno.EMFILE


def test_the_ide_is_told_the_computer_is_out_of_connections_and_the_next_request_works(
    rig: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def initialize() -> httpx2.Response:
        body = {"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": HELLO}
        return httpx2.post(rig.url, json=body, headers=rig.headers(**ACCEPT), timeout=30)

    async def cold() -> None:  # no warm connection to use: the request needs a socket of its own
        rig.bridge._warming = False
        warm, rig.bridge.warm = rig.bridge.warm, None
        if warm is not None:
            warm.stop()
            for conn in warm.pool.idle(warm.key):
                conn.close()

    rig.bridge.submit(cold()).result(10)
    no_sockets(monkeypatch)
    with caplog.at_level(logging.WARNING):
        answer = initialize()
    assert answer.status_code == 200
    error = answer.json()
    assert error["id"] == 7
    assert error["error"]["code"] == -32012
    assert "out of connections" in error["error"]["message"]
    assert error["error"]["data"]["state"] == "out_of_descriptors"
    lines = [r for r in caplog.records if "out of file descriptors" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None  # one line, no traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no "Exception in ASGI application"
    monkeypatch.undo()
    again = initialize()  # recovered at once
    assert again.status_code == 200 and '"result"' in again.text and '"error"' not in again.text
