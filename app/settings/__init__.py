"""The settings window: a sidebar of pages (profiles, tools, actions, clients, doctor, general) over `BridgeApi`."""

from app.settings.window import SettingsWindow

__all__ = ["SettingsWindow"]
