"""Port MCP Bridge: the headless core. It never imports Qt: it runs on a machine with no display (`serve`).

api/         the facade: the only way in for the tray app (app/) and the command line (cli/)
errors.py    every error a person can meet, in one tree
endpoint.py  the local endpoint's facts: host, port, URLs, the alive probe, the port choice
settings/    profiles and settings: one file, one store
proxy/       the local MCP endpoint and the service that runs it
policy/      read-only, allowed actions and tool exposure as pure functions
auth/        sign-in, tokens, the keychain and the local key
export/      MCP clients' configuration files
stdio/       the stdio shim for clients that start a command
system/      paths, files, logs, the loopback server, start at login
sandbox/     the imitation of Port that the demo and the tests run against
cli/         the `port-mcp-bridge` command
demo.py, doctor.py, mcp_client.py    the headless demo, the doctor's checks, the one MCP client helper
updates.py   the update check against the project's release feed (it never installs)
"""

__version__ = "0.1.0"
