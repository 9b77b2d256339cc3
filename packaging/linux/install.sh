#!/bin/sh
# Install Port MCP Bridge for the current user (no root): ./install.sh [DIR]
#
#   DIR (default ~/.local/share/port-mcp-bridge/app) gets the program; ~/.local/bin gets the two commands
#   port-mcp-bridge and port-mcp-bridge-app (links); the applications menu gets "Port MCP Bridge" and its icon.
# Nothing else: no start at login (that is a setting in the app), no system files. Run it again to update.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
dest=${1:-$data/port-mcp-bridge/app}
bin=$HOME/.local/bin

case "$dest" in /*) ;; *) dest=$(pwd)/$dest ;; esac
if [ ! -x "$here/port-mcp-bridge" ] || [ ! -d "$here/_internal" ]; then
    echo "Run install.sh from the unpacked port-mcp-bridge folder." >&2
    exit 1
fi

echo "Installing Port MCP Bridge into $dest"
if [ "$here" != "$dest" ]; then
    rm -rf "$dest.new"
    mkdir -p "$dest.new"
    cp -a "$here/port-mcp-bridge" "$here/port-mcp-bridge-app" "$here/_internal" "$here/uninstall.sh" \
        "$here/INSTALL.txt" "$dest.new/"
    rm -rf "$dest.old"
    if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
    mv "$dest.new" "$dest"
    rm -rf "$dest.old"
fi

mkdir -p "$bin"
ln -sf "$dest/port-mcp-bridge" "$bin/port-mcp-bridge"
ln -sf "$dest/port-mcp-bridge-app" "$bin/port-mcp-bridge-app"

mkdir -p "$data/applications"
sed "s|^Exec=.*|Exec=\"$dest/port-mcp-bridge-app\"|" "$here/share/applications/io.port.mcp-bridge.desktop" \
    > "$data/applications/io.port.mcp-bridge.desktop"
(cd "$here/share/icons" && find hicolor -name 'port-mcp-bridge.*') | while read -r icon; do
    mkdir -p "$data/icons/$(dirname "$icon")"
    cp "$here/share/icons/$icon" "$data/icons/$icon"
done
# Refresh the menu and icon caches where the desktop has the tools; harmless where not.
update-desktop-database "$data/applications" >/dev/null 2>&1 || true
gtk-update-icon-cache -q -t "$data/icons/hicolor" >/dev/null 2>&1 || true

echo "Done. Start \"Port MCP Bridge\" from your applications menu, or run port-mcp-bridge-app."
echo "Client configurations that start a command use: $dest/port-mcp-bridge stdio"
case ":$PATH:" in *":$bin:"*) ;; *) echo "Note: $bin is not on your PATH; add it to use the commands by name." ;; esac
