"""What Port's SSO organizations need before MCP clients can sign in: the one place for these words (the sign-in
while it waits for the browser, its time-out, the registration refusal, doctor, the CLI and the app).

Port's installation guide (port-labs/port-docs `docs/ai-interfaces/port-mcp-server/overview-and-installation.md`,
"Connecting the server when SSO is enabled"): an SSO organization whose connection is not in "domain level" mode
gets an error page, Auth0's "Oops!, something went wrong" (`static/img/ai-agents/PortAIMCPServerSSOEreror.png`),
because dynamically registered apps can use only domain-level connections; only Port support can switch it on. The
registration succeeds and the login page fails, so the app hears nothing back: the user must be told while the
browser is open what that page means. Words here name no command: the app shows them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import RegistrationRefused
from bridge.settings import Profile, Region

ERROR_PAGE = "Oops!, something went wrong"  # the heading of Port's (Auth0's) page, as Port's guide shows it

# Port's guide: "let them know you're experiencing an SSO authentication error when connecting to the MCP Server".
SUPPORT_REQUEST = (
    "Hello Port support, we are experiencing an SSO authentication error when connecting to the Port MCP server: "
    f'signing in from an MCP client (Port MCP Bridge) ends on the page "{ERROR_PAGE}". Please upgrade our '
    'organization\'s SSO connection to "domain level" mode, which enables Dynamic Client Registration (DCR), so '
    "that the MCP server's OAuth flow works with our SSO provider. Organization: {organization}. Region: {region}."
)
UNKNOWN_ORGANIZATION = "<your organization's name in Port>"

WAY_OUT = (
    "Meanwhile, API credentials work without the browser: create them in Port (avatar menu → Credentials) and sign "
    "this profile in with them instead."
)


@dataclass(frozen=True)
class SsoHelp:
    """What it means when the browser shows Port's error page, for one profile."""

    hint: str  # one line under "Waiting for the browser…"
    explanation: str  # Port's installation guide, in a few sentences
    support_request: str  # the text to send to Port support (with the organization and the region)
    way_out: str  # what works today

    @property
    def text(self) -> str:
        """All of it as plain text (the command line, the time-out's message, doctor)."""
        return f"{self.explanation} Send Port support this:\n\n    {self.support_request}\n\n{self.way_out}"


def region_name(profile: Profile) -> str:
    """The region as Port support asks for it ("EU"/"US"), or the address of another server."""
    return profile.mcp_url if profile.region is Region.CUSTOM else profile.region.value.upper()


def support_request(profile: Profile) -> str:
    organization = profile.organization or profile.organization_id or UNKNOWN_ORGANIZATION
    return SUPPORT_REQUEST.format(organization=organization, region=region_name(profile))


def sso_help(profile: Profile) -> SsoHelp:
    return SsoHelp(
        hint=(
            f'If the browser shows "{ERROR_PAGE}" instead of asking you to approve access, your organization\'s SSO '
            "is not yet set up for MCP clients, a change only Port support can make. Send them the request, or use "
            "API credentials instead."
        ),
        explanation=(
            f'If the browser shows "{ERROR_PAGE}" instead of asking you to approve access, your organization signs '
            'in with SSO and its SSO connection is not yet in "domain level" mode. MCP clients register themselves '
            "with Port (Dynamic Client Registration), and such apps can sign in only through a domain-level "
            "connection; only Port support can make the change, and until then the browser never comes back here."
        ),
        support_request=support_request(profile),
        way_out=WAY_OUT,
    )


def registration_refused(status: int, detail: str, profile: Profile) -> RegistrationRefused:
    """Port refused the registration itself (what the product expected of SSO organizations before Port's real
    behaviour was known; a server may still answer so): the same explanation and request."""
    request = support_request(profile)
    return RegistrationRefused(
        "Port refused to register Port MCP Bridge as an app for your organization "
        f"(HTTP {status}{': ' + detail if detail else ''}). This happens when the organization signs in with SSO and "
        'its SSO connection is not yet in "domain level" mode, which is what lets MCP clients register. Only Port '
        f"support can switch it on. Send them this:\n\n    {request}\n\n{WAY_OUT}",
        support_request=request,
    )
