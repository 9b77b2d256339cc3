"""Start at login through the facade (`api.startup`): what the OS has, not what the settings file remembers.

The login item lives outside the settings (a LaunchAgent, the Run key, an XDG autostart file) and can be removed there
(System Settings → Login Items, an uninstall), so front ends show `enabled()`. It follows the facade's `export_env`
(home, platform, environment): tests point it at a temporary home, as they do for client files.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.errors import BridgeError
from bridge.export import Env
from bridge.settings import Settings
from bridge.system import autostart


class StartAtLogin:
    def __init__(self, env: Callable[[], Env], save: Callable[[bool], Settings]) -> None:
        self._env = env
        self._save = save  # remembers the choice in the settings (what the app registers again after an update)

    def enabled(self) -> bool:
        """Whether the OS starts the app at the next login (blocking: a file or registry read)."""
        env = self._env()
        return autostart.is_enabled(system=env.system, home=env.home, environ=env.environ)

    def set(self, enabled: bool, command: list[str] | None = None) -> Settings:
        """Register (or remove) the app with the OS's login items; `command` defaults to the app's own."""
        env = self._env()
        try:
            autostart.apply(enabled, command or autostart.app_command(), system=env.system, home=env.home,
                            environ=env.environ)  # fmt: skip
        except OSError as exc:
            verb = "turn on" if enabled else "turn off"
            raise BridgeError(
                f"Could not {verb} start at login: {exc.strerror or exc}.", title="Start at login"
            ) from None
        return self._save(bool(enabled))
