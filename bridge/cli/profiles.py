"""`port-mcp-bridge profiles`: the Port organizations (and sandboxes) the bridge can connect to.

A thin layer over the facade (`bridge.api.BridgeApi`): every check and every message about a bad value comes from
the settings behind it, so the tray app and the command line behave the same. The facade is imported inside each
command to keep `--help` fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bridge.api import BridgeApi, Profile

_REGION_HELP = (
    "eu, us, or the URL of a Port MCP endpoint (e.g. http://127.0.0.1:47780/v1 for the sandbox). Port's own addresses "
    "(app.port.io, app.us.port.io, api.getport.io, mcp.us.port.io…) are read as their region."
)
_API_URL_HELP = (
    "For a custom MCP URL with --auth token: the Port API URL where the API credentials are exchanged for a token "
    "(e.g. https://api.example.com/v1). Needed unless the MCP URL is on this computer (the sandbox: its origin + /v1)."
)


def _region_note(region: str | None) -> None:
    """Say what a pasted Port address was read as ("This is Port's EU web app address; ...")."""
    from bridge.api import region_note

    note = region_note(region or "")
    if note:
        click.echo(note)


def _api() -> BridgeApi:
    from bridge.api import BridgeApi

    return BridgeApi()


def _report_notices(api: BridgeApi) -> None:
    for message in api.notices():
        click.echo(message, err=True)


def _csv(value: str, option: str, hint: str = "") -> list[str]:
    from bridge.api import split_csv

    items = split_csv(value)
    if not items:
        raise click.UsageError(f"{option} needs at least one name{hint}.")
    return items


def _exclusive(**given: object) -> None:
    used = [name for name, value in given.items() if value not in (None, False)]
    if len(used) > 1:
        raise click.UsageError(f"{' and '.join(used)} cannot be used together.")


def _sign_in_json(api: BridgeApi, profile: Profile) -> dict[str, object]:
    from bridge.errors import KeychainError

    try:
        status = api.sign_in_status(profile.id)
    except KeychainError as exc:
        return {"state": "keychain unavailable", "detail": exc.message}
    return {"state": status.state, "expires_at": status.expires_at, "email": status.identity.email or None}


def _sign_in_label(api: BridgeApi, profile: Profile) -> str:
    """'signed in, token until 14:05' and the like (refreshed automatically); never contacts Port."""
    import time

    info = _sign_in_json(api, profile)
    state = str(info["state"])
    expires = info.get("expires_at")
    if state == "signed in" and isinstance(expires, float):
        return f"signed in, token until {time.strftime('%H:%M', time.localtime(expires))}"
    if state == "expired" and isinstance(expires, float):
        return f"expired {time.strftime('%Y-%m-%d %H:%M', time.localtime(expires))}"
    return state


def _actions_label(profile: Profile) -> str:
    if profile.allowed_actions is None:
        return "all"
    return ",".join(profile.allowed_actions) or "none"


def _tools_label(profile: Profile) -> str:
    if profile.tools.mode == "all":
        return "all"
    return f"{profile.tools.mode} {','.join(profile.tools.names) or '(none)'}"


_ASK_BEFORE = click.option(
    "--ask-before",
    "ask_before",
    type=click.Choice(["never", "actions", "writes"], case_sensitive=False),
    help="Which calls wait for your approval before they go to Port: none, those that run actions and workflows, or "
    "every tool that changes data.",
)


@click.group()
def profiles() -> None:
    """List, add, change, remove and switch profiles.

    A profile is one Port organization (or the sandbox) the bridge can connect to. The active profile is
    the one your IDE talks to through the bridge's local endpoint.

    \b
    Examples:
      port-mcp-bridge profiles add "Acme EU" --region eu --org acme --use
      port-mcp-bridge profiles add Sandbox --region http://127.0.0.1:47780/v1
      port-mcp-bridge profiles set acme-eu --read-only --allowed-actions deploy,rollback
      port-mcp-bridge profiles use sandbox
      port-mcp-bridge profiles list
    """


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table.")
def list_profiles(as_json: bool) -> None:
    """Show all profiles; `*` marks the active one.

    \b
    Examples:
      port-mcp-bridge profiles list
      port-mcp-bridge profiles list --json
    """
    api = _api()
    settings = api.settings()
    _report_notices(api)
    if as_json:
        out = {
            "active_profile": settings.active_profile,
            "profiles": [
                {
                    **p.model_dump(mode="json"),
                    "active": p.id == settings.active_profile,
                    "mcp_url": p.mcp_url,
                    "api_url": p.api_url,
                    "sign_in": _sign_in_json(api, p),
                }
                for p in settings.profiles
            ],
        }
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if not settings.profiles:
        click.echo('No profiles yet. Add one with: port-mcp-bridge profiles add "Acme EU" --region eu')
        return
    header = ("", "ID", "NAME", "ORGANIZATION", "REGION", "AUTH", "SIGN-IN", "READ-ONLY", "ACTIONS")
    rows = [
        (
            "*" if p.id == settings.active_profile else "",
            p.id,
            p.name,
            p.organization or "-",
            p.region_label,
            p.auth_mode.value,
            _sign_in_label(api, p),
            "yes" if p.read_only else "no",
            _actions_label(p),
        )
        for p in settings.profiles
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@profiles.command("add")
@click.argument("name")
@click.option("--region", "region", required=True, metavar="eu|us|URL", help=_REGION_HELP)
@click.option("--org", "organization", default="", metavar="LABEL", help="Organization label shown in lists.")
@click.option(
    "--auth",
    "auth_mode",
    type=click.Choice(["oauth", "token"], case_sensitive=False),
    default="oauth",
    show_default=True,
    help="Sign in through the browser (oauth) or with an API token kept in the system keychain.",
)
@click.option("--read-only", is_flag=True, help="Hide every tool that changes data in Port.")
@click.option(
    "--allowed-actions", metavar="A,B", help="Only these self-service actions and workflows may run (identifiers)."
)
@click.option("--no-actions", is_flag=True, help="No self-service action may run.")
@click.option("--use", "make_active", is_flag=True, help="Make it the active profile.")
@click.option("--api-url", metavar="URL", help=_API_URL_HELP)
@_ASK_BEFORE
def add_profile(
    name: str,
    region: str,
    organization: str,
    auth_mode: str,
    read_only: bool,
    allowed_actions: str | None,
    no_actions: bool,
    make_active: bool,
    api_url: str | None,
    ask_before: str | None,
) -> None:
    """Add a profile called NAME. The first profile you add becomes the active one.

    \b
    Examples:
      port-mcp-bridge profiles add "Acme EU" --region eu --org acme
      port-mcp-bridge profiles add "Acme US" --region us --read-only --use
      port-mcp-bridge profiles add Sandbox --region http://127.0.0.1:47780/v1 --allowed-actions deploy
      port-mcp-bridge profiles add CI --region eu --auth token --no-actions
      port-mcp-bridge profiles add Prod --region eu --ask-before actions
      port-mcp-bridge profiles add Acme --region https://app.us.port.io
      port-mcp-bridge profiles add Lab --region https://mcp.lab.dev/v1 --auth token --api-url https://api.lab.dev
    """
    _exclusive(**{"--allowed-actions": allowed_actions, "--no-actions": no_actions})
    actions: list[str] | None = None
    if allowed_actions is not None:
        actions = _csv(allowed_actions, "--allowed-actions", "; use --no-actions to allow none")
    elif no_actions:
        actions = []
    api = _api()
    profile = api.add_profile(
        name,
        region,
        auth_mode,
        organization=organization,
        read_only=read_only,
        allowed_actions=actions,
        make_active=make_active,
        api_url=api_url,
    )
    if ask_before is not None:
        profile = api.edit_profile(profile.id, ask_before=ask_before.lower())
    _report_notices(api)
    _region_note(region)
    if api.settings().active_profile == profile.id:
        click.echo(f"Added profile '{profile.name}' ({profile.id}), now active.")
    else:
        click.echo(
            f"Added profile '{profile.name}' ({profile.id}). "
            f"Switch to it with: port-mcp-bridge profiles use {profile.id}"
        )


@profiles.command("remove")
@click.argument("name_or_id")
def remove_profile(name_or_id: str) -> None:
    """Remove a profile, by id or name, with its saved sign-in. If it was active, the first remaining
    profile becomes active.

    \b
    Example:
      port-mcp-bridge profiles remove acme-eu
    """
    api = _api()
    removed = api.remove_profile(name_or_id)  # its tokens and credentials go with it
    _report_notices(api)
    message = f"Removed profile '{removed.name}' ({removed.id})."
    if removed.keychain_note:
        message += f" Its keychain entries could not be deleted ({removed.keychain_note})"
    active = api.settings().active()
    if active is None:
        message += " No profile is active now."
    else:
        message += f" Active profile: '{active.name}' ({active.id})."
    click.echo(message)


@profiles.command("use")
@click.argument("name_or_id")
def use_profile(name_or_id: str) -> None:
    """Make a profile (by id or name) the active one.

    \b
    Example:
      port-mcp-bridge profiles use "Acme US"
    """
    api = _api()
    profile = api.use_profile(name_or_id)
    _report_notices(api)
    click.echo(f"Now using profile '{profile.name}' ({profile.id}).")


@profiles.command("set")
@click.argument("name_or_id")
@click.option("--name", "new_name", metavar="NEW", help="New display name (the id stays the same).")
@click.option("--region", metavar="eu|us|URL", help=_REGION_HELP)
@click.option("--api-url", metavar="URL", help=_API_URL_HELP + " '' clears it.")
@click.option("--org", "organization", metavar="LABEL", help="Organization label; '' clears it.")
@click.option(
    "--auth",
    "auth_mode",
    type=click.Choice(["oauth", "token"], case_sensitive=False),
    help="Sign in through the browser (oauth) or with an API token kept in the system keychain.",
)
@click.option("--read-only/--read-write", "read_only", default=None, help="Hide or show tools that change data.")
@click.option("--allowed-actions", metavar="A,B", help="Only these self-service actions may run.")
@click.option("--all-actions", is_flag=True, help="Every self-service action may run.")
@click.option("--no-actions", is_flag=True, help="No self-service action may run.")
@click.option("--tools-allow", metavar="T1,T2", help="Offer only these MCP tools to clients.")
@click.option("--tools-deny", metavar="T1,T2", help="Offer every MCP tool except these.")
@click.option("--all-tools", is_flag=True, help="Offer every MCP tool.")
@_ASK_BEFORE
@click.option(
    "--record-arguments/--no-record-arguments",
    "record_arguments",
    default=None,
    help="Keep each call's arguments in Activity (redacted as the logs are), or not (the default).",
)
def set_profile(
    name_or_id: str,
    new_name: str | None,
    region: str | None,
    api_url: str | None,
    organization: str | None,
    auth_mode: str | None,
    read_only: bool | None,
    allowed_actions: str | None,
    all_actions: bool,
    no_actions: bool,
    tools_allow: str | None,
    tools_deny: str | None,
    all_tools: bool,
    ask_before: str | None,
    record_arguments: bool | None,
) -> None:
    """Change a profile (by id or name). Options not given stay as they are.

    \b
    Examples:
      port-mcp-bridge profiles set acme-eu --read-only
      port-mcp-bridge profiles set acme-eu --name "Acme Europe" --org acme-europe
      port-mcp-bridge profiles set sandbox --region http://127.0.0.1:47781/v1
      port-mcp-bridge profiles set acme-eu --allowed-actions deploy,rollback
      port-mcp-bridge profiles set acme-eu --tools-deny delete_entity,delete_blueprint
      port-mcp-bridge profiles set acme-eu --ask-before never
    """
    _exclusive(**{"--allowed-actions": allowed_actions, "--all-actions": all_actions, "--no-actions": no_actions})
    _exclusive(**{"--tools-allow": tools_allow, "--tools-deny": tools_deny, "--all-tools": all_tools})
    changes: dict[str, object] = {}
    if new_name is not None:
        changes["name"] = new_name
    if region is not None:
        changes["region"] = region
    if api_url is not None:
        changes["api_url"] = api_url
    if organization is not None:
        changes["organization"] = organization
    if auth_mode is not None:
        changes["auth_mode"] = auth_mode
    if read_only is not None:
        changes["read_only"] = read_only
    if allowed_actions is not None:
        changes["allowed_actions"] = _csv(allowed_actions, "--allowed-actions", "; use --no-actions to allow none")
    elif all_actions:
        changes["allowed_actions"] = None
    elif no_actions:
        changes["allowed_actions"] = []
    if tools_allow is not None:
        changes["tools"] = {"mode": "allow", "names": _csv(tools_allow, "--tools-allow")}
    elif tools_deny is not None:
        changes["tools"] = {"mode": "deny", "names": _csv(tools_deny, "--tools-deny")}
    elif all_tools:
        changes["tools"] = {"mode": "all", "names": []}
    if ask_before is not None:
        changes["ask_before"] = ask_before.lower()
    if record_arguments is not None:
        changes["record_arguments"] = record_arguments
    if not changes:
        raise click.UsageError("Nothing to change: give at least one option (see --help).")
    api = _api()
    profile = api.edit_profile(name_or_id, **changes)
    _report_notices(api)
    _region_note(region)
    summary = {
        "name": f"name '{profile.name}'",
        "region": f"region {profile.region_label}",
        "api_url": f"API URL {profile.api_url or '(none)'}",
        "organization": f"organization '{profile.organization}'",
        "auth_mode": f"sign-in {profile.auth_mode.value}",
        "read_only": "read-only" if profile.read_only else "read-write",
        "allowed_actions": f"actions {_actions_label(profile)}",
        "tools": f"tools {_tools_label(profile)}",
        "ask_before": f"ask before {profile.ask_before}",
        "record_arguments": "arguments recorded" if profile.record_arguments else "arguments not recorded",
    }
    click.echo(f"Updated profile '{profile.name}' ({profile.id}): {', '.join(summary[k] for k in changes)}.")
