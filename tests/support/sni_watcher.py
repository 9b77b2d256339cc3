"""A StatusNotifierWatcher with a host registered, on the session bus: what KDE Plasma, GNOME's "AppIndicator and
KStatusNotifierItem Support" extension or waybar run, reduced to what Qt asks of it.

`python -m tests.support.sni_watcher` prints `ready` once it owns the name, then `registered <service>` for each item
an app registers. Spoken with jeepney (keyring's own D-Bus library on Linux), so no Qt is involved on this side.
"""

from __future__ import annotations

from typing import Any

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.kde.StatusNotifierWatcher"


def main() -> None:
    conn = open_dbus_connection(bus="SESSION")
    conn.send_and_get_reply(message_bus.RequestName(NAME))
    items: list[str] = []
    print("ready", flush=True)
    while True:
        try:
            msg = conn.receive()
        except ConnectionError:  # the bus went away: the test is over
            return
        if msg.header.message_type != MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        props: dict[str, tuple[str, Any]] = {
            "IsStatusNotifierHostRegistered": ("b", True),  # Qt shows its icon only when a host is there
            "ProtocolVersion": ("i", 0),
            "RegisteredStatusNotifierItems": ("as", list(items)),
        }
        if member == "Get":
            conn.send(new_method_return(msg, "v", (props[msg.body[1]],)))
        elif member == "GetAll":
            conn.send(new_method_return(msg, "a{sv}", (props,)))
        elif member == "RegisterStatusNotifierItem":
            items.append(msg.body[0])
            print("registered", msg.body[0], flush=True)
            conn.send(new_method_return(msg))
        elif member == "RegisterStatusNotifierHost":
            conn.send(new_method_return(msg))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    main()
