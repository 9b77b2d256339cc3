#!/bin/sh
# Remove Port MCP Bridge for the current user: ./uninstall.sh [--remove-settings]
#
# Removes the program, its two links in ~/.local/bin, the menu entry and icons, and a start-at-login entry if you
# turned that on. Your settings (profiles, backups of client files), logs and keychain entries stay unless you pass
# --remove-settings, which also signs the profiles out and deletes those (the keychain's with secret-tool).
# Run it from the installed folder (DIR/uninstall.sh); it removes that folder.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
state=${XDG_STATE_HOME:-$HOME/.local/state}
remove_settings=no
[ "${1:-}" = "--remove-settings" ] && remove_settings=yes

if [ "$remove_settings" = yes ]; then
    # Sign out first where the program still runs: revokes sign-ins at Port and deletes their keychain entries.
    if [ -x "$here/port-mcp-bridge" ]; then
        "$here/port-mcp-bridge" profiles list --json 2>/dev/null | grep -o '^      "id": "[^"]*"' | cut -d'"' -f4 |
            while read -r profile; do "$here/port-mcp-bridge" logout --profile "$profile" >/dev/null 2>&1 || true; done
    fi
    if command -v secret-tool >/dev/null 2>&1; then
        secret-tool clear service port-mcp-bridge 2>/dev/null || true
    else
        echo "secret-tool not found: remove the entries named port-mcp-bridge in your keyring app (Passwords and Keys)."
    fi
    rm -rf "$config/port-mcp-bridge" "$state/port-mcp-bridge"
    echo "Removed the settings ($config/port-mcp-bridge), the logs ($state/port-mcp-bridge) and the keychain entries."
fi

for link in "$HOME/.local/bin/port-mcp-bridge" "$HOME/.local/bin/port-mcp-bridge-app"; do
    if [ -L "$link" ]; then rm -f "$link"; fi
done
rm -f "$data/applications/io.port.mcp-bridge.desktop" "$config/autostart/port-mcp-bridge.desktop"
find "$data/icons/hicolor" -name 'port-mcp-bridge.*' -path '*/apps/*' -delete 2>/dev/null || true
update-desktop-database "$data/applications" >/dev/null 2>&1 || true

if [ -x "$here/port-mcp-bridge-app" ] && [ -d "$here/_internal" ]; then
    rm -rf "$here"
    echo "Removed $here."
fi
if [ "$remove_settings" = no ]; then
    echo "Your settings in $config/port-mcp-bridge and your keychain entries (service port-mcp-bridge) were kept."
    echo "To remove them as well: secret-tool clear service port-mcp-bridge; rm -r \"$config/port-mcp-bridge\" \"$state/port-mcp-bridge\""
    echo "(sign profiles out first to revoke them at Port: port-mcp-bridge logout --profile <id>)."
fi
