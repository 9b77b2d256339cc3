#!/bin/sh
# Remove Port MCP Bridge for the current user: ./uninstall.sh [--remove-settings]
#
# Removes the program, its two links in ~/.local/bin, the menu entry and icons, and a start-at-login entry if you
# turned that on. Your settings (profiles, backups of client files), logs and keychain entries stay unless you pass
# --remove-settings, which also signs the profiles out and deletes those (the keychain's with secret-tool).
# Run it from the installed folder (DIR/uninstall.sh); it removes that folder only when install.sh made it (the file
# .port-mcp-bridge-install, or nothing but what install.sh copies), and only the links and menu entry that lead to it.
set -eu

marker=.port-mcp-bridge-install
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

ours() { # made by install.sh: the marker, or (before the marker) nothing but what it copies
    [ -f "$here/$marker" ] && return 0
    [ -x "$here/port-mcp-bridge-app" ] && [ -d "$here/_internal" ] || return 1
    for entry in "$here"/* "$here"/.[!.]* "$here"/..?*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        case "${entry##*/}" in
            port-mcp-bridge | port-mcp-bridge-app | _internal | uninstall.sh | INSTALL.txt) ;;
            *) return 1 ;;
        esac
    done
}
leads_here() { # a file or link that names the installed folder
    [ -L "$1" ] && case "$(readlink "$1")" in "$here"/*) return 0 ;; esac
    [ -f "$1" ] && grep -qF "$here/" "$1" 2>/dev/null
}

# Stop the tray app and bridge running from this folder first: they would keep serving from deleted files.
for proc in /proc/[0-9]*; do
    exe=$(readlink "$proc/exe" 2>/dev/null) || continue
    case "$exe" in "$here"/*) kill "${proc#/proc/}" 2>/dev/null && echo "Stopped ${exe##*/} (process ${proc#/proc/})." ;; esac
done

for link in "$HOME/.local/bin/port-mcp-bridge" "$HOME/.local/bin/port-mcp-bridge-app"; do
    if [ -L "$link" ] && leads_here "$link"; then rm -f "$link"; fi
done
for entry in "$data/applications/io.port.mcp-bridge.desktop" "$config/autostart/port-mcp-bridge.desktop"; do
    if leads_here "$entry"; then rm -f "$entry"; fi
done
find "$data/icons/hicolor" -name 'port-mcp-bridge.*' -path '*/apps/*' -delete 2>/dev/null || true
update-desktop-database "$data/applications" >/dev/null 2>&1 || true

if ours; then
    rm -rf "$here"
    echo "Removed $here."
    # The default installation's own parent folder, when nothing else is in it.
    if [ "$(dirname "$here")" = "$data/port-mcp-bridge" ]; then rmdir "$data/port-mcp-bridge" 2>/dev/null || true; fi
else
    echo "Left $here in place: it holds files install.sh did not put there."
fi
if [ "$remove_settings" = no ]; then
    echo "Your settings in $config/port-mcp-bridge and your keychain entries (service port-mcp-bridge) were kept."
    echo "To remove them as well: secret-tool clear service port-mcp-bridge; rm -r \"$config/port-mcp-bridge\" \"$state/port-mcp-bridge\""
    echo "(sign profiles out first to revoke them at Port: port-mcp-bridge logout --profile <id>)."
fi
