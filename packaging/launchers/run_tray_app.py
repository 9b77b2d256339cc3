"""Frozen entry point of the tray app (`Port MCP Bridge` / `port-mcp-bridge-app`): `app.__main__.main`."""

import frozen_env
import system_libs

frozen_env.restore()
if not system_libs.check():  # on Linux, a missing desktop library is named in a dialog before Qt fails silently
    raise SystemExit(1)

from app.__main__ import main  # noqa: E402

raise SystemExit(main())
