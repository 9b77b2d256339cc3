"""The settings window: a sidebar of pages over `BridgeApi`, each built the first time it is shown.

window.py      SettingsWindow: the sidebar and the stacked pages
common.py      Page: change() for settings writes, work() for keychain, file and network work off the GUI thread
checklist.py   what the Tools and Actions pages share
profiles.py, tools.py, actions.py, clients.py, doctor.py, general.py    one page each
profile_list.py, profile_form.py, sign_in_box.py, demo_panel.py          the Profiles page's parts
"""

from app.settings.window import SettingsWindow

__all__ = ["SettingsWindow"]
