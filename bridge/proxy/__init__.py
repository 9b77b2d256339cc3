"""The local MCP endpoint: a streaming reverse proxy for MCP's Streamable HTTP transport.

It understands just enough JSON-RPC to apply policy (`bridge.policy`) and to rewrite `tools/list` results; every other
message passes through untouched, so it stays fast and correct for methods and protocol versions it has never seen.
"""
