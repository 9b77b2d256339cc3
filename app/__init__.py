"""Port MCP Bridge's desktop app (Qt tray and windows). It owns no business logic: everything goes through `bridge`.

Until the tray app lands, `python -m app` starts the built-in Port sandbox so that a first run shows something real.
"""
