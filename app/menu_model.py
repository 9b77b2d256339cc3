"""The tray menu's model: what it offers (items, labels, checked and enabled states, what each does), as plain values.

One model, several views: the tray's context menu (`fill_menu`), the main window a desktop without a system tray gets,
and the active-profile row of the Settings window (`app/menu_view.py`, both). The items' actions are the tray's own
methods, so a click does the same thing (and says the same thing) wherever it is made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from app.activity_text import menu_line
from app.icons import state_label
from bridge.api import SSO_ERROR_PAGE, ClientStatus, ProfileView, State

if TYPE_CHECKING:
    from app.tray import Tray

# The settings file has require_local_key false: any program on this computer can use the bridge.
KEY_OFF_LINE = "⚠ Local key off: any program here can use Port"
NOT_SET_UP = "Not set up"  # no profile yet: nothing to sign in to, the wizard is the way on
SET_UP = "Set up Port MCP Bridge…"
QUIT = "Quit Port MCP Bridge"


@dataclass(frozen=True)
class Item:
    """One entry. `role` says what it is to the views that lay items out themselves ("status", "note", "profile",
    "read_only", "sign_in", "pause", "clients", "activity", "quit", "separator"…). Items compare without their action,
    so a view redraws only when what it shows changed."""

    text: str
    run: Callable[[], None] | None = field(default=None, compare=False)
    role: str = ""
    checkable: bool = False
    checked: bool = False
    enabled: bool = True
    tooltip: str = ""
    children: tuple[Item, ...] = ()

    @property
    def label(self) -> bool:
        """Text only: nothing happens on a click."""
        return self.run is None and not self.children


SEPARATOR = Item("", role="separator")


def profile_label(profile: ProfileView) -> str:
    if profile.demo:  # the sandbox served by this app, not a Port organization somewhere
        return f"{profile.name} — {profile.organization or 'demo'}, on this computer"
    if profile.organization and profile.organization.lower() != profile.name.lower():
        return f"{profile.name} — {profile.organization}"  # not in parentheses: labels add their own
    return profile.name


def client_label(status: ClientStatus) -> tuple[str, bool]:
    """(menu text, connected) for one client: what one click on it will do."""
    name = status.client.name
    if status.problem:
        return f"{name}: cannot edit its file", False
    entry = status.entries[0]
    if entry.state == State.CURRENT:
        return f"{name}: connected", True
    if entry.state == State.STALE:
        return f"{name}: update ({', '.join(entry.reasons) or 'outdated'})", False
    return f"{name}: connect", False


def _bind(fn: Callable[..., object], *args: object) -> Callable[[], None]:
    def run() -> None:
        fn(*args)

    return run


def menu_items(tray: Tray) -> list[Item]:
    """The whole menu, from the controller's current snapshot and what the tray is doing (a sign-in under way)."""
    snapshot = tray.controller.snapshot
    active = snapshot.active
    status = NOT_SET_UP if active is None else f"{state_label(snapshot)}: {profile_label(active)}"
    items = [Item(status, role="status", enabled=False)]
    if tray.warning:
        items.append(Item("No keychain: local key for this run only", role="note", enabled=False))
    if not snapshot.local_key_required:
        items.append(Item(KEY_OFF_LINE, role="note", enabled=False))
    items.append(SEPARATOR)

    if snapshot.profiles:
        items += [
            Item(profile_label(p), _bind(tray.controller.use_profile, p.id), "profile", True, p.active)
            for p in snapshot.profiles
        ]
    else:
        items.append(Item(SET_UP, tray.show_wizard, "add_profile"))  # the demo, or a sign-in, from the start
    if active is not None:
        items.append(
            Item("Read-only", _bind(tray.set_read_only, active.id, not active.read_only), "read_only", True,
                 active.read_only, tooltip="Only tools that read: nothing in Port can be changed from your assistants")
        )  # fmt: skip
        items += sign_in_items(tray, active)
        if active.last_error:  # Port cannot be reached: the doctor says why, step by step
            items.append(Item("Port unreachable: Run doctor…", lambda: tray.controller.showPage.emit("doctor"),
                              "unreachable"))  # fmt: skip
        if active.tool_drift:
            items.append(
                Item("⚠ Port renamed tools in your list: review…", _bind(tray.show_settings, "tools"), "drift")
            )
    items.append(SEPARATOR)

    items.append(Item("Copy MCP URL", _bind(tray.copy_url, snapshot.mcp_url), "copy_url"))
    items.append(Item("Connect a client", role="clients", children=tuple(client_items(tray))))
    items.append(Item("Recent activity", role="activity", children=tuple(activity_items(tray))))
    items.append(SEPARATOR)

    items.append(Item("Resume" if snapshot.paused else "Pause", _bind(tray.controller.set_paused, not snapshot.paused),
                      "pause"))  # fmt: skip
    items.append(Item("Settings…", _bind(tray.show_settings, "profiles"), "settings"))
    items.append(Item("Doctor…", _bind(tray.show_settings, "doctor"), "doctor"))
    items.append(Item("Open logs", tray.open_logs, "logs"))
    items.append(Item(tray.updates.menu_text(), tray.updates.menu_clicked, "updates"))
    items.append(Item("About Port MCP Bridge…", tray.show_about, "about"))
    items.append(SEPARATOR)
    items.append(Item(QUIT, tray.quit_app, "quit"))
    return items


