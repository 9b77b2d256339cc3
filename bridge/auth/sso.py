"""What Port's SSO organizations need before MCP clients can register, in words and as a request to support."""

from __future__ import annotations

from bridge.errors import RegistrationRefused

SUPPORT_REQUEST = (
    "Hello Port support, please upgrade our organization's SSO connection to domain-level mode so that Dynamic "
    "Client Registration (DCR) works for the Port MCP server. MCP clients (Port MCP Bridge, Cursor, Claude) "
    "currently get an error when they register. Organization: {organization}. Region: {region}."
)


def registration_refused(status: int, detail: str, *, organization: str, region: str) -> RegistrationRefused:
    """The plain-words explanation and the exact request to send to Port support (as Port's docs describe)."""
    request = SUPPORT_REQUEST.format(organization=organization or "<your organization>", region=region)
    return RegistrationRefused(
        "Port refused to register Port MCP Bridge as an app for your organization "
        f"(HTTP {status}{': ' + detail if detail else ''}). This happens when the organization signs in with SSO and "
        'its SSO connection is not yet in "domain level" mode, which is what lets MCP clients register. Only Port '
        "support can switch it on. Send them this:\n\n"
        f"    {request}\n\n"
        "Meanwhile, token mode works: create API credentials in Port (avatar menu → Credentials) and run "
        "`port-mcp-bridge login --token`."
    )
