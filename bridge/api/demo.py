"""The demo organization inside the app: the built-in sandbox served in this process, and a profile that uses it.

The demo profile carries `"demo": true` in settings (an extra field, so older versions keep it) and signs in in token
mode with the sandbox's public demo credentials, so it needs no keychain. The headless `port-mcp-bridge demo` is
`bridge.demo`; both take their tokens from `bridge.demo.demo_tokens`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bridge.auth.tokens import TokenProvider
from bridge.proxy.service import TokenFactory
from bridge.settings import Profile, Settings, SettingsStore

if TYPE_CHECKING:
    from bridge.sandbox import Sandbox

DEMO_ORGANIZATION = "Acme Corp"


def is_demo(profile: Profile) -> bool:
    return bool((profile.model_extra or {}).get("demo"))


def with_demo(tokens: TokenFactory) -> TokenFactory:
    """The demo profile's tokens come from the sandbox's public demo credentials, never from the keychain."""

    def factory(profile: Profile) -> TokenProvider:
        if is_demo(profile):
            from bridge.demo import demo_tokens  # the sandbox: only once there is a demo profile

            return demo_tokens(profile)
        return tokens(profile)

    return factory


class DemoOrganization:
    """The sandbox behind the demo profile, started once and stopped with the app."""

    def __init__(self, store: SettingsStore) -> None:
        self._store = store
        self.sandbox: Sandbox | None = None

    def profile(self) -> Profile | None:
        return next((p for p in self._store.load().profiles if is_demo(p)), None)

    def serve(self) -> Sandbox:
        """Start the sandbox (once) on the port the demo profile used last, or any free one, and point the profile
        at it: clients keep working across restarts when the port is still free."""
        from bridge.sandbox import Sandbox

        if self.sandbox is not None:
            return self.sandbox
        demo = self.profile()
        port = urlsplit(demo.mcp_url).port if demo else None
        self.sandbox = Sandbox(port or 0, any_port_if_taken=True).start()
        if demo is not None and demo.mcp_url != self.sandbox.mcp_url:
            self._store.set_profile(demo.id, region=self.sandbox.mcp_url)
        return self.sandbox

    def add_profile(self) -> Profile:
        """The demo profile, added the first time (named Demo, or Demo 2 … when the name is taken)."""
        sandbox = self.serve()
        demo = self.profile()
        if demo is not None:
            return demo
        taken = {p.name.lower() for p in self._store.load().profiles}
        name = next(n for n in (f"Demo{f' {i}' if i > 1 else ''}" for i in range(1, 100)) if n.lower() not in taken)
        added = self._store.add_profile(name, sandbox.mcp_url, organization=DEMO_ORGANIZATION, auth_mode="token")

        def mark(settings: Settings) -> None:
            setattr(settings.get_profile(added.id), "demo", True)  # noqa: B010 - an extra field, kept in model_extra

        self._store.update(mark)
        return added

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
