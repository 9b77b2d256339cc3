"""The stdio shim (`port-mcp-bridge stdio`) as a real process, relaying to a bridge in front of the sandbox.

The bridge and the sandbox run in the test's process on loopback ports (so a test can switch profiles, slow the
sandbox down or stop the bridge); the shim is a child process with its own settings naming the bridge's port and a
file keychain holding the local key, as on a user's machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bridge.auth.localkey import local_key
from bridge.errors import BridgeUnavailable
from bridge.proxy.jsonrpc import UPSTREAM_UNAVAILABLE
from bridge.proxy.service import BridgeService
from bridge.sandbox import Sandbox, SandboxConfig
from bridge.settings import SettingsStore
from bridge.stdio import launch
from tests.proxy.conftest import sandbox_tokens
from tests.support.net import wait_until

ROOT = Path(__file__).resolve().parents[1]
HELLO = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "claude", "version": "1"}}
pytestmark = pytest.mark.timeout(60)


@dataclass
class Stack:
    sandbox: Sandbox
    bridge: BridgeService
    store: SettingsStore
    env: dict[str, str]  # the shim's environment: its own settings (the bridge's port) and keychain (the key)

    def point_shim_at(self, port: int) -> None:
        home = Path(self.env["PORT_MCP_BRIDGE_HOME"])
        SettingsStore(home / "settings.json").update(lambda s: setattr(s, "local_port", port))

    def switch_to(self, profile: str) -> None:
        self.store.use_profile(profile)
        wait_until(lambda: self.bridge.settings.active_profile == profile, f"the bridge to switch to {profile}", 5)

    def stream_opened(self, streams: int = 1) -> None:
        """Until the shim holds the server's stream (the bridge has registered its GET)."""
        wait_until(lambda: self.bridge.sessions.streams_open() >= streams, "the shim's GET stream", 5)


def shim_env(home: Path) -> dict[str, str]:
    """The shim's environment: its own settings folder `home` and a file keychain there holding the local key."""
    home.mkdir()
    keychain = home / "keychain.json"
    keychain.write_text(json.dumps({"port-mcp-bridge/local-key": local_key()}))
    return {
        **os.environ,
        "PORT_MCP_BRIDGE_HOME": str(home),
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
        "TEST_KEYRING_FILE": str(keychain),
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    box = Sandbox(config=SandboxConfig(run_seconds=0.2, seed=3)).start()
    store = SettingsStore(tmp_path / "settings.json")
    for name, org in (("Acme", "Acme Corp"), ("Globex", "Globex")):
        store.add_profile(name, box.mcp_url, organization=org, auth_mode="token")
    store.use_profile("acme")
    bridge = BridgeService(store, port=0, tokens=sandbox_tokens(box)).start()
    stack = Stack(box, bridge, store, shim_env(tmp_path / "shim"))
    stack.point_shim_at(int(bridge.url.rsplit(":", 1)[1]))
    try:
        yield stack
    finally:
        bridge.stop()
        box.stop()


class Shim:
    """`python -m bridge stdio` driven line by line, as an IDE drives it; its stdout read by a thread."""

    def __init__(
        self, env: dict[str, str], *args: str, python: tuple[str, ...] = (), command: list[str] | None = None
    ) -> None:
        command = command or [sys.executable, *python, "-m", "bridge", "stdio", *args]
        self.proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)  # fmt: skip
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.errors: list[bytes] = []  # stderr's lines so far
        self._readers = [threading.Thread(target=self._read, daemon=True), threading.Thread(target=self._errors)]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(json.loads(raw))  # every line the shim writes must be one JSON message
        self.lines.put(None)

    def _errors(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.errors.append(line)

    @property
    def stderr(self) -> bytes:
        return b"".join(self.errors)

    def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def next(self, timeout: float = 10) -> dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"the shim ended: {self.close()!r}"
        return line

    def answer(self, msg_id: int, timeout: float = 10) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The answer to `msg_id`, and the other messages that came before it."""
        others = []
        while (line := self.next(timeout)).get("id") != msg_id or "method" in line:
            others.append(line)
        return line, others

    def ask(self, msg_id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, **({"params": params} if params else {})})
        return self.answer(msg_id)[0]

    def start_session(self) -> dict[str, Any]:
        init = self.ask(1, "initialize", HELLO)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return init

    def close(self, timeout: float = 10) -> int:
        """Close stdin (the client went away); the exit code."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        finally:
            for reader in self._readers:
                reader.join(timeout=5)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()
        return self.proc.returncode


@pytest.fixture
def shim(stack: Stack) -> Iterator[Shim]:
    shim = Shim(stack.env)
    try:
        yield shim
    finally:
        if shim.proc.returncode is None:
            shim.close()


def organization(answer: dict[str, Any]) -> str:
    assert "result" in answer, answer
    return json.loads(answer["result"]["content"][0]["text"])["organization"]["name"]


# --- a whole session, with the official MCP client --------------------------------------------------------------------


async def test_the_mcp_client_initializes_lists_and_calls_through_the_shim(stack: Stack) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "bridge", "stdio"], env=stack.env, cwd=ROOT)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "Port MCP Server (sandbox)"
        assert "list_entities" in {t.name for t in (await session.list_tools()).tools}
        result = await session.call_tool("list_entities", {"blueprintIdentifier": "service", "countOnly": True})
        assert json.loads(result.content[0].text) == {"count": 36}  # type: ignore[union-attr]
        await session.send_ping()


