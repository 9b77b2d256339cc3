"""`port-mcp-bridge doctor`: check, step by step, everything between this machine and Port for a profile.

Each check is small and reports what it saw and, when it fails, what to do. The output is meant to be pasted into a
support request as it is: it never contains a token, secret or key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import keyring

from bridge import __version__
from bridge.auth.keychain import NO_KEYCHAIN, keychain_available
from bridge.auth.oauth_tokens import OAuthTokenProvider
from bridge.auth.records import TOKENS_REF
from bridge.auth.sso import sso_help
from bridge.auth.tokens import TokenProvider
from bridge.endpoint import base_url, probe
from bridge.errors import Action, BridgeError, Do, SignInRequired
from bridge.proxy.sender import same_server
from bridge.proxy.service import default_tokens
from bridge.settings import AuthMode, Profile, Settings, SettingsStore
from bridge.settings.values import PORT_REGIONS


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    advice: str = ""  # what to do, in the app's words (buttons and pages, never a command)
    cli: str = ""  # the same for a command-line user: the report's text (`port-mcp-bridge doctor`) adds it
    skipped: bool = False  # not run: it needs what an earlier check found missing (`detail` says what)
    actions: tuple[Action, ...] = ()  # the buttons the Doctor page shows for it (`check_actions`)


def not_run(name: str, why: str) -> Check:
    """A check that cannot run after an earlier one failed: still listed, so the report shows every step."""
    return Check(name, False, f"Not checked: {why}.", skipped=True)


# The demo organization is the sandbox served inside the tray app (bridge/api/demo.py): nothing to sign in to, and
# it is there only while the app runs.
DEMO_SIGN_IN = "the demo organization signs in automatically (built-in demo credentials): a token was obtained"
DEMO_NOT_RUNNING = (
    "The demo organization runs inside the Port MCP Bridge app, only while the app is open.",
    "Open Port MCP Bridge, then run the checks again.",
)


def _timed(fn: Callable[[], str]) -> tuple[str, float]:
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1000


def check_dns(host: str) -> Check:
    try:
        addresses, ms = _timed(lambda: ", ".join(sorted({str(a[4][0]) for a in socket.getaddrinfo(host, None)})))
    except OSError as exc:
        return Check("DNS", False, f"{host} does not resolve ({exc.strerror or exc}).",
                     "Check your network connection, VPN and DNS settings.")  # fmt: skip
    return Check("DNS", True, f"{host} → {addresses} ({ms:.0f} ms)")


TLS_ADVICE = (
    "A proxy or security product may be inspecting HTTPS (common in companies). Ask IT for the company's root "
    "certificate, point the SSL_CERT_FILE environment variable at a bundle that includes it, and restart Port MCP "
    "Bridge."
)


BLOCKED = "A firewall, proxy or VPN may block it."


def check_actions(check: Check, region: str, *, demo: bool = False) -> tuple[Action, ...]:
    """What the Doctor page offers as buttons for a failed check (pure): sign in, choose another port, or copy
    Port's addresses for whoever runs the network. The advice text says the same for the command line."""
    if check.ok or check.skipped:
        return ()
    if check.name == "Sign-in" and not demo:
        return (Action(Do.SIGN_IN, "Sign in…"),)
    if check.name == "Local port" and check.detail.startswith("Another program"):
        return (Action(Do.CHOOSE_PORT, "Choose another port"),)
    known = next((r for r in PORT_REGIONS.values() if r.code.value == region), None)
    if known is not None and BLOCKED in check.advice:
        hosts = ", ".join(str(urlsplit(url).hostname) for url in (known.mcp_url, known.api_url))
        text = (f"Port MCP Bridge needs HTTPS (443) to Port's {known.label} region: {hosts}. "
                f"Port's outgoing addresses, for allow-lists: {known.egress_ips}.")  # fmt: skip
        return (Action(Do.COPY_LINK, "Copy Port's addresses for your IT team", text),)
    return ()


