"""Re-take the settings window's screenshots in docs/images/ (`.venv/bin/python docs/screenshots.py`).

Runs the real window on the real bridge in front of the built-in sandbox, offscreen (no display needed), with two
token-mode profiles (Acme, Globex), a temporary home where Cursor, VS Code, Gemini CLI and Windsurf are "installed"
(Cursor connected), and an in-memory keychain. Look at the results before committing them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.support.memory_keyring import MemoryKeyring  # noqa: E402


def _wait(app: QApplication, ready: Callable[[], object], seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not ready():
        app.processEvents()
        time.sleep(0.02)
    for _ in range(20):  # let layouts settle
        app.processEvents()


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="pmb-shots-"))
    os.environ["PORT_MCP_BRIDGE_HOME"] = str(scratch / "config")
    keyring.set_keyring(MemoryKeyring())

    from app.controller import Controller
    from app.settings.window import PAGES, SettingsWindow
    from bridge.api import BridgeApi
    from bridge.auth.keychain import set_secret
    from bridge.auth.records import CREDENTIALS_REF
    from bridge.export import Env
    from bridge.sandbox import Sandbox, SandboxConfig
    from bridge.sandbox.seed import DEMO_CREDENTIALS
    from bridge.settings import SettingsStore

    app = QApplication.instance() or QApplication([])
    box = Sandbox(config=SandboxConfig(run_seconds=0.3, seed=7)).start()
    store = SettingsStore()
    for name, client, active in (("Acme", "acme-builder-demo", True), ("Globex", "globex-builder-demo", False)):
        profile = store.add_profile(name, box.mcp_url, auth_mode="token", make_active=active)
        ref = f"profile/{profile.id}/client-credentials"
        set_secret(ref, json.dumps({"clientId": client, "clientSecret": DEMO_CREDENTIALS[client][0]}))
        store.set_profile(profile.id, secret_refs={CREDENTIALS_REF: ref})
    store.add_profile("Production (EU)", "eu")
    home = scratch / "home"
    for folder in (".cursor", ".config/Code/User", ".gemini", ".codeium/windsurf"):
        (home / folder).mkdir(parents=True)
    api = BridgeApi(store)  # on the settings' port, as installed (else the General page warns about a port change)
    api.export_env = Env(home, "linux", {}, Env.current().program)
    controller = Controller(api)
    controller.start()
    try:
        api.connect_client("cursor")
        window = SettingsWindow(controller)
        window.resize(980, 660)
        window.show()
        out = ROOT / "docs" / "images"
        for name, _ in PAGES:
            window.show_page(name)
            page = window.page(name)
            if name == "doctor":
                page.run_checks()
                _wait(app, lambda p=page: p.copy_button.isEnabled(), 60)
            elif hasattr(page, "loaded"):
                _wait(app, lambda p=page: p.loaded)
            else:
                _wait(app, lambda: False, 1.5)
            path = out / f"settings-{name}.png"
            window.grab().save(str(path))
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        controller.stop()
        box.stop()


if __name__ == "__main__":
    main()
