"""Frozen entry point of the tray app (`Port MCP Bridge` / `port-mcp-bridge-app`): `app.__main__.main`."""

import frozen_env

frozen_env.restore()

from app.__main__ import main  # noqa: E402

raise SystemExit(main())
