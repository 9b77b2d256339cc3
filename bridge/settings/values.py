"""Pure parsing and validation of setting values, shared by the models, the command line and the GUI.

No I/O and no state: each function takes what a person typed (or what a file held) and returns the clean value, or
raises `SettingsError` with a message fit to show as is.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from bridge.endpoint import SANDBOX_PORT, base_url
from bridge.errors import SettingsError
from bridge.policy.names import ACTION_IDENTIFIER_SYMBOLS, is_action_identifier

_TOOL_RE = re.compile(r"^[A-Za-z0-9_.\-/]+$")  # MCP tool names may also use '.' and '/'
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_NAME = 100
_MAX_SLUG = 40  # room left for a -N suffix below _MAX_ID
_MAX_ID = 64
_MAX_SECRET_REF = 200  # a keyring entry name is short; anything longer is probably a pasted token
_EXAMPLE_URL = f"{base_url(SANDBOX_PORT)}/v1"


class Region(StrEnum):
    EU = "eu"
    US = "us"
    CUSTOM = "custom"  # any other MCP endpoint: the sandbox, a private deployment


class AuthMode(StrEnum):
    OAUTH = "oauth"  # sign in through the browser
    TOKEN = "token"  # noqa: S105 - a mode, not a secret: a Port API token kept in the keyring


@dataclass(frozen=True)
class PortRegion:
    """One of Port's regions, as Port's installation guide names it."""

    code: Region
    label: str  # "Europe"
    app_host: str  # where people open Port in the browser: how they recognise their region
    mcp_url: str
    api_url: str
    egress_ips: str  # Port's published addresses, for firewalls and VPNs that allow-list


# The one region table: the settings, the doctor, the wizard and the Profiles page all read it.
PORT_REGIONS: dict[Region, PortRegion] = {
    Region.EU: PortRegion(Region.EU, "Europe", "app.port.io", "https://mcp.port.io/v1", "https://api.port.io/v1",
                          "3.251.12.205, 34.252.219.131, 54.75.236.107"),
    Region.US: PortRegion(Region.US, "United States", "app.us.port.io", "https://mcp.us.port.io/v1",
                          "https://api.us.port.io/v1", "44.221.30.248, 44.193.148.179, 34.197.132.205"),
}  # fmt: skip


# Port's own host names, both domains: `port.io` (the docs' current MCP, API and app addresses) and the older
# `getport.io` (still throughout the docs: `app.getport.io`, `api.getport.io`, `api.us.getport.io`), with `app.`,
# `api.` or `mcp.`, `.us` for the US region, nothing (or `.eu`, port-docs docs/troubleshooting.md) for Europe. Sources
# (port-labs/port-docs 4893974ae): docs/generalTemplates/_port_api_available_regions.md (app.port.io -> api.port.io,
# app.us.port.io -> api.us.port.io), docs/generalTemplates/_mcp-installation.md (mcp.port.io, mcp.us.port.io), the
# swagger.md CORS tip (app.getport.io is EU), the Ocean `port.baseUrl` tables (api.getport.io EU, api.us.getport.io
# US); port-labs/port-mcp-server fbd4398 src/config/server_config.py (same). docs/port-compatibility.md lists them.
_PORT_HOST_RE = re.compile(r"^(?P<kind>app|api|mcp)(?:\.(?P<region>us|eu))?\.(?:get)?port\.io$")
HostKind = Literal["app", "api", "mcp"]
_KIND_WORDS: dict[str, str] = {"app": "web app", "api": "API", "mcp": "MCP server"}


@dataclass(frozen=True)
class PortAddress:
    """One of Port's own addresses, recognised in what a person pasted: which region, and what it was."""

    region: Region  # EU or US
    kind: HostKind
    host: str

    @property
    def port_region(self) -> PortRegion:
        return PORT_REGIONS[self.region]

    @property
    def note(self) -> str:
        """What to tell the person who pasted it: "This is Port's EU web app address; the bridge will use ..."."""
        return (
            f"This is Port's {self.region.name} {_KIND_WORDS[self.kind]} address ({self.host}); "
            f"the bridge will use {self.port_region.mcp_url}."
        )


# --- pure parsing and validation, shared by the models, the command line and the GUI -----------------------


def port_address(text: str) -> PortAddress | None:
    """Port's own address in a pasted URL or bare host name (any scheme, path or port), else None."""
    value = text.strip()
    if not value or any(ch.isspace() for ch in value):
        return None
    try:
        host = urlsplit(value if "://" in value else f"//{value}").hostname
    except ValueError:
        return None
    match = _PORT_HOST_RE.match((host or "").rstrip("."))
    if match is None:
        return None
    region = Region.US if match["region"] == "us" else Region.EU
    kind: HostKind = "app" if match["kind"] == "app" else "api" if match["kind"] == "api" else "mcp"
    return PortAddress(region, kind, match.group(0))


