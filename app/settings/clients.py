"""Clients: the MCP clients on this computer, whether each has the bridge, and Connect / Update / Undo with a diff
of the change shown before anything is written (the local key masked). Entries that reach Port directly (Port's own
setup guide writes them) are marked, and replaced by the bridge's entry unless the user unticks it; a project's
`.vscode/mcp.json` is reached through Choose folder…."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.actions_row import ActionsRow
from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, bold
from app.tint import tint
from bridge.api import ClientStatus
from bridge.errors import Do, ExportRefused

STATE_TEXT = {"absent": "Not connected", "current": "Connected", "stale": "Needs update"}
ENTRY_TEXT = {"absent": "Not connected yet.", "current": "Connected to the bridge.",
              "stale": "Connected, but its entry needs an update ({reasons})."}  # fmt: skip
STATE_COLOR = {"current": "ok", "stale": "warn", "refused": "error"}  # `status_color` kinds; absent: the palette
DIRECT_MARK = " · uses Port directly"
WORKSPACE = "vscode-workspace"


ShownState = Literal["refused", "absent", "current", "stale", "none"]


def state_of(status: ClientStatus) -> ShownState:
    """ "refused": a file we will not edit; else our entry's state."""
    return "refused" if status.problem else status.entries[0].state.value


def installed_or_chosen(status: ClientStatus) -> bool:
    """A client to connect: installed, or the workspace folder the user chose (its `.vscode` may not exist yet)."""
    return status.detected or status.client.id == WORKSPACE


class ClientsPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Clients",
            "Connect your IDEs and assistants to the bridge. Port MCP Bridge edits only its own entry in each "
            "client's file, keeps a backup, and can undo it.",
        )
        self._statuses: dict[str, ClientStatus] = {}
        self._snippet = ""
        self._outcome_for: str | None = None
        self._select_next: str | None = None
        self.moved = Notice()  # after the bridge moved to another port by itself: what that did to the clients
        self.body.addWidget(self.moved)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Client", "Installed", "State", "Configuration file"])
        self.tree.setAccessibleName("Clients")
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.currentItemChanged.connect(lambda *_: self._selected())
        splitter.addWidget(self.tree)

        detail = QWidget()
        box = QVBoxLayout(detail)
        box.setContentsMargins(0, 8, 0, 0)
        self.title = bold("")
        box.addWidget(self.title)
        self.explain = Notice()
        box.addWidget(self.explain)
        buttons = QHBoxLayout()
        self.connect_button = QPushButton("&Connect")
        self.connect_button.clicked.connect(self.write)
        self.undo_button = QPushButton("Un&do")
        self.undo_button.clicked.connect(self.undo)
        self.copy_button = QPushButton("Copy &snippet")
        self.copy_button.setToolTip("Copies the entry with your local key, to paste by hand.")
        self.copy_button.clicked.connect(self.copy_snippet)
        for button in (self.connect_button, self.undo_button, self.copy_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.folder_button = QPushButton("Choose &folder…")
        self.folder_button.setToolTip("Connect a project: its .vscode/mcp.json, VS Code's workspace configuration.")
        self.folder_button.clicked.connect(self.choose_folder)
        buttons.addWidget(self.folder_button)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.reload)
        buttons.addWidget(self.refresh_button)
        box.addLayout(buttons)
        self.replace_box = QCheckBox(
            "Replace the entries that reach Port directly (else the assistant sees Port's tools twice); their "
            "read-only and allowed-actions settings go to the profile"
        )
        self.replace_box.setChecked(True)
        self.replace_box.hide()
        self.replace_box.toggled.connect(lambda *_: self._selected())
        box.addWidget(self.replace_box)
        self.outcome = Notice()  # what the last Connect / Undo did; survives the list's refresh
        box.addWidget(self.outcome)
        self.fix = ActionsRow(controller)  # what to do about a refusal (Open file); Copy snippet is above already
        box.addWidget(self.fix)
        self.preview = QPlainTextEdit()
        self.preview.setAccessibleName("What connecting would change")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setPlaceholderText("Pick a client to see what connecting it would change.")
        box.addWidget(self.preview, 1)
        splitter.addWidget(detail)
        splitter.setSizes([260, 300])
        self.body.addWidget(splitter, 1)
        self.status = Notice()
        self.body.addWidget(self.status)
        self.notes = Notice()  # clients the bridge cannot write for: Claude on the web; Windows IDEs from WSL
        self.body.addWidget(self.notes)
        self._sync_buttons()

    def activated(self) -> None:
        self.reload()

    # --- the list ------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        self.notes.show_text("\n\n".join(self.api.clients.notes()), "muted")
        self.status.show_text("Looking for clients…", "muted")
        self.controller.run(self.api.client_statuses, self._listed, self._failed)

    def _listed(self, statuses: list[ClientStatus]) -> None:
        keep, self._select_next = self._select_next or self.client_id, None
        self._statuses = {s.client.id: s for s in statuses}
        self.tree.blockSignals(True)
        self.tree.clear()
        # Installed clients first, then the rest, each alphabetically as the exporter lists them.
        for status in sorted(statuses, key=lambda s: not s.detected):
            state = state_of(status)
            shown = self.api.shown_path(status.path)
            text = STATE_TEXT.get(state, "Cannot edit") + (DIRECT_MARK if status.direct else "")
            item = QTreeWidgetItem([status.client.name, "Yes" if status.detected else "—", text, shown])
            item.setData(0, Qt.ItemDataRole.UserRole, status.client.id)
            if state in STATE_COLOR:
                tint(item, 2, STATE_COLOR[state], self.palette())
            if not status.detected:
                for column in (0, 1, 3):
                    tint(item, column, "muted", self.palette())
            item.setToolTip(3, shown)
            self.tree.addTopLevelItem(item)
            if status.client.id == keep:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        found = sum(s.detected for s in statuses)
        connected = sum(state_of(s) == "current" for s in statuses)
        self.status.show_text(f"{found} client(s) found on this computer, {connected} connected.", "muted")
        first = self.tree.topLevelItem(0)
        if self.tree.currentItem() is None and found and first is not None:
            self.tree.setCurrentItem(first)
        else:
            self._selected()

    def _failed(self, exc: BaseException) -> None:
        title, message = describe_error(exc)
        self.status.show_text(f"{title}: {message}", "error")

    @property
    def client_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    def select(self, client_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == client_id:
                self.tree.setCurrentItem(item)

    # --- one client --------------------------------------------------------------------------------------------

    def _selected(self) -> None:
        self._snippet = ""
        if self.client_id != self._outcome_for:
            self.outcome.show_text("")
            self.fix.show_actions(())
        self._outcome_for = self.client_id
        status = self._statuses.get(self.client_id or "")
        self._sync_buttons()
        if status is None:
            self.title.setText("")
            self.explain.show_text("")
            self.preview.clear()
            return
        client = status.client
        self.title.setText(client.name)
        entry = status.entries[0]
        lines = [ENTRY_TEXT[entry.state.value].format(reasons=", ".join(entry.reasons)) if not status.problem else ""]
        if not installed_or_chosen(status):
            lines.append(f"{client.name} does not seem to be installed: {self.api.shown_path(status.path.parent)} "
                         "is missing. Install it, then Refresh, to connect it.")  # fmt: skip
        if status.direct:
            lines.append(f"Also in its file: {'; '.join(d.describe() for d in status.direct)}.")
        if client.tool_limit_note:
            lines.append(client.tool_limit_note)
        self.explain.show_text(" ".join(x for x in lines if x), "muted")
        self.replace_box.setVisible(bool(status.direct))
        self.preview.setPlainText("Preparing the preview…")
        client_id, replace = client.id, self.replace_box.isChecked()
        self.controller.run(lambda: self.api.client_preview(client_id, replace), self._previewed, self._refused)

    def _previewed(self, diff: str) -> None:
        self.preview.setPlainText(diff or "Up to date: connecting would change nothing.")
        self._sync_buttons(can_write=bool(diff))

    def _refused(self, exc: BaseException) -> None:
        """A file we will not edit: say why, and offer the snippet to paste by hand (masked here, copied whole)."""
        self._show_fix(exc)
        if isinstance(exc, ExportRefused):
            self.explain.show_text(self._tilde(exc.message), "error")
            self.preview.setPlainText("Paste this into the file yourself (Copy snippet copies it with your key):\n\n")
            client_id = self.client_id or ""
            self.controller.run(lambda: self._masked_snippet(client_id), self._show_snippet, self._failed)
        else:
            self.preview.setPlainText(self._tilde(describe_error(exc)[1]))
        self._sync_buttons(can_write=False)

    def _masked_snippet(self, client_id: str) -> tuple[str, str]:
        snippet = self.api.client_snippet(client_id)
        key = self.api.client_entries()[0].key
        return snippet, snippet.replace(key, "<local key>") if key else snippet

    def _show_snippet(self, pair: tuple[str, str]) -> None:
        self._snippet = pair[0]
        self.preview.appendPlainText(pair[1])
        self._sync_buttons(can_write=False)

    def _sync_buttons(self, can_write: bool = False) -> None:
        status = self._statuses.get(self.client_id or "")
        state: ShownState = state_of(status) if status else "none"
        direct = status is not None and bool(status.direct) and state == "current"  # ours is there, Port's too
        self.connect_button.setText("&Update" if state == "stale" else "Re&place" if direct else "&Connect")
        installed = status is None or installed_or_chosen(status)
        self.connect_button.setEnabled(installed and can_write and (state in ("absent", "stale") or direct))
        # Disabled says why (a disabled button shows its tooltip): writing a file for an app not installed helps no one.
        self.connect_button.setToolTip("" if installed else f"{status.client.name} is not installed on this computer."
                                       if status else "")  # fmt: skip
        self.undo_button.setEnabled(status is not None and state in ("current", "stale"))
        self.copy_button.setEnabled(bool(self._snippet))

    # --- doing ----------------------------------------------------------------------------------------------------

    def write(self) -> None:
        client_id = self.client_id
        if not client_id:
            return
        self.connect_button.setEnabled(False)

        def done(result: object) -> None:
            path = getattr(result, "path", "")
            after = self._statuses[client_id].client.after_write
            note = getattr(result, "note", "")  # e.g. the file was made private: it now holds the local key
            wrote = f"Wrote {self._tilde(str(path))}."
            self.outcome.show_text(" ".join(x for x in (wrote, self._tilde(note), after) if x), "ok")
            self.reload()

        replace = self.replace_box.isChecked()
        self.controller.run(lambda: self.api.connect_client(client_id, replace), done, self._write_failed)

    def undo(self) -> None:
        client_id = self.client_id
        if not client_id:
            return

        def done(result: object) -> None:
            path = self._tilde(str(getattr(result, "path", "")))
            removed = getattr(result, "removed", False)
            self.outcome.show_text(f"Removed {path}: it did not exist before." if removed
                                  else f"Put {path} back as it was.", "ok")  # fmt: skip
            self.reload()

        self.controller.run(lambda: self.api.undo_client(client_id), done, self._write_failed)

    def _show_fix(self, exc: BaseException) -> None:
        self.fix.show_actions([a for a in getattr(exc, "actions", ()) if a.do is not Do.COPY_SNIPPET])

    def _write_failed(self, exc: BaseException) -> None:
        title, message = describe_error(exc)
        self.outcome.show_text(f"{title}: {self._tilde(message)}", "error")
        self._show_fix(exc)
        if isinstance(exc, ExportRefused):  # refused only when writing (a folder we may not write in): the snippet
            self._refused(exc)  # (a reload would re-run the preview, which succeeds, over it)
        else:
            self.reload()

    def _tilde(self, text: str) -> str:
        """Paths in a message as the list shows them: `~/.cursor/mcp.json`, not the whole home folder."""
        for status in self._statuses.values():
            text = text.replace(str(status.path), self.api.shown_path(status.path))
        return text

    def port_moved(self, old: int, new: int, updated: list[str]) -> None:
        """Opened because the bridge moved to another port by itself: say so, and which clients followed."""
        which = (
            f"{', '.join(updated)} now use{'s' if len(updated) == 1 else ''} it" if updated else "no client needed it"
        )
        text = f"Port {old} was taken, so the bridge now listens on port {new}: {which}."
        self.moved.show_text(text + " A client below that says Needs update still points at the old port: select it "
                             "and Update.", "warn")  # fmt: skip

    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "The project folder whose .vscode/mcp.json to edit")

    def choose_folder(self) -> None:
        """Add (or change) the "VS Code (workspace folder)" client: the chosen project's `.vscode/mcp.json`."""
        folder = self.ask_folder()
        if folder:
            self.api.clients.use_workspace(Path(folder))
            self._select_next = WORKSPACE
            self.reload()

    def copy_snippet(self) -> None:
        if self._snippet:
            QGuiApplication.clipboard().setText(self._snippet)
            self.outcome.show_text("Snippet copied (it contains your local key: paste it only into that file).", "ok")
