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
from urllib.parse import urlsplit

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


# --- pure parsing and validation, shared by the models, the command line and the GUI -----------------------


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
    """What a person typed ("eu", "US", or an MCP URL) -> the region and, for a custom region, its URL."""
    value = text.strip()
    lowered = value.lower()
    if lowered in (Region.EU, Region.US):
        return Region(lowered), None
    if "://" in value:
        return Region.CUSTOM, validate_mcp_url(value)
    if lowered == Region.CUSTOM:
        raise SettingsError(f"For a custom region give its MCP endpoint's URL, for example {_EXAMPLE_URL}.")
    raise SettingsError(
        f"Unknown region '{value}'. Use eu, us, or the URL of a Port MCP endpoint such as {_EXAMPLE_URL}."
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
