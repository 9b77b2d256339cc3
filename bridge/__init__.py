"""Port MCP Bridge: the headless core (settings, sandbox, and later the proxy, auth and export).

This package never imports Qt: it runs on a machine with no display (`port-mcp-bridge serve`).
"""

__version__ = "0.1.0"
