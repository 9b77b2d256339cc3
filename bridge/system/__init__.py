"""What the bridge asks of the operating system, one idea a module.

paths.py       where settings and logs live (PORT_MCP_BRIDGE_HOME or platformdirs)
files.py       the one atomic file writer (settings, client configurations)
logs.py        logging set-up and redaction (no token, key or secret ever reaches a log)
loopback.py    uvicorn on a loopback socket bound beforehand (the bridge, the sandbox, the sign-in redirect)
http_limits.py request heads, their deadline and requests under way, limited as they arrive (over uvicorn's httptools)
acceptor.py    accepting connections only while there are descriptors for them
descriptors.py the open-files limit raised at start, and each server's share of it
autostart.py   start at login (LaunchAgent, XDG autostart, the Windows Run key)
instance.py    one bridge per settings folder: its lock (bridge.lock) and where it serves (bridge.json)
"""