def region_note(text: str) -> str | None:
    """For a pasted Port address (not a plain "eu"/"us"), the sentence saying what the bridge makes of it."""
    address = port_address(text)
    return None if address is None or text.strip().lower() in (Region.EU, Region.US) else address.note


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1): the only hosts plain http may reach."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_mcp_url(url: str) -> str:
    """Check a custom MCP endpoint's URL; return it stripped, or raise `SettingsError` saying why not."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise SettingsError(f"'{text}' is not a valid URL. Example: {_EXAMPLE_URL}") from None
    if parts.scheme not in ("http", "https"):
        raise SettingsError(
            f"'{text}' is not a valid MCP URL: it must start with https:// "
            f"(or http:// for a server on this computer), for example {_EXAMPLE_URL}."
        )
    if parts.username is not None or parts.password is not None:
        # Don't echo it back: the part before '@' may be a password.
        raise SettingsError(
            "The URL contains a user name or password. Remove it: credentials are kept in the system "
            "keychain, never in the URL."
        )
    if not parts.hostname:
        raise SettingsError(f"'{text}' has no host name. Example: {_EXAMPLE_URL}")
    if parts.query or parts.fragment:
        raise SettingsError(f"'{text}' must not contain '?' or '#'. Example: {_EXAMPLE_URL}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SettingsError(
            f"'{text}' uses plain http:// to another machine, which would send your Port credentials "
            "unencrypted. Use https://, or http:// only for this computer (127.0.0.1, localhost or ::1)."
        )
    return text


def parse_region(text: str) -> tuple[Region, str | None]:
    """What a person typed ("eu", "US", or an MCP URL) -> the region and, for a custom region, its URL.

    Any of Port's own addresses (`port_address`: the web app's, the API's or the MCP server's, on port.io or
    getport.io) is its region, with the region's canonical URLs: pasting `https://app.port.io/...` into the MCP URL
    field is understood, never kept as an MCP URL."""
    value = text.strip()
    lowered = value.lower()
    if lowered in (Region.EU, Region.US):
        return Region(lowered), None
    address = port_address(value)
    if address is not None:
        return address.region, None
    if "://" in value:
        return Region.CUSTOM, validate_mcp_url(value)
    if lowered == Region.CUSTOM:
        raise SettingsError(f"For a custom region give its MCP endpoint's URL, for example {_EXAMPLE_URL}.")
    raise SettingsError(
        f"Unknown region '{value}'. Use eu, us, or the URL of a Port MCP endpoint such as {_EXAMPLE_URL}."
    )


def validate_api_url(url: str) -> str:
    """A custom profile's Port API URL, where token mode exchanges API credentials (`<it>/auth/access_token`).

    The same rules as an MCP URL. One of Port's own addresses becomes its region's API URL (a pasted app address
    must not receive credentials). A URL without a path gets Port's `/v1`: the docs give API URLs both as
    `https://api.port.io` and as `.../v1` (port-docs docs/generalTemplates/_port_api_available_regions.md)."""
    address = port_address(url)
    if address is not None:
        return address.port_region.api_url
    text = validate_mcp_url(url).rstrip("/")
    parts = urlsplit(text)
    return text if parts.path else urlunsplit(parts._replace(path="/v1"))


def default_api_url(mcp_url: str) -> str | None:
    """The API URL a custom MCP URL implies, only where it is known: on this computer (the sandbox serves Port's API
    beside its MCP endpoint), the MCP URL's origin + /v1. Elsewhere None: the bridge never guesses where to send
    credentials, the person gives the API URL."""
    parts = urlsplit(mcp_url)
    if parts.hostname and is_loopback_host(parts.hostname):
        return f"{parts.scheme}://{parts.netloc}/v1"
    return None


def api_url_needed(profile_name: str, mcp_url: str) -> str:
    """The message for token mode on a custom MCP URL with no API URL (said before any credentials are sent)."""
    return (
        f"{profile_name} uses API credentials with the MCP URL {mcp_url}, which is not one of Port's regions, so "
        "the bridge does not know where Port's API for it is and will not guess where to send the credentials. "
        "Give the profile its API URL (the Port API that serves this MCP endpoint, e.g. https://api.example.com/v1)."
    )


def parse_auth_mode(text: str) -> AuthMode:
    value = str(text).strip().lower()
    try:
        return AuthMode(value)
    except ValueError:
        raise SettingsError(f"Unknown sign-in method '{text}'. Use oauth or token.") from None


def split_csv(text: str) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def validate_action_ids(ids: Iterable[str]) -> list[str]:
    """Check action (and workflow) identifiers by Port's rule (`policy.names.is_action_identifier`: letters, digits
    and `@ _ . + : = -`); return them stripped and de-duplicated."""
    result = [str(i).strip() for i in ids]
    for ident in result:
        if not is_action_identifier(ident):
            raise SettingsError(
                f"'{ident}' is not a valid action identifier: Port's identifiers use only letters, digits and "
                f"{' '.join(ACTION_IDENTIFIER_SYMBOLS)}."
            )
    return _unique(result)


def validate_tool_names(names: Iterable[str]) -> list[str]:
    """Check MCP tool names (letters, digits, '_', '-', '.', '/'); return them stripped and de-duplicated."""
    result = [str(n).strip() for n in names]
    for name in result:
        if not _TOOL_RE.match(name):
            raise SettingsError(f"'{name}' is not a valid tool name: use only letters, digits, '_', '-', '.' and '/'.")
    return _unique(result)


def validate_profile_name(name: str) -> str:
    value = str(name).strip()
    if not value:
        raise SettingsError("A profile needs a name.")
    if len(value) > _MAX_NAME:
        raise SettingsError(f"Profile names are at most {_MAX_NAME} characters.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise SettingsError("Profile names cannot contain control characters.")
    return value


def slugify(name: str) -> str:
    """A stable, filesystem- and URL-safe id from a display name: "Acme (EU)" -> "acme-eu"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:_MAX_SLUG].strip("-")
    return slug or "profile"


def unique_id(name: str, taken: Iterable[str]) -> str:
    """`slugify(name)`, with -2, -3, ... appended if that id is already used."""
    used = set(taken)
    base = slugify(name)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