def _blocked_advice(region: str) -> str:
    advice = BLOCKED
    known = next((r for r in PORT_REGIONS.values() if r.code.value == region), None)
    if known is not None:
        advice += f" If your network allows only listed addresses, ask for Port's {region.upper()} addresses: "
        advice += f"{known.egress_ips}."
        # Port's guide tells administrators to block the MCP host to turn Port MCP off ("How can I disable the Port MCP
        # installation option?", docs.port.io installation page FAQ): then nothing here can or should get around it.
        host = urlsplit(known.mcp_url).hostname
        advice += (f" Some companies block {host} on purpose, as Port suggests to administrators who want MCP off: "
                   "then ask your administrator whether MCP is allowed.")  # fmt: skip
    return advice


def proxy_for(url: str) -> str | None:
    """The proxy the bridge's HTTP client uses for `url` (HTTPS_PROXY, ALL_PROXY, NO_PROXY, as httpx2 reads them)."""
    import urllib.request

    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def check_trust() -> Check:
    """Which certificate authorities the bridge trusts: custom ones are a common cause of TLS failures."""
    custom = [f"{name}={os.environ[name]}" for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(name)]
    if custom:
        return Check("Certificates", True, "custom certificate authorities from " + ", ".join(custom))
    return Check("Certificates", True, "the certificate authorities bundled with Port MCP Bridge (certifi)")


