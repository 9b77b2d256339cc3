"""What TLS session resumption saves on a new upstream connection: `http11.Pool` opening N connections to a loopback
TLS server, each with one request, alternately with a full handshake (the pool's session forgotten before it) and
resumed (the session the previous connection received offered).

    .venv/bin/python bench/tls_bench.py [--connections 1000] [--rsa]

Client and server are separate processes (the server a child of this script, on asyncio's loop; the client on
uvloop, as the bridge): the client's CPU is `time.process_time()` here, the server's is what it reports on each
answer. Wall time is loopback's, with no round trip: what resumption saves in round trips is none with TLS 1.3 (a
full handshake and a resumed one both take one), only CPU on both sides and the certificate's bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
OK_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n"


def serve(cert: str, key: str) -> None:
    """The child: a TLS server answering each request with its own CPU time so far (seconds), kept alive."""
    from tests.support.certs import server_context
    from tests.support.upstream import read_request

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await read_request(reader)
                body = repr(time.process_time()).encode()
                writer.write(OK_HEAD % len(body) + body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context(Path(cert), Path(key)))
        print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


async def connection(pool: object, key: tuple[str, str, int], resume: bool) -> tuple[float, float, float]:
    """A new connection with one request, offering the pool's session or not: (client CPU s, wall s, the server's CPU
    time when it answered)."""
    from bridge.proxy import http11

    assert isinstance(pool, http11.Pool)
    if not resume:
        pool._sessions.newest.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    conn = await pool.open(key, 5)
    response = await pool.exchange(conn, HEAD, b"", 5)
    server = float(await response.aread())
    await response.aclose()
    assert conn.transport is not None
    assert conn.transport.get_extra_info("ssl_object").session_reused == resume
    conn.close()
    return time.process_time() - cpu, time.perf_counter() - wall, server


async def measure(context: ssl.SSLContext, port: int, count: int) -> dict[str, list[float]]:
    """`count` connections of each kind, alternating (what disturbs the machine meanwhile disturbs both alike). The
    server's CPU for a connection: from its answer on the one before to its answer on this one."""
    from bridge.proxy import http11

    key = ("https", "127.0.0.1", port)
    pool = http11.Pool(context)
    for _ in range(20):  # warm up (imports, the server's first connections); leaves a session to resume
        *_, server_before = await connection(pool, key, False)
    figures: dict[str, list[float]] = {f"{kind} {what}": [] for kind in ("full", "resumed")
                                       for what in ("client cpu", "server cpu", "wall")}  # fmt: skip
    for i in range(2 * count):
        kind, resume = ("resumed", True) if i % 2 else ("full", False)
        client, wall, server = await connection(pool, key, resume)
        figures[f"{kind} client cpu"].append(client)
        figures[f"{kind} server cpu"].append(server - server_before)
        figures[f"{kind} wall"].append(wall)
        server_before = server
    await pool.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000, help="of each kind")
    parser.add_argument("--rsa", action="store_true", help="an RSA 2048 server key (default: ECDSA P-256)")
    parser.add_argument("--serve", nargs=2, metavar=("CERT", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project
    if args.serve:
        serve(*args.serve)
        return
    import uvloop

    from tests.support.certs import make_ca

    with tempfile.TemporaryDirectory(prefix="tls-bench-") as folder:
        ca, cert, key = make_ca(Path(folder), rsa=args.rsa)
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(cert), str(key)], stdout=subprocess.PIPE)
        try:
            assert child.stdout is not None
            port = json.loads(child.stdout.readline())["port"]
            context = ssl.create_default_context(cafile=str(ca))
            figures = uvloop.run(measure(context, port, args.connections))
        finally:
            child.terminate()
            child.wait()
    key_kind = "RSA 2048" if args.rsa else "ECDSA P-256"
    print(f"{args.connections} connections of each kind, one request each, {key_kind} server key; medians:")
    for what in ("client cpu", "server cpu", "wall"):
        full, resumed = (statistics.median(figures[f"{kind} {what}"]) * 1e3 for kind in ("full", "resumed"))
        print(f"  {what:<10}  full {full:6.3f} ms   resumed {resumed:6.3f} ms   saved {1 - resumed / full:4.0%}")


if __name__ == "__main__":
    main()
