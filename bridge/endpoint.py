"""The local endpoint: where the bridge listens and how anything on this machine finds it, in one place.

    HOST, DEFAULT_PORT, HEALTH_PATH       the facts
    base_url(port) / mcp_url(port, id)     http://127.0.0.1:<port> and its /mcp or /p/<id>/mcp
    probe(port, key) -> "bridge" | "unproven" | "other" | "nothing"      who answers on the port (GET /healthz)
    proof(key, port, nonce) / valid_nonce(nonce)   the challenge only a holder of the local key can answer
    listen / check_port(port) / bind_or_any(port) / free_port_near(port)      the port choice (PortInUse)

Standard library only, and cheap to import: the stdio shim (a process per client) and `--help` load it.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import logging
import secrets
import socket
from typing import Literal

from bridge.errors import PortInUse, why_port_refused

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 47773  # away from the sandbox's and the sign-in redirects' 47780-47979
SANDBOX_PORT = 47780  # `port-mcp-bridge sandbox` by default (the demo inside the app takes any free port)
HEALTH_PATH = "/healthz"  # open without the key (reveals nothing): `status`, the shim and installers look here
APP_NAME = "port-mcp-bridge"  # what /healthz says the app is, so another program on the port is told apart

Alive = Literal["bridge", "unproven", "other", "nothing"]

# The challenge: /healthz?challenge=<nonce> is answered with "proof": HMAC-SHA256(local key, context, port, nonce). Only
# the key's holder can answer; the port in it makes an answer useless on any other port (a program on the settings'
# port relaying the challenge to a bridge elsewhere), the context useless for anything but this question.
CHALLENGE_CONTEXT = b"port-mcp-bridge healthz challenge v1\0"
NONCE_MIN, NONCE_MAX = 16, 64
_NONCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def valid_nonce(nonce: str) -> bool:
    """16 to 64 URL-safe characters: the bridge computes nothing for anything else."""
    return NONCE_MIN <= len(nonce) <= NONCE_MAX and _NONCE_CHARS.issuperset(nonce)


def proof(key: str, port: int, nonce: str) -> str:
    message = CHALLENGE_CONTEXT + f"{port}\0{nonce}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def mcp_path(profile_id: str | None = None) -> str:
    """`/mcp` follows the active profile; `/p/<id>/mcp` is pinned to one."""
    return f"/p/{profile_id}/mcp" if profile_id else "/mcp"


def base_url(port: int, host: str = HOST) -> str:
    return f"http://{host}:{port}"


def mcp_url(port: int, profile_id: str | None = None, host: str = HOST) -> str:
    return base_url(port, host) + mcp_path(profile_id)


def probe(port: int, host: str = HOST, timeout: float = 1.0, *, key: str | None = None) -> Alive:
    """Who answers on `host:port`: our bridge, another program, or nothing.

    With the local `key`, "bridge" means it answered a fresh challenge with the key (`proof`), so the key may be sent
    to it; "unproven" means it says it is the bridge but could not prove it (a program posing as it, or one with
    another key). Without a key (the user turned it off) its /healthz naming the app is all there is to go by.

    A raw HTTP/1.0-style request on a socket rather than http.client, which would cost the stdio shim ~30 ms of
    imports at every start."""
    nonce = secrets.token_urlsafe(24) if key is not None else ""
    path = f"{HEALTH_PATH}?challenge={nonce}" if nonce else HEALTH_PATH
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return "nothing"
    try:
        with sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while len(answer) < 16384 and (chunk := sock.recv(4096)):
                answer += chunk
    except OSError:
        return "other"  # it accepted the connection but did not answer like an HTTP server in time
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    try:
        said = json.loads(body)
        ours = status[1:2] == [b"200"] and said.get("app") == APP_NAME
        shown = said.get("proof") if ours else None
    except (ValueError, AttributeError):
        return "other"
    if not ours:
        return "other"
    if key is None:
        return "bridge"
    if isinstance(shown, str) and hmac.compare_digest(shown.encode(), proof(key, port, nonce).encode()):
        return "bridge"
    return "unproven"


def bind(port: int, host: str = HOST) -> socket.socket:
    """A listening TCP socket on loopback; raises OSError when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only turns Nagle off (TCP_NODELAY) for sockets created with it, and uvicorn
    # writes headers and body separately, so with Nagle on every keep-alive response waited ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: refuse a port another process holds
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def listen(port: int, host: str = HOST) -> socket.socket:
    """The bridge's listening socket; raises `PortInUse` saying why and what to do when `port` cannot be had."""
    try:
        return bind(port, host)
    except OSError as exc:
        if exc.errno == errno.EACCES or getattr(exc, "winerror", None) == 10013:  # a port the system keeps
            raise PortInUse(
                f"Cannot listen on {host}:{port}: {why_port_refused(True)}. Choose another port (Settings → General).",
                port=port, reserved=True, cli="Start with --port to use another one.",
            ) from exc  # fmt: skip
        raise PortInUse(
            f"Cannot listen on {host}:{port} ({exc.strerror}). Another Port MCP Bridge may already be running, or "
            "another program uses the port: choose another port (Settings → General).",
            port=port,
            cli="`port-mcp-bridge status` shows a running bridge; start with --port to use another port.",
        ) from exc


def check_port(port: int, host: str = HOST) -> None:
    """Raises `PortInUse` (saying why and what to do) unless `port` can be listened on now."""
    listen(port, host).close()


def bind_or_any(preferred: int, host: str = HOST) -> socket.socket:
    """A listening socket on `preferred`, or on any free port when it is taken (the demo's sandbox, the sign-in
    redirect: a stable port is nicer, any port works)."""
    try:
        return bind(preferred, host)
    except OSError:
        log.info("port %d is taken; using another one", preferred)
        return bind(0, host)


def free_port_near(port: int, host: str = HOST, tries: int = 20) -> int:
    """The first port after `port` that can be listened on now (trying `tries`), else any free one: a port close to
    the usual one is easier to recognise in a client's configuration."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        try:
            bind(candidate, host).close()
        except OSError:
            continue
        return candidate
    sock = bind(0, host)
    try:
        return int(sock.getsockname()[1])
    finally:
        sock.close()
