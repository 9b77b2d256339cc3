"""Assembles the sandbox's Starlette app and runs it on loopback, in the foreground or in a background thread.

sandbox = Sandbox(port=0).start()      # tests: a free port, served from a thread
sandbox.mcp_url                        # http://127.0.0.1:<port>/v1
sandbox.faults.latency = 0.2           # fault knobs, also at POST /_sandbox/faults
sandbox.stop()
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bridge.endpoint import bind, bind_or_any
from bridge.sandbox.mcp_server import McpGate, build_server, session_manager
from bridge.sandbox.oauth import AuthServer
from bridge.sandbox.seed import DEMO_CREDENTIALS
from bridge.sandbox.state import Faults, SandboxConfig, SandboxState
from bridge.sandbox.tokens import TokenStore
from bridge.system.loopback import LoopbackServer

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def build_app(state: SandboxState, base_url: str) -> tuple[Starlette, TokenStore]:
    port = base_url.rsplit(":", 1)[-1].split("/")[0]
    tokens = TokenStore(state, audience=f"{base_url}/v1", issuer=f"http://auth.localhost:{port}/")
    auth = AuthServer(state, base_url, tokens)
    manager = session_manager(build_server(state), state.config.json_response)
    gate = McpGate(StreamableHTTPASGIApp(manager), state, tokens, auth.resource_metadata_url)
    admin = _Admin(state, tokens)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    async def index(request: Request) -> Response:
        return HTMLResponse(landing_page(base_url))

    routes = [
        Route("/", index),
        Route("/healthz", lambda r: JSONResponse({"ok": True})),
        *auth.routes(),
        Route("/v1", gate, methods=["GET", "POST", "DELETE"]),
        *admin.routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan), tokens


class _Admin:
    """`/_sandbox/*`: fault knobs and clock for tests and the benchmark. Loopback callers only, no browsers."""

    def __init__(self, state: SandboxState, tokens: TokenStore) -> None:
        self.state = state
        self.tokens = tokens

    def _refuse(self, request: Request) -> Response | None:
        if request.client is None or request.client.host not in LOOPBACK:
            return JSONResponse({"error": "The admin endpoint answers loopback callers only."}, 403)
        if request.headers.get("origin"):  # a web page must not flip knobs through the user's browser
            return JSONResponse({"error": "The admin endpoint refuses cross-origin requests."}, 403)
        return None

    async def faults(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        if request.method == "POST":
            try:
                self.state.faults.update(await request.json())
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(self.state.faults.as_dict())

    async def action(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        name = request.path_params["name"]
        body: dict[str, Any] = {}
        if await request.body():
            body = await request.json()
        if name == "expire-tokens":
            self.tokens.expire_all()
            return JSONResponse({"ok": True})
        if name == "expire-sessions":
            return JSONResponse({"ok": True, "expired": self.state.expire_sessions()})
        if name == "advance-clock":
            self.state.advance_clock(float(body.get("seconds", 0)))
            return JSONResponse({"ok": True, "now": self.state.now()})
        if name == "reset":
            self.state.reset()
            return JSONResponse({"ok": True})
        return JSONResponse({"error": f"Unknown admin action '{name}'."}, 404)

    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/faults", self.faults, methods=["GET", "POST"]),
            Route("/_sandbox/{name}", self.action, methods=["POST"]),
        ]


def demo_credentials_text() -> str:
    lines = []
    for client_id, (secret, org_id, role) in DEMO_CREDENTIALS.items():
        lines.append(f"  {client_id} / {secret}   ({role}, {org_id})")
    return "\n".join(lines)


def landing_page(base_url: str) -> str:
    creds = html.escape(demo_credentials_text())
    return (
        "<!doctype html><meta charset=utf-8><title>Port sandbox</title>"
        "<body style='font:15px/1.5 sans-serif;max-width:720px;margin:40px auto'>"
        "<h1>Port sandbox</h1><p>An imitation of Port's MCP server with demo data. Point an MCP client at</p>"
        f"<pre>{html.escape(base_url)}/v1</pre><p>Token mode credentials (client id / secret):</p><pre>{creds}</pre>"
        f"<p>Token endpoint: <code>POST {html.escape(base_url)}/v1/auth/access_token</code></p>"
    )


class Sandbox:
    """The sandbox served by uvicorn on 127.0.0.1 from a background thread (tests, the demo, the benchmark)."""

    def __init__(
        self,
        port: int = 0,
        *,
        config: SandboxConfig | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        any_port_if_taken: bool = False,
    ) -> None:
        self.state = SandboxState(config, faults)
        sock = bind_or_any(port, host) if any_port_if_taken else bind(port, host)
        self.port = sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.app, self.tokens = build_app(self.state, self.url)
        self._runner = LoopbackServer(self.app, sock, name=f"port-sandbox-{self.port}", graceful=1)

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def start(self, timeout: float = 10.0) -> Sandbox:
        self._runner.start(timeout)
        return self

    def stop(self) -> None:
        self._runner.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl+C (the `port-mcp-bridge sandbox` command)."""
        self._runner.serve_forever()
