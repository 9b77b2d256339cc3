"""The local MCP endpoint: a streaming reverse proxy for MCP's Streamable HTTP transport.

It understands just enough JSON-RPC to apply policy (`bridge.policy`) and to rewrite `tools/list` results; every other
message passes through untouched, so it stays fast and correct for methods and protocol versions it has never seen.

    service.py          BridgeService: settings, upstreams, sessions and the HTTP server as one object
    guard.py            LocalGuard: Host, Origin and the local key, before anything else
    forward.py          McpProxy: the ASGI relay (POST, GET streams, DELETE)
    calls.py            CallBook: each tools/call recorded once (who, what, outcome; Port's answer as raw bytes)
    approve.py          approvals on the request path: which way to ask, the IDE's own question (elicitation)
    streams.py          relaying until the client hangs up; the bridge's events merged into a GET stream
    memory.py           heap given back after a large answer
    sender.py           how a request reaches Port (token, policy headers, 401 refresh, redirects)
    upstream_errors.py  the one boundary for upstream failures, and every error an IDE gets in Port's place
    replies.py          the one way the endpoint answers by itself
    busy.py             the answer when every connection the bridge may hold is taken (JSON-RPC on MCP paths)
    toolslist.py, listcache.py    tools/list rewritten as it passes, and remembered
    http11.py           the upstream hop's HTTP/1.1 client; sockets.py: its TCP sockets (Happy Eyeballs, Nagle off);
                        tls_sessions.py: its TLS sessions, resumed per origin
    warm.py             warm, verified connections to the active profile's Port (start, switch, sleep, network change)
    state.py            Upstream (a profile as the proxy uses it) and Sessions
    jsonrpc.py, sse.py, headers.py    messages, events and headers (standard library only; the shim uses them too)
"""
