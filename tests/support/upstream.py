"""Raw HTTP/1.1 servers on loopback that answer byte for byte what a test needs: stand-ins for Port (or whatever is
on the way to it) that misbehave in exactly one way."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bridge.proxy import http11

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    @property
    def key(self) -> http11.Key:
        return ("http", "127.0.0.1", self.port)


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None, port: int = 0) -> AsyncIterator[Server]:
    """`handler` answers each connection (on the test's loop); a connection ends when the handler returns. `port`: a
    given one (a server started again where an earlier one was), else a free one."""
    box = Server(0)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        box.connections += 1
        box.writers.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", port, ssl=tls)
    box.port = server.sockets[0].getsockname()[1]
    async with server:
        try:
            yield box
        finally:
            for writer in box.writers:  # handlers still reading see the end, so the server can close
                writer.transport.abort()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request, head and body (by its Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
    return head + (await reader.readexactly(length) if length else b"")