# --- relaying --------------------------------------------------------------------------------------------------------


def test_a_ping_is_not_held_up_by_a_slow_tool_call(stack: Stack, shim: Shim) -> None:
    shim.start_session()
    stack.sandbox.faults.slow_tool_seconds = 1.5
    start = time.monotonic()
    shim.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "describe_user_details",
                                                                               "arguments": {}}})  # fmt: skip
    wait_until(lambda: stack.bridge.sessions.requests_under_way() >= 1, "the call to reach the bridge", 5)
    shim.send({"jsonrpc": "2.0", "id": 3, "method": "ping"})
    first, _ = shim.answer(3)
    assert first == {"jsonrpc": "2.0", "id": 3, "result": {}} and time.monotonic() - start < 1.2
    call, _ = shim.answer(2)
    assert organization(call) == "Acme Corp (demo)" and time.monotonic() - start >= 1.5


def test_a_line_that_is_not_json_is_skipped_and_the_session_goes_on(shim: Shim) -> None:
    shim.start_session()
    shim.send(b"Content-Length: 52\r\n\r\n")
    shim.send(b'{"jsonrpc": "2.0", "id": 2, "method": "pi\n')
    shim.send(b"\n   \n")
    assert shim.ask(3, "ping") == {"jsonrpc": "2.0", "id": 3, "result": {}}
    assert shim.close() == 0
    assert shim.stderr.count(b"not JSON") == 2 and b"Traceback" not in shim.stderr


class CountingRelay:
    """A TCP relay in front of the bridge that keeps what each connection made through it sent: the shim's
    connections to the bridge, counted from outside."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent: list[bytearray] = []  # a connection's bytes from the shim, one entry per connection
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def posts(self) -> int:
        return sum(sent.count(b"POST /mcp HTTP/1.1\r\n") for sent in self.sent)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            bridge = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += (client, bridge)
            self.sent.append(sent := bytearray())
            threading.Thread(target=self._pump, args=(client, bridge, sent), daemon=True).start()
            threading.Thread(target=self._pump, args=(bridge, client, None), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, keep: bytearray | None) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 16):
                if keep is not None:
                    keep += data
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)  # one side's end, passed on

    def close(self) -> None:
        for sock in (self.listener, *self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_a_session_keeps_one_connection_to_the_bridge(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages one after another go over one kept-alive connection: counted by a relay between shim and bridge."""
    relay = CountingRelay(stack.bridge.port)
    monkeypatch.setattr(stack.bridge, "port", relay.port)  # the Host the bridge accepts: the relay's address now
    stack.point_shim_at(relay.port)
    shim = Shim(stack.env)
    try:
        shim.start_session()
        assert shim.ask(2, "tools/list")["result"]["tools"]
        stack.stream_opened()
        before = len(relay.sent)
        assert 2 <= before <= 4  # the start's health check, the messages (two at once at the start), the stream
        for n in range(3, 13):
            assert shim.ask(n, "tools/list")["result"]["tools"]
        # Not one per message. (Now and then one more: the client can have the answer and send the next message
        # while the end of the answer's stream is still on its way, and the connection not yet free.)
        assert len(relay.sent) - before <= 3
        assert relay.posts() >= 12
    finally:
        assert shim.close() == 0
        relay.close()