def check_connect(host: str, port: int, use_tls: bool, *, region: str = "") -> Check:
    """Reach the host the way the bridge does: same proxy settings, same certificate authorities (httpx2's)."""
    scheme = "https" if use_tls else "http"
    url = f"{scheme}://{host}:{port}/"
    proxy = proxy_for(url)
    via = f" through the proxy {urlsplit(proxy).netloc}" if proxy else ""

    def connect() -> str:
        if proxy:
            with httpx2.Client(timeout=10, trust_env=True) as http:
                http.head(url)  # any HTTP answer proves the path; the status does not matter here
            return f"{scheme.upper()} to {host} works{via}"
        with socket.create_connection((host, port), timeout=10) as raw:
            if not use_tls:
                return "TCP connection established"
            with httpx2.create_ssl_context().wrap_socket(raw, server_hostname=host) as tls:
                return f"TLS {tls.version()} established, certificate valid for {host}"

    try:
        detail, ms = _timed(connect)
    except ssl.SSLCertVerificationError as exc:
        return Check("TLS", False, f"The certificate of {host} was not accepted: {exc.verify_message}.", TLS_ADVICE)
    except httpx2.ProxyError as exc:
        return Check("Connection", False, f"The proxy {urlsplit(proxy or '').netloc} refused to connect to {host} "
                     f"({exc}).", "Check the proxy address and credentials in HTTPS_PROXY, or ask IT to allow "
                     f"{host}.")  # fmt: skip
    except httpx2.ConnectError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return Check("TLS", False, f"The certificate of {host} was not accepted{via}.", TLS_ADVICE)
        advice = (f"The proxy did not answer: check the address in HTTPS_PROXY (or ALL_PROXY), or add {host} to "
                  "NO_PROXY if it should be reached directly." if proxy else _blocked_advice(region))  # fmt: skip
        return Check("Connection", False, f"Cannot connect to {host}:{port}{via} ({exc}).", advice)
    except (OSError, httpx2.HTTPError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        return Check("Connection", False, f"Cannot connect to {host}:{port}{via} ({reason}).", _blocked_advice(region))
    return Check("Connection", True, f"{detail} ({ms:.0f} ms)")


def never_signed_in(profile: Profile) -> bool:
    """A browser profile that has never completed a sign-in: no tokens saved, and no organization ever learnt."""
    return profile.auth_mode == AuthMode.OAUTH and TOKENS_REF not in profile.secret_refs and not profile.organization_id


async def check_token(profile: Profile, tokens: TokenProvider, *, demo: bool = False) -> tuple[Check, str | None]:
    try:
        token = await tokens.token()
    except SignInRequired as exc:
        advice = "Sign in again from the app's menu or in Settings → Profiles."
        cli = f"Command line: `port-mcp-bridge login --profile {profile.id}`."
        if never_signed_in(profile):  # Port's SSO error page is the usual reason a first sign-in never completes
            advice = ("Sign in from the app's menu or in Settings → Profiles. This profile has never completed a "
                      f"sign-in. {sso_help(profile).text}")  # fmt: skip
        return Check("Sign-in", False, exc.message, advice, cli), None
    except httpx2.HTTPError as exc:
        return Check("Sign-in", False, f"The token service could not be reached ({type(exc).__name__}).",
                     "Check the connection to the API host of this region."), None  # fmt: skip
    return Check(
        "Sign-in", True, DEMO_SIGN_IN if demo else f"{profile.auth_mode.value} mode: a token was obtained"
    ), token


PROBE_TOOL = "describe_user_details"  # read-only, in every era of Port's tools (port-docs src/data/mcpTools.js)

# Port's installation guide, FAQ "MCP tools appear but fail when using a corporate VPN or firewall" (docs.port.io,
# checked 2026-12-06): "If your MCP client shows the Port tools but all tool calls fail when connected to a corporate
# VPN or behind a firewall, your network may be blocking outbound traffic to Port's servers. To resolve this, ask your
# network administrator to whitelist the following IP addresses".
CALLS_BLOCKED = (
    "Port's tools are listed but calling one fails: Port's guide says this is a network (a corporate VPN or "
    "firewall) blocking traffic to Port's servers."
)


async def check_mcp(profile: Profile, token: str) -> Check:
    """Port's MCP server answers `initialize` with this token (the first of `mcp_checks`)."""
    return (await mcp_checks(profile, token, tools=False))[0]


async def mcp_checks(profile: Profile, token: str | None, *, tools: bool = True) -> list[Check]:
    """`initialize`, then in the same session (`tools`) `tools/list` and a call of a read-only tool: a network can let
    the list through and block the calls, the case Port's guide describes. Without a token (the sign-in failed) only
    `initialize` is tried: Port's 401 still proves its MCP server is there."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "port-mcp-bridge-doctor",
                                                                            "version": __version__}}}  # fmt: skip
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    url = profile.mcp_url
    try:
        async with httpx2.AsyncClient(timeout=20) as http:
            start = time.perf_counter()
            for _ in range(4):  # redirects within the same server are followed, as the bridge does (at most 3)
                response = await http.post(url, json=body, headers=headers)
                target = same_server(url, response.headers.get("location"))
                if response.status_code not in (307, 308) or target is None:
                    break
                url = target
            checks = [_initialized(profile, response, url, (time.perf_counter() - start) * 1000, token is not None)]
            if session := response.headers.get("mcp-session-id"):
                headers["Mcp-Session-Id"] = session
            version = ((_message(response, 1) or {}).get("result") or {}).get("protocolVersion")
            if isinstance(version, str):
                headers["MCP-Protocol-Version"] = version
            if tools and checks[0].ok and token is not None:
                checks += await _tool_checks(http, url, headers, profile.region.value)
            elif tools:
                why = "it needs the sign-in above" if token is None else "it needs the MCP handshake above"
                checks += [not_run("Tools", why), not_run("Tool call", why)]
            if session:
                with contextlib.suppress(httpx2.HTTPError):
                    await http.delete(url, headers=headers)
    except httpx2.HTTPError as exc:
        failed = Check("MCP", False, f"No answer from {url} ({type(exc).__name__}).")
        why = "it needs the MCP handshake above"
        return [failed, not_run("Tools", why), not_run("Tool call", why)] if tools else [failed]
    return checks


def _initialized(profile: Profile, response: httpx2.Response, url: str, ms: float, signed: bool = True) -> Check:
    set_url = f"`port-mcp-bridge profiles set {profile.id} --region <URL>`"  # the CLI's words; the app's: Profiles
    if 300 <= response.status_code < 400:
        location = response.headers.get("location") or "nowhere"
        return Check("MCP", False, f"Port redirects to {location} (HTTP {response.status_code}), which the bridge does "
                     "not follow: only redirects within the same server are, so the sign-in is never sent elsewhere.",
                     "If Port's address has changed, set it on the profile in Settings → Profiles.",
                     f"Command line: {set_url}.")  # fmt: skip
    # Asked without a token: Port is there and wants the sign-in (the 401 sign-in discovery starts from, auth/discovery)
    if response.status_code == 401 and not signed:
        return Check("MCP", True, f"Port's MCP server answers at {url} and asks for a sign-in (the step above)")
    if response.status_code == 401:
        return Check("MCP", False, "Port refused the token (401).", f"Sign in again to {profile.name}.")
    status = response.status_code
    if status in (403, 407):  # often not Port at all: a proxy's or firewall's page
        return Check("MCP", False, f"HTTP {status}: something refused the request on the way to Port.",
                     _blocked_advice(profile.region.value))  # fmt: skip
    if status == 404:
        return Check("MCP", False, f"HTTP 404: there is no MCP endpoint at {url}.",
                     "Check the profile's region or address in Settings → Profiles.",
                     f"Command line: {set_url.replace('<URL>', 'eu|us|<URL>')}.")  # fmt: skip
    if status == 429:
        return Check("MCP", False, "HTTP 429: Port is limiting requests.", "Wait a minute and run the checks again.")
    if status >= 400:
        return Check("MCP", False, f"Port answered HTTP {status}.",
                     "Try again later; if it persists, send this report to Port support.")  # fmt: skip
    if url != profile.mcp_url:
        command = set_url.replace("<URL>", url)
        return Check("MCP", True, f"initialize answered in {ms:.0f} ms, after a redirect to {url}",
                     f"Set the profile's URL to it in Settings → Profiles to save a round trip per request: {url}.",
                     f"Command line: {command}.")  # fmt: skip
    return Check("MCP", True, f"initialize answered in {ms:.0f} ms")


class _Unanswered(Exception):
    """A request of the session got no MCP answer; `blocked`: by the network, as far as one can tell."""

    def __init__(self, detail: str, *, blocked: bool) -> None:
        super().__init__(detail)
        self.detail, self.blocked = detail, blocked


async def _tool_checks(http: httpx2.AsyncClient, url: str, headers: dict[str, str], region: str) -> list[Check]:
    support = "Send this report to Port support."
    try:
        await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        listed, ms = await _request(http, url, headers, 2, "tools/list", {})
    except _Unanswered as exc:
        return [
            Check("Tools", False, f"tools/list: {exc.detail}.", _blocked_advice(region) if exc.blocked else support)
        ]
    except httpx2.HTTPError as exc:
        return [Check("Tools", False, f"tools/list: no answer ({type(exc).__name__}).", _blocked_advice(region))]
    names = [str(tool.get("name")) for tool in listed.get("tools") or [] if isinstance(tool, dict)]
    checks = [Check("Tools", True, f"tools/list answered in {ms:.0f} ms: {len(names)} tools")]
    if PROBE_TOOL not in names:
        return [*checks, Check("Tool call", True, f"not tried: {PROBE_TOOL} is not among the tools listed")]
    try:
        result, ms = await _request(http, url, headers, 3, "tools/call", {"name": PROBE_TOOL, "arguments": {}})
    except _Unanswered as exc:
        advice = f"{CALLS_BLOCKED} {_blocked_advice(region)}" if exc.blocked else support
        return [*checks, Check("Tool call", False, f"{PROBE_TOOL}: {exc.detail}.", advice)]
    except httpx2.HTTPError as exc:
        detail = f"{PROBE_TOOL}: no answer ({type(exc).__name__})."
        return [*checks, Check("Tool call", False, detail, f"{CALLS_BLOCKED} {_blocked_advice(region)}")]
    if result.get("isError"):
        text = " ".join(str(c.get("text", "")) for c in result.get("content") or [] if isinstance(c, dict)).strip()
        return [*checks, Check("Tool call", False, f"{PROBE_TOOL} answered with an error: {text[:300]}", support)]
    return [*checks, Check("Tool call", True, f"{PROBE_TOOL} (read-only) answered in {ms:.0f} ms")]


async def _request(
    http: httpx2.AsyncClient, url: str, headers: dict[str, str], id_: int, method: str, params: dict[str, object]
) -> tuple[dict[str, Any], float]:
    """The result of one JSON-RPC request in the session, and how long it took; `_Unanswered` otherwise."""
    start = time.perf_counter()
    response = await http.post(url, json={"jsonrpc": "2.0", "id": id_, "method": method, "params": params},
                               headers=headers)  # fmt: skip
    ms = (time.perf_counter() - start) * 1000
    message = _message(response, id_)
    status = response.status_code
    if status == 401:
        raise _Unanswered("Port refused the token (401)", blocked=False)
    if status in (403, 407):  # a proxy's or firewall's page, as for initialize
        raise _Unanswered(f"HTTP {status}: something refused the request on the way to Port", blocked=True)
    if message is None:  # not an MCP answer at all: someone else's page, or an answer cut short
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise _Unanswered(f"HTTP {status} with an answer that is not MCP ({kind})", blocked=True)
    if isinstance(message.get("error"), dict):
        error = message["error"]
        raise _Unanswered(f"Port answered error {error.get('code')}: {error.get('message')}", blocked=False)
    result = message.get("result")
    return (result if isinstance(result, dict) else {}), ms


def _message(response: httpx2.Response, id_: int) -> dict[str, Any] | None:
    """The JSON-RPC answer with this id, from a JSON body or an event stream; None when there is none."""
    candidates: list[object] = []
    if "text/event-stream" in response.headers.get("content-type", ""):
        for line in response.text.splitlines():
            if line.startswith("data:"):
                with contextlib.suppress(ValueError):
                    candidates.append(json.loads(line[5:]))
    else:
        with contextlib.suppress(ValueError):
            candidates.append(response.json())
    return next((c for c in candidates if isinstance(c, dict) and c.get("id") == id_), None)


# --- on this machine ---------------------------------------------------------------------------------------------


def check_settings(store: SettingsStore) -> Check:
    """The settings file can be read (a corrupt one was moved aside: say where)."""
    try:
        settings = store.load()
    except (OSError, BridgeError) as exc:
        return Check("Settings", False, f"{store.path} could not be read ({exc}).",
                     "Check the folder's permissions; the file is plain JSON.")  # fmt: skip
    if store.notice:
        advice = "Your profiles were reset; add them again in Settings → Profiles."
        return Check("Settings", False, store.notice, advice)
    return Check("Settings", True, f"{store.path}: {len(settings.profiles)} profile(s)")


def check_keychain(*, demo: bool = False) -> Check:
    """The demo organization needs no keychain (`demo`): then a missing one is said, not failed."""
    if keychain_available():
        return Check("Keychain", True, f"{type(keyring.get_keyring()).__name__} keeps tokens and the local key")
    if demo:
        return Check("Keychain", True, "No usable system keychain was found: the demo organization does not need "
                     "one; signing in to a real Port organization will.", NO_KEYCHAIN)  # fmt: skip
    return Check("Keychain", False, "No usable system keychain was found.", NO_KEYCHAIN)


def check_local_port(port: int, *, serving_here: bool, key: str | None = None) -> Check:
    """Who answers on 127.0.0.1:<port>: our bridge (proved with the local `key`'s challenge when there is one),
    another program or one posing as the bridge (failures: clients would talk to it, and give it their key), or
    nothing, which is a failure only where the bridge should be serving (`serving_here`: the tray app)."""
    where = base_url(port).removeprefix("http://")
    alive = probe(port, timeout=3, key=key)
    if alive == "bridge":
        unchecked = "" if key else " (without a local key it cannot be asked to prove it is the bridge)"
        return Check("Local port", True, f"the bridge answers on {where}{unchecked}")
    if alive == "unproven":
        return Check("Local port", False, f"A program answers like the bridge on {where} but cannot prove it holds "
                     "the local key: a program posing as the bridge, or a bridge of an older version or with another "
                     "key. Clients would give it their key and messages.",
                     "Quit that program (or restart the computer), then start Port MCP Bridge again.")  # fmt: skip
    if alive == "other":
        return Check("Local port", False, f"Another program answers on {where}.",
                     "Quit it, or choose another port in Settings → General and update your clients.")  # fmt: skip
    if serving_here:
        return Check("Local port", False, f"Nothing answers on {where}.",
                     "Quit Port MCP Bridge and start it again.")  # fmt: skip
    return Check("Local port", True, f"no bridge is running on {where} now; the app starts it, and so do clients "
                 "connected through the bridge's stdio command")  # fmt: skip


def check_tool_limits(exposed: int, limits: dict[str, int], connected: Collection[str] = ()) -> Check:
    """Pure: the exposed tool count against clients' limits (`Client.tool_limit` by client name). Only a client
    that is connected (has our entry) fails the check; other limits are mentioned for when it gets connected."""
    over = sorted((limit, name) for name, limit in limits.items() if exposed > limit)
    if not over:
        return Check("Tool count", True, f"{exposed} tools exposed, within every client's limit")
    hurt = [(limit, name) for limit, name in over if name in connected]
    named = ", ".join(f"{name} ({limit})" for limit, name in hurt or over)
    if not hurt:
        return Check("Tool count", True, f"{exposed} tools exposed; more than {named} handle well, if you connect it")
    return Check("Tool count", False, f"{exposed} tools exposed: more than {named} handle well.",
                 "Hide tools you do not use in Settings → Tools, or turn on Read-only.")  # fmt: skip


def read_only_tokens(profile: Profile) -> TokenProvider:
    """Doctor runs beside the bridge: it may use a saved OAuth token but never refresh it (that would race the
    bridge's refresh, and Port's reuse detection would end the sign-in)."""
    if profile.auth_mode == AuthMode.OAUTH:
        return OAuthTokenProvider(profile, refresh=False)
    return default_tokens(profile)


def run_checks(
    settings: Settings, profile: Profile, tokens: TokenProvider | None = None, *, demo: bool = False
) -> list[Check]:
    """Every step, in order; a step that needs one that failed is listed as not run, and the others still run (the
    sign-in does not need the MCP host: in token mode its token comes from the API host). `demo`: the profile is the
    demo organization served by the tray app (its `tokens` are the demo's, never the keychain's)."""
    url = urlsplit(profile.mcp_url)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    where = (f"the demo organization, on this computer at {profile.mcp_url}" if demo else
             f"{profile.mcp_url}, {profile.region_label}")  # fmt: skip
    checks = [Check("Profile", True, f"{profile.name} ({profile.id}): {where}"), check_dns(host)]
    if checks[-1].ok:
        if url.scheme == "https":
            checks.append(check_trust())
        checks.append(check_connect(host, port, url.scheme == "https", region=profile.region.value))
        if demo and not checks[-1].ok:
            checks[-1] = Check("Connection", False, *DEMO_NOT_RUNNING)
    else:
        checks.append(not_run("Connection", f"{host} does not resolve"))
    reachable = checks[-1].ok
    mcp_steps = ("MCP", "Tools", "Tool call")

    async def remote() -> list[Check]:
        if demo and not reachable:  # its token service is the same sandbox
            return [not_run(name, "the demo organization is not running") for name in ("Sign-in", *mcp_steps)]
        sign_in, token = await check_token(profile, tokens or read_only_tokens(profile), demo=demo)
        if not reachable:
            return [sign_in, *(not_run(name, f"no connection to {host}") for name in mcp_steps)]
        return [sign_in, *await mcp_checks(profile, token)]

    checks += asyncio.run(remote())
    return checks
