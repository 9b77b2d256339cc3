"""Frozen entry point of every program of the bundle: the tray app (`app.__main__.main`) or the command
(`bridge.cli.main`, which never imports Qt), chosen by the name the program was started under (choose.py)."""

import sys

import choose
import frozen_env

frozen_env.restore()

if choose.mode(sys.argv) == "app":
    import qt_setup
    import system_libs

    if not system_libs.check():  # on Linux a missing desktop library is named in a dialog, not a silent Qt failure
        raise SystemExit(1)
    qt_setup.prepare()
    from app.__main__ import main
else:
    from bridge.cli import main

raise SystemExit(main())