# --- what goes wrong -------------------------------------------------------------------------------------------------


def test_a_profile_switch_mid_session_is_recovered_transparently(stack: Stack, shim: Shim) -> None:
    shim.start_session()
    call = {"name": "describe_user_details", "arguments": {}}
    assert organization(shim.ask(2, "tools/call", call)) == "Acme Corp (demo)"
    stack.switch_to("globex")  # the bridge ends the session: the next request with it is answered 404
    shim.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
    answer, before = shim.answer(3)
    assert organization(answer) == "Globex (demo)"
    told = [m for m in before if m.get("method") == "notifications/tools/list_changed"]
    if not told:  # the retried call's answer comes first when the call noticed the switch
        told = [shim.next(timeout=3)]
    assert told[0] == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
    assert shim.ask(4, "ping")["result"] == {}
    assert shim.close() == 0
    assert b"starting a new one" in shim.stderr and b"Traceback" not in shim.stderr


def test_the_bridge_stopping_mid_session_is_an_error_that_says_what_to_do(stack: Stack, shim: Shim) -> None:
    shim.start_session()
    assert shim.ask(2, "tools/list")["result"]["tools"]
    stack.bridge.stop()
    batch = [{"jsonrpc": "2.0", "id": 3, "method": "tools/list"}, {"jsonrpc": "2.0", "id": 4, "method": "ping"}]
    shim.send(json.dumps(batch).encode() + b"\n")
    errors = {m["id"]: m["error"] for m in (shim.next(), shim.next())}
    assert set(errors) == {3, 4}
    assert errors[3]["code"] == UPSTREAM_UNAVAILABLE
    assert "port-mcp-bridge serve" in errors[3]["message"] and "port-mcp-bridge doctor" in errors[3]["message"]
    assert shim.close() == 0
    assert b"Traceback" not in shim.stderr


def test_a_bridge_that_moved_to_another_port_is_named_with_what_to_do(stack: Stack, shim: Shim) -> None:
    """The tray app moves to a free port when its own is taken: a running shim, still on the old one, says so."""
    shim.start_session()
    stack.bridge.stop()
    stack.point_shim_at(48999)  # what the app saves when it moves
    error = shim.ask(2, "tools/list")["error"]
    assert "moved to port 48999" in error["message"] and "Restart" in error["message"]
    assert shim.close() == 0


def test_an_http_error_answer_becomes_the_request_s_error(stack: Stack) -> None:
    """The bridge refuses the message as a whole (a JSON-RPC error with a null id): the client gets it as the answer
    to its request, rather than waiting for one forever."""
    shim = Shim(stack.env, "--profile", "nope")  # 404: no such profile
    try:
        answer = shim.ask(1, "initialize", HELLO)
        assert answer["id"] == 1 and "nope" in answer["error"]["message"]
    finally:
        assert shim.close() == 0


def test_with_another_local_key_the_bridge_cannot_prove_itself_and_nothing_is_sent(stack: Stack) -> None:
    """A shim whose keychain holds another key cannot tell the bridge from a program posing as it: it stops before
    sending anything (it used to send its key and get 401)."""
    Path(stack.env["TEST_KEYRING_FILE"]).write_text(json.dumps({"port-mcp-bridge/local-key": "not-the-key-0123"}))
    shim = subprocess.run([sys.executable, "-m", "bridge", "stdio"], env=stack.env, input=b"", capture_output=True,
                          timeout=30)  # fmt: skip
    assert shim.returncode == 1 and shim.stdout == b""
    assert "cannot prove it holds this computer's local key" in shim.stderr.decode()
    assert stack.bridge.sessions.requests_under_way() == 0 and not stack.sandbox.state.live_sessions


