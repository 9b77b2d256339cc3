"""Port MCP Bridge's desktop app (Qt tray and windows). It owns no business logic: everything goes through
`bridge.api`, the facade (a test enforces it).

application.py  single instance, crash dialog, `TrayApp` (controller + tray + wizard + settings window)
tray.py         the tray icon and its menu, rebuilt from the bridge's snapshot each time it opens
menu_model.py   the tray menu as plain items (labels, states, the tray's actions); `fill_menu` renders a QMenu
menu_view.py    the same items as a panel of controls (the main window, the Settings window's top row)
main_window.py  the app's window where the desktop has no system tray, with a banner for notifications
icons.py        tray icon per state (resources/icons), light/dark and macOS template; read-only badge
palette.py      status colours at WCAG AA contrast on light and dark windows; `contrast`
wizard.py       first run: demo organization or sign-in, connect a client, done
sso_hint.py     under "Waiting for the browser…": what Port's SSO error page means, Copy request, API credentials
controller.py   `BridgeApi` state as Qt signals; blocking work off the GUI thread
settings/       the settings window
"""
