#!/bin/sh
# Install Port MCP Bridge for the current user (no root): ./install.sh [DIR]
#
#   DIR (default ~/.local/share/port-mcp-bridge/app) gets the program; ~/.local/bin gets the two commands
#   port-mcp-bridge and port-mcp-bridge-app (links); the applications menu gets "Port MCP Bridge" and its icon.
# Nothing else: no start at login (that is a setting in the app), no system files. Run it again to update.
#
# The program lives in a folder of its own, recognised by the file .port-mcp-bridge-install: DIR is used when it is
# empty, missing or a previous installation; a DIR that holds anything else (./install.sh ~/tools) gets the program
# in DIR/port-mcp-bridge, and if that too holds something else, nothing is changed. Nothing outside that folder is
# ever deleted.
set -eu

marker=.port-mcp-bridge-install
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
dest=${1:-$data/port-mcp-bridge/app}
bin=$HOME/.local/bin

case "$dest" in /*) ;; *) dest=$(pwd)/$dest ;; esac
if [ ! -x "$here/port-mcp-bridge" ] || [ ! -d "$here/_internal" ]; then
    echo "Run install.sh from the unpacked port-mcp-bridge folder." >&2
    exit 1
fi

# A previous installation: the marker, or (installed before the marker) nothing but what install.sh copies.
ours() {
    [ -d "$1" ] && [ ! -L "$1" ] || return 1
    [ -f "$1/$marker" ] && return 0
    [ -x "$1/port-mcp-bridge" ] && [ -d "$1/_internal" ] || return 1
    for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        case "${entry##*/}" in
            port-mcp-bridge | port-mcp-bridge-app | _internal | uninstall.sh | INSTALL.txt) ;;
            *) return 1 ;;
        esac
    done
}
usable() { # missing, an empty folder, or a previous installation
    [ ! -e "$1" ] && [ ! -L "$1" ] && return 0
    [ -d "$1" ] && [ ! -L "$1" ] && [ -z "$(ls -A "$1")" ] && return 0
    ours "$1"
}

if ! usable "$dest"; then
    if [ -d "$dest" ] && usable "$dest/port-mcp-bridge"; then
        echo "$dest already holds other files: installing into a folder of its own, $dest/port-mcp-bridge"
        dest=$dest/port-mcp-bridge
    else
        echo "Nothing was installed: $dest holds files that are not Port MCP Bridge's." >&2
        echo "Choose an empty folder, or a new one: ./install.sh ~/Applications/port-mcp-bridge" >&2
        exit 1
    fi
fi

# Stop this user's copies of the program running from the folder about to be replaced: the running bridge would
# otherwise keep serving from deleted files.
stop_running() {
    for proc in /proc/[0-9]*; do
        exe=$(readlink "$proc/exe" 2>/dev/null) || continue
        case "$exe" in "$1"/*) kill "${proc#/proc/}" 2>/dev/null || true ;; esac
    done
}

echo "Installing Port MCP Bridge into $dest"
if [ "$here" != "$dest" ]; then
    parent=$(dirname "$dest")
    mkdir -p "$parent"
    new=$(mktemp -d "$parent/.port-mcp-bridge-new.XXXXXX")
    cp -a "$here/port-mcp-bridge" "$here/port-mcp-bridge-app" "$here/_internal" "$here/uninstall.sh" \
        "$here/INSTALL.txt" "$new/"
    "$here/port-mcp-bridge" --version >"$new/$marker" 2>/dev/null || echo "Port MCP Bridge" >"$new/$marker"
    chmod 755 "$new"
    if [ -e "$dest" ]; then
        stop_running "$dest"
        old=$(mktemp -d "$parent/.port-mcp-bridge-old.XXXXXX")
        mv "$dest" "$old/"
        mv "$new" "$dest"
        rm -rf "$old"
    else
        mv "$new" "$dest"
    fi
elif [ ! -f "$dest/$marker" ]; then
    "$here/port-mcp-bridge" --version >"$dest/$marker" 2>/dev/null || echo "Port MCP Bridge" >"$dest/$marker"
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