def test_the_server_s_own_messages_come_through_its_stream(stack: Stack, shim: Shim) -> None:
    shim.start_session()
    assert shim.ask(2, "ping")["result"] == {}
    stack.stream_opened()  # the shim opens the server's stream once initialized
    stack.store.set_profile("acme", tools={"mode": "deny", "names": ["list_blueprints"]})
    assert shim.next(timeout=5) == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}


# --- start and end ---------------------------------------------------------------------------------------------------


def test_stdin_closing_ends_the_session_and_exits_0_at_once(stack: Stack, shim: Shim) -> None:
    shim.start_session()
    assert shim.ask(2, "ping")["result"] == {}
    (session_id,) = stack.sandbox.state.live_sessions
    assert stack.bridge.sessions.owner(session_id) == "acme"
    start = time.monotonic()
    assert shim.close() == 0
    assert time.monotonic() - start < 3
    assert stack.bridge.sessions.owner(session_id) is None  # DELETEd
    assert shim.stderr == b""


def test_requests_in_flight_when_stdin_closes_are_answered_before_the_shim_exits(stack: Stack, shim: Shim) -> None:
    """A client that writes its last requests and closes stdin (`echo … | port-mcp-bridge stdio`, a client that quits
    after a call) gets their answers: the shim used to exit 0 at once with nothing written, the call dropped."""
    shim.start_session()
    (session_id,) = stack.sandbox.state.live_sessions
    stack.sandbox.faults.slow_tool_seconds = 0.5
    shim.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "describe_user_details",
                                                                               "arguments": {}}})  # fmt: skip
    shim.send({"jsonrpc": "2.0", "id": 3, "method": "ping"})
    assert shim.close(timeout=20) == 0
    said: list[dict[str, Any]] = []
    while (line := shim.lines.get(timeout=5)) is not None:
        said.append(line)
    answers = {m["id"]: m for m in said if "id" in m and "method" not in m}
    assert organization(answers[2]) == "Acme Corp (demo)" and answers[3] == {"jsonrpc": "2.0", "id": 3, "result": {}}
    assert stack.bridge.sessions.owner(session_id) is None  # and the session was DELETEd after
    assert shim.stderr == b""


@pytest.fixture
def squatter() -> Iterator[tuple[int, list[str]]]:
    """Another program on a free loopback port: it answers HTTP, but it is no bridge. Its port, and the paths asked."""
    asked: list[str] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"<html><body>Some other program</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # not the test's stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


