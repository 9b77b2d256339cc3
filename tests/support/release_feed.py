"""A release feed on loopback shaped like GitHub's "latest release" API, for the update check's tests.

`publish(tag)` serves a release; `answer(status, body)` serves anything else (a malformed feed, an error);
`stall()` makes it accept the request and never answer (until the feed stops), for the timeout.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/repos/acme/port-mcp-bridge/releases/latest"


class ReleaseFeed:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.status = 404
        self.body = b'{"message": "Not Found"}'
        self.stalled = threading.Event()  # set: requests wait for `stopping`
        self.stopping = threading.Event()
        self.requests: list[dict[str, str]] = []  # the headers of each request

    def publish(self, tag: str, notes: str = "", **fields: Any) -> dict[str, Any]:
        release = {
            "tag_name": tag,
            "name": f"Port MCP Bridge {tag}",
            "body": notes,
            "html_url": f"https://github.com/acme/port-mcp-bridge/releases/tag/{tag}",
            "draft": False,
            "prerelease": False,
            "published_at": "2026-12-01T10:00:00Z",
            "assets": [],
        } | fields
        self.answer(200, json.dumps(release).encode())
        return release

    def answer(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def stall(self) -> None:
        self.stalled.set()


@contextmanager
def release_feed() -> Iterator[ReleaseFeed]:
    holder: list[ReleaseFeed] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed = holder[0]
            feed.requests.append(dict(self.headers))
            if feed.stalled.is_set():
                feed.stopping.wait()
                return
            status = feed.status if self.path == PATH else 404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    feed = ReleaseFeed(server.server_address[1])
    holder.append(feed)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # quick to stop
    thread.start()
    try:
        yield feed
    finally:
        feed.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
