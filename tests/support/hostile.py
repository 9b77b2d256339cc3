"""A hostile local client over a real socket: a request head that never ends, sent piece by piece."""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from dataclasses import dataclass

PIECE = 4096
ANSWER_WAIT = 0.005  # after each piece, how long to look for the server's answer before sending the next one


@dataclass
class Outcome:
    sent: int  # bytes the client got into the connection before the server answered or cut it
    answer: bytes  # everything the server sent before closing
    closed: bool  # the server closed the connection (EOF or reset)

    @property
    def status(self) -> int | None:
        parts = self.answer.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/1.") else None


def stream_head(
    port: int,
    first: bytes,
    filler: Callable[[int], bytes],
    *,
    total: int,
    after: Callable[[int], None] | None = None,
    timeout: float = 15.0,
) -> Outcome:
    """Send `first`, then `filler(PIECE)` piece by piece (a slow stream: each piece waits briefly for an answer) until
    the server answers or cuts the connection, or `total` bytes are sent; then read what the server says until it
    closes (at most `timeout` s). `after(sent)` is called after each piece (a test's hook: do something meanwhile)."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIECE)  # little in the kernel's buffers: sent ~ read
    sent, answer, closed = 0, b"", False
    try:
        conn.sendall(first)
        sent = len(first)
        while sent < total:
            if select.select([conn], [], [], ANSWER_WAIT)[0]:
                break  # an answer, or the end
            try:
                conn.sendall(filler(PIECE))
            except OSError:  # reset: the server closed with our bytes unread
                break
            sent += PIECE
            if after is not None:
                after(sent)
        conn.settimeout(timeout)
        try:
            while chunk := conn.recv(65536):
                answer += chunk
            closed = True
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        except TimeoutError:
            closed = False
    finally:
        conn.close()
    return Outcome(sent, answer, closed)


def long_value(size: int) -> bytes:
    return b"a" * size


def many_headers(size: int) -> bytes:
    return b"X-A: b\r\n" * (size // 8)