def test_another_program_on_the_port_is_named_with_what_to_do_and_no_bridge_is_started(
    squatter: tuple[int, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, asked = squatter
    env = shim_env(tmp_path / "shim")
    SettingsStore(tmp_path / "shim" / "settings.json").update(lambda s: setattr(s, "local_port", port))
    shim = subprocess.run([sys.executable, "-m", "bridge", "stdio"], env=env, input=b"", capture_output=True,
                          timeout=30)  # fmt: skip
    assert shim.returncode == 1 and shim.stdout == b""
    said = shim.stderr.decode()
    assert f"Another program answers on 127.0.0.1:{port}" in said and "Settings → General" in said, said
    assert "Traceback" not in said and asked and {path.partition("?")[0] for path in asked} == {"/healthz"}

    def start(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"started {args} on a port another program holds")

    monkeypatch.setattr(launch.subprocess, "Popen", start)  # the same, in this process: nothing is started
    with pytest.raises(BridgeUnavailable, match="Another program answers"):
        launch.ensure_bridge(port, folder=tmp_path / "shim")


def test_a_bridge_that_cannot_start_is_named_with_its_own_reason_at_once(tmp_path: Path) -> None:
    """No keychain: the `serve` the shim starts fails at once. The shim used to wait 15 s and say only that the bridge
    "did not answer"; it now passes on the bridge's own reason (its `BridgeError`), as soon as serve has exited."""
    env = {**shim_env(tmp_path / "shim"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with socket.socket() as free:  # nothing listens there: the shim starts a bridge
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    SettingsStore(tmp_path / "shim" / "settings.json").update(lambda s: setattr(s, "local_port", port))
    start = time.monotonic()
    shim = subprocess.run([sys.executable, "-m", "bridge", "stdio"], env=env, input=b"", capture_output=True,
                          timeout=30)  # fmt: skip
    said = shim.stderr.decode()
    assert shim.returncode == 1 and shim.stdout == b""
    # The shim needs the key itself first (to check whatever answers holds it), so it names the keychain at once.
    assert "Keychain unavailable: No system keychain was found" in said, said
    assert "did not answer" not in said and "Traceback" not in said
    assert time.monotonic() - start < 12  # not the 15 s wait


def test_a_serve_that_fails_at_start_is_named_with_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `serve` the shim starts exits at once: its own `Error:` line is what the client is told, not a 15 s wait
    ending in "did not answer"."""
    with socket.socket() as free:  # nothing listens there: the shim starts a bridge
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    failing = [sys.executable, "-c", "import sys; print('Error: Settings not saved: the folder refuses writes', "
               "file=sys.stderr); sys.exit(1)"]  # fmt: skip
    monkeypatch.setattr(launch, "serve_command", lambda: failing)  # "--detached" then lands in its sys.argv
    with pytest.raises(BridgeUnavailable, match="could not start: Settings not saved: the folder refuses writes"):
        launch.ensure_bridge(port, None, folder=tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="stops the detached bridge with SIGTERM")
def test_a_bridge_the_shim_started_outlives_it_and_keeps_logging_after_its_stderr_is_let_go(tmp_path: Path) -> None:
    """The shim reads the `serve` it starts only until it listens (`--detached`): the bridge then goes on without the
    shim, its stderr pointed elsewhere, so what it logs later breaks nothing."""
    import signal

    import httpx2

    env = shim_env(tmp_path / "shim")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    SettingsStore(tmp_path / "shim" / "settings.json").update(lambda s: setattr(s, "local_port", port))
    shim = subprocess.run([sys.executable, "-m", "bridge", "stdio"], env=env, input=b"", capture_output=True,
                          timeout=30)  # fmt: skip
    assert shim.returncode == 0, shim.stderr
    url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {local_key()}"}
    pid = httpx2.get(f"{url}/status", headers=headers).json()["pid"]
    try:
        for _ in range(3):  # requests it logs, with the shim gone
            assert httpx2.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                               headers=headers).status_code == 503  # fmt: skip  # no profile: but up and answering
        assert httpx2.get(f"{url}/healthz").json()["ok"]
    finally:
        os.kill(pid, signal.SIGTERM)

    def stopped() -> bool:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 0)
            return False
        return True

    wait_until(stopped, "the bridge the shim started to stop", 10)


def test_the_shim_never_imports_the_mcp_sdk_nor_httpx2(stack: Stack) -> None:
    """Every import of a whole session (start, messages, the server's stream, the end): no `mcp` SDK, and no httpx2
    or httpcore2 (with anyio and h11 under them, ~100 ms of each start): `bridge.proxy.http11` does the HTTP."""
    traced = Shim(stack.env, python=("-X", "importtime"))
    traced.start_session()
    assert traced.ask(2, "tools/list")["result"]["tools"]
    stack.stream_opened()
    assert traced.close() == 0
    modules = {line.rsplit(b"|", 1)[-1].strip().decode() for line in traced.stderr.splitlines() if b"|" in line}
    assert "bridge.stdio" in modules and "bridge.proxy.http11" in modules
    banned = ("mcp", "mcp_types", "httpx2", "httpcore2", "anyio", "h11")
    assert not {m for m in modules if m.split(".")[0] in banned}