def sign_in_items(tray: Tray, active: ProfileView) -> list[Item]:
    if active.demo:
        return []  # the demo organization signs in by itself
    items = []
    if tray.signing_in is not None:
        label = f"Cancel signing in to {tray.signing_in[0]}"
        if tray.sign_in_step:
            label += f": {tray.sign_in_step}"
        items.append(Item(label, tray.cancel_sign_in, "sign_in"))
        if tray.sign_in_link:  # no browser could be opened: the address, one click away
            items.append(Item("Copy sign-in link (open it in a browser)", tray.copy_link, "sign_in"))
    elif not active.has_credentials or active.state == "needs_sign_in":
        items.append(Item(f"Sign in to {active.name}…", _bind(tray.sign_in, active), "sign_in"))
    else:
        items.append(Item(f"Sign out of {active.name}", _bind(tray.sign_out, active), "sign_in"))
    if tray.support_request:  # Port's SSO error page in the browser: what to do is one click away
        items.append(Item(f"Browser shows “{SSO_ERROR_PAGE}”? Copy request for Port support",
                          tray.copy_support_request, "sign_in"))  # fmt: skip
        items.append(Item("Use API credentials instead…", _bind(tray.use_credentials, active.id), "sign_in"))
    return items


def client_items(tray: Tray) -> list[Item]:
    """The "Connect a client" submenu: detected clients first, one click connects (or updates) one."""
    if tray.clients is None:
        return [Item("Looking for clients…", enabled=False)]
    detected = [s for s in tray.clients if s.detected]
    items = [] if detected else [Item("No client found on this computer", enabled=False)]
    for status in detected:
        text, connected = client_label(status)
        items.append(Item(text, _bind(tray.connect_client, status), "client", True, connected))
    others = [s for s in tray.clients if not s.detected]
    if others:
        more = tuple(Item(s.client.name, _bind(tray.connect_client, s), "client") for s in others)
        items.append(Item("Not found here", role="more", children=more))
    items.append(SEPARATOR)
    items.append(Item("Manage clients…", _bind(tray.show_settings, "clients"), "manage_clients"))
    return items


def activity_items(tray: Tray) -> list[Item]:
    """The "Recent activity" submenu: the last calls as lines (read when the activity file changes, never while the
    menu is built), then the page with all of them."""
    if tray.recent is None:
        items = [Item("Reading activity…", enabled=False)]
    elif not tray.recent:
        items = [Item("No calls yet", enabled=False)]
    else:
        show = tray.controller.showCall.emit  # a click: Settings → Activity with the call's details
        items = [Item(menu_line(record), _bind(show, record), "call") for record in tray.recent]
    items.append(SEPARATOR)
    items.append(Item("Show all activity…", _bind(tray.show_settings, "activity"), "show_activity"))
    return items


def fill_menu(menu: QMenu, items: Sequence[Item], submenus: dict[str, QMenu] | None = None) -> None:
    """Render items into a menu (cleared first). A submenu whose role is in `submenus` is that menu, filled in place,
    so it stays the same object while open (the clients' submenu fills in when their files have been read)."""
    menu.clear()
    group: QActionGroup | None = None
    for item in items:
        if item.role == "separator":
            menu.addSeparator()
            continue
        if item.children:
            sub = (submenus or {}).get(item.role)
            if sub is None:
                sub = menu.addMenu(item.text)
            else:
                menu.addMenu(sub)
            fill_menu(sub, item.children)
            continue
        action = menu.addAction(item.text)
        action.setEnabled(item.enabled)
        if item.tooltip:
            action.setToolTip(item.tooltip)
        if item.checkable:
            action.setCheckable(True)
            action.setChecked(item.checked)
        if item.role == "profile":  # one profile is active: an exclusive choice
            group = group or QActionGroup(menu)
            group.addAction(action)
        if item.run is not None:
            action.triggered.connect(_bind(item.run))
