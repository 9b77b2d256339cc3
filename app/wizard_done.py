"""The first-run wizard's last page: who is signed in where, the clients to connect, a one-click fit when a connected
client cannot use that many tools, a first prompt to try, start at login (on by default), and Done.

Start at login is ticked by default: without it the IDEs lose Port after every restart, until the app is opened by
hand. It is applied when Done is pressed, through the facade (`api.startup`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.client_row import ClientRow, note_label, text_label, title_label
from app.controller import Controller, describe_error
from app.tool_fit import ToolFitPanel
from bridge.api import ClientStatus, Profile, SignedIn, State, ToolExposure, ToolInfo, WriteResult, is_demo, tool_fit
from bridge.errors import BridgeError

# A first question whose answer shows the bridge works. The demo's is about its own data (the headless demo asks it
# too); for a real organization, services are in Port's default data model and its guide's first examples
# (port-docs 4893974ae: docs/ai-interfaces/port-mcp-server/overview-and-installation.md, "Ask: …").
DEMO_PROMPT = "Who owns the OrderProcessing service in Port?"
FIRST_PROMPT = "List my services in Port"


def signed_in_text(profile: Profile, signed: SignedIn | None) -> str:
    """ "Signed in as dana@acme.example in Acme Corp." — the identity Port's token (or `describe_user_details`)
    gave at sign-in; the demo signs in by itself."""
    if is_demo(profile):
        where = profile.organization or profile.name
        return f"Signed in automatically to {where}, the demo organization that runs on this computer."
    if signed is None:
        return ""
    who = signed.identity
    where = who.organization_name or profile.organization or profile.name
    return f"Signed in as {who.email} in {where}." if who.email else f"Signed in to {where}."


class DonePage(QWidget):
    """`finished` when Done is pressed and start at login was applied (or the user chose to go on without it)."""

    finished = Signal()

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        self.api = controller.api
        self.profile: Profile | None = None
        self.rows: dict[str, ClientRow] = {}
        self.statuses: list[ClientStatus] | None = None
        self.tools: list[ToolInfo] | None = None
        self.fixed = False  # a way under a client's tool limit was applied on this page
        self.prompt_text = FIRST_PROMPT
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        box.addWidget(title_label("Connect your assistant"))
        self.signed_in = text_label("")
        self.signed_in.hide()
        box.addWidget(self.signed_in)
        self.connect_intro = text_label("")
        box.addWidget(self.connect_intro)
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.client_list = QVBoxLayout(frame)
        self.client_list.setContentsMargins(12, 8, 12, 8)
        self.client_list.setSpacing(0)
        self.clients_status = note_label("Looking for MCP clients on this computer…")
        self.client_list.addWidget(self.clients_status)
        box.addWidget(frame)
        self.fit = ToolFitPanel()
        self.fit.readOnly.connect(self.fit_with_read_only)
        self.fit.selection.connect(self.fit_with_selection)
        box.addWidget(self.fit)
        self.prompt = text_label("")
        self.copy_prompt = QPushButton("Copy")
        self.copy_prompt.clicked.connect(self._copy_prompt)
        prompt_row = QHBoxLayout()
        prompt_row.addWidget(self.prompt, 1)
        prompt_row.addWidget(self.copy_prompt)
        box.addLayout(prompt_row)
        box.addWidget(
            note_label(
                "Each client keeps its other settings; a copy of its file is kept, and Settings → "
                "Clients can undo the change. You can connect more clients later from the app's menu."
            )
        )
        box.addStretch(1)
        self.autostart = QCheckBox("Start Port MCP Bridge when I log in, so my assistants find Port after a restart")
        self.autostart.setChecked(True)
        box.addWidget(self.autostart)
        self.autostart_note = text_label("")  # why the OS refused it, should it
        self.autostart_note.hide()
        box.addWidget(self.autostart_note)
        self.done_button = QPushButton("&Done")
        self.done_button.clicked.connect(self.finish)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        box.addLayout(buttons)

    def show_profile(self, profile: Profile | None, signed: SignedIn | None = None) -> None:
        """A profile is active and serving: who signed in, what to ask, then the clients and its tools."""
        self.profile = profile
        name = profile.name if profile else "your profile"
        self.connect_intro.setText(
            f"Port MCP Bridge now serves <b>{name}</b> at <code>{self.controller.snapshot.mcp_url}</code>. "
            "Pick the clients that should use it:"
        )
        said = signed_in_text(profile, signed) if profile else ""
        if signed is not None and signed.warnings:
            said = " ".join([said, *signed.warnings])
        self.signed_in.setText(said)
        self.signed_in.setVisible(bool(said))
        self.prompt_text = DEMO_PROMPT if profile and is_demo(profile) else FIRST_PROMPT
        self.prompt.setText(f"Then try it: ask your assistant “{self.prompt_text}”")
        self.controller.run(self.api.client_statuses, self._show_clients, self._clients_failed)
        self.load_tools()
        self.grow()

    def grow(self) -> None:
        """Wrapped text takes its height from the width, which the dialog's minimum size does not see: ask for it, so
        rows, results and the fit note appear whole and the dialog grows instead of squeezing them."""
        self.setMinimumHeight(self.heightForWidth(self.width()))

    def _copy_prompt(self) -> None:
        QGuiApplication.clipboard().setText(self.prompt_text)
        self.copy_prompt.setText("Copied")

    # --- clients -------------------------------------------------------------------------------------------------

    def _show_clients(self, statuses: list[ClientStatus]) -> None:
        self.statuses = statuses
        detected = [s for s in statuses if s.detected]
        if not detected:
            self.clients_status.setText(
                "No MCP client was found on this computer. Install one (Cursor, VS Code, "
                "Claude…) and connect it from the app's menu, or copy the MCP URL from "
                "there."
            )
            return
        self.clients_status.hide()
        for status in detected:
            row = ClientRow(status)
            row.button.clicked.connect(partial(self.connect_client, status.client.id))
            self.rows[status.client.id] = row
            self.client_list.addWidget(row)
        self._check_fit()
        self.grow()

    def _clients_failed(self, exc: BaseException) -> None:
        self.clients_status.setText("{}: {}".format(*describe_error(exc)))

    def connect_client(self, client_id: str) -> None:
        row = self.rows[client_id]
        row.button.setEnabled(False)
        row.button.setText("Connecting…")

        def done(result: WriteResult) -> None:
            said = (
                f"Wrote {self.api.shown_path(result.path)}. {result.note} {row.status.client.after_write}"
                if result.changed
                else f"{self.api.shown_path(result.path)} already has the current entry. {result.note}"
            )
            row.result.setText(" ".join(said.split()))
            row.result.show()
            self.grow()
            self.controller.run(self.api.client_statuses, self._refresh_rows, lambda exc: None)
            self.load_tools()  # a replaced entry may have carried Read-only into the profile

        def failed(exc: BaseException) -> None:
            row.failed(exc, self.controller)  # the message, and Copy snippet / Open file where the file was refused
            self.grow()
            row.show_status(row.status)

        self.controller.run(lambda: self.api.connect_client(client_id), done, failed)

    def _refresh_rows(self, statuses: list[ClientStatus]) -> None:
        self.statuses = statuses
        for status in statuses:
            if status.client.id in self.rows:
                self.rows[status.client.id].show_status(status)
        self._check_fit()

    # --- more tools than a connected client can use --------------------------------------------------------------

    def load_tools(self) -> None:
        """Ask Port for the profile's tools (off the GUI thread); the fit is checked when they come back."""
        if self.profile is None:
            return
        try:
            future = self.api.fetch_tools(self.profile.id)
        except BridgeError:
            return  # no such profile any more: nothing to fit
        self.controller.watch(future, self._tools_loaded, lambda exc: None)  # doctor says why, if it matters

    def _tools_loaded(self, tools: list[ToolInfo]) -> None:
        self.tools = tools
        self._check_fit()

    def _check_fit(self) -> None:
        if self.profile is None or self.tools is None or self.statuses is None:
            return
        connected = {s.client.name for s in self.statuses if s.entries[0].state != State.ABSENT}
        profile = self.api.settings().find_profile(self.profile.id)
        if profile is None:  # removed meanwhile (Settings → Profiles)
            return
        fit = tool_fit(self.tools, self.api.tool_limits(), connected, read_only=profile.read_only)
        self.fit.show_fit(fit, profile.name, sum(t.exposed for t in self.tools), self.fixed)
        self.grow()

    def fit_with_read_only(self) -> None:
        if self.profile is not None:
            self._fit(lambda pid: self.api.set_read_only(pid, True))

    def fit_with_selection(self, selection: ToolExposure) -> None:
        if self.profile is not None:
            self._fit(lambda pid: self.api.set_tools(pid, selection))

    def _fit(self, change: Callable[[str], object]) -> None:
        """A settings write (milliseconds, here), then the tools are asked for again to show the result."""
        assert self.profile is not None
        try:
            change(self.profile.id)
        except BridgeError as exc:
            self.fit.text.setText(f"{exc.title}: {exc.message}")
            return
        self.fixed = True
        self.fit.read_only_button.setEnabled(False)
        self.fit.selection_button.setEnabled(False)
        self.controller.refresh()
        self.load_tools()

    # --- done ------------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Register start at login as ticked (a small file or registry write), then `finished`. Should the OS refuse,
        the page says so and unticks the box: Done again finishes without it."""
        try:
            if self.autostart.isEnabled():
                self.api.set_start_at_login(self.autostart.isChecked())
        except BridgeError as exc:
            self.autostart.setChecked(False)
            self.autostart.setEnabled(False)
            self.autostart_note.setText(
                f"{exc.message} Press Done to finish without it; Settings → General can try again later."
            )
            self.autostart_note.show()
            self.grow()
            return
        self.finished.emit()
