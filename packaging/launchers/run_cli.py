"""Frozen entry point of the `port-mcp-bridge` command: `bridge.cli.main`. It never imports Qt."""

import frozen_env

frozen_env.restore()

from bridge.cli import main  # noqa: E402

raise SystemExit(main())
