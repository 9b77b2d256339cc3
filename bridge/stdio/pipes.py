"""stdin and stdout, as the event loop sees them: lines in, whole lines out, never blocking the loop.

A pipe (what a client that starts the shim gives it, on POSIX) is watched by the event loop itself; anything else (a
file, a console, every Windows handle) is read, or written, by one thread. Also the event loop the shim runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

log = logging.getLogger(__name__)

MAX_LINE = 64 << 20


def pipe_like(fd: int) -> bool:
    """Whether asyncio can watch `fd` itself (a pipe or socket on POSIX); a file, a console or Windows cannot."""
    if os.name == "nt":
        return False
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode) or stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False


async def stdin_lines(loop: asyncio.AbstractEventLoop) -> AsyncIterator[bytes]:
    """stdin, a line at a time: through the event loop for a pipe, else through one reader thread."""
    if pipe_like(0):
        reader = asyncio.StreamReader(limit=MAX_LINE)
        pipe = os.fdopen(os.dup(0), "rb", buffering=0)  # the transport closes its file: fd 0 itself stays open
        transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
        try:
            while True:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than MAX_LINE: what was buffered is dropped, the rest fails to parse
                    log.warning("Skipped a line on stdin longer than %d MiB.", MAX_LINE >> 20)
                    continue
                if not line:
                    return
                yield line
        finally:
            transport.close()
            with contextlib.suppress(OSError):
                os.set_blocking(0, True)  # the flag belongs to the pipe, which the client may share
    queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue()

    def read() -> None:  # os.read, not sys.stdin: no buffer lock for interpreter shutdown to trip over
        rest = b""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
            try:
                while chunk := os.read(0, 1 << 16):
                    *lines, rest = (rest + chunk).split(b"\n")
                    if lines:
                        loop.call_soon_threadsafe(queue.put_nowait, lines)
            except OSError:
                pass
            loop.call_soon_threadsafe(queue.put_nowait, [rest] if rest else [])
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while (lines := await queue.get()) is not None:
        for line in lines:
            yield line


class Stdout:
    """The one writer of stdout: each `write` puts a whole line, in order, flushed.

    A pipe is written by the event loop (a transport with flow control); anything else (a file, a console, Windows)
    by one writer thread, so a client slow to read never blocks the loop. `gone` is set when the client stops reading.
    """

    def __init__(self) -> None:
        self.gone = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._queue: Any = None
        self._thread: threading.Thread | None = None

    async def open(self, loop: asyncio.AbstractEventLoop) -> None:
        same_as_stderr = False
        with contextlib.suppress(OSError):
            out, err = os.fstat(1), os.fstat(2)
            same_as_stderr = (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino)
        if pipe_like(1) and not same_as_stderr:  # non-blocking stdout would make stderr's writes fail too
            pipe = os.fdopen(os.dup(1), "wb", buffering=0)
            transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
            self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
            return
        import queue

        self._queue = queue.SimpleQueue()

        def write() -> None:
            while (data := self._queue.get()) is not None:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(1, view) :]
                except OSError:
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(self.gone.set)
                    return

        self._thread = threading.Thread(target=write, name="stdout", daemon=True)
        self._thread.start()

    async def write(self, line: bytes) -> None:
        if self.gone.is_set():
            return
        if self._writer is None:
            self._queue.put(line + b"\n")
            return
        if self._writer.transport.is_closing():
            self.gone.set()
            return
        self._writer.write(line + b"\n")
        try:
            await self._writer.drain()
        except ConnectionError:
            self.gone.set()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer.wait_closed(), 2)
            with contextlib.suppress(OSError):
                os.set_blocking(1, True)
        elif self._thread is not None:
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 2)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop where it is installed (faster pipes and sockets), else asyncio's own loop."""
    try:
        import uvloop

        return uvloop.new_event_loop
    except ImportError:  # Windows has none: asyncio's own loop
        return asyncio.new_event_loop
