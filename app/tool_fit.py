"""The wizard's note when a connected client can use fewer tools than the profile offers (the demo's 42, Cursor's 40),
with the one-click ways under the limit that `bridge.api.tool_fit` found: Read-only, or a suggested selection."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout

from app.client_row import text_label
from app.palette import status_color
from bridge.api import ToolFit


class ToolFitPanel(QFrame):
    """Hidden while every connected client handles the profile's tools. `readOnly` / `selection` ask the page to
    apply a way under the limit; `checked` is True once a look at the tools came back (tests wait on it)."""

    readOnly = Signal()
    selection = Signal(object)  # the ToolExposure to save

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("fit")
        self.checked = False
        self.fit: ToolFit | None = None
        self._border = "ok"
        self.text = text_label("")
        self.read_only_button = QPushButton()
        self.read_only_button.setAccessibleName("Fit with Read-only")  # its text names the tool count once known
        self.read_only_button.clicked.connect(self.readOnly)
        self.selection_button = QPushButton()
        self.selection_button.setAccessibleName("Fit with a suggested selection of tools")
        self.selection_button.clicked.connect(lambda: self.fit and self.selection.emit(self.fit.selection))
        buttons = QHBoxLayout()
        buttons.addWidget(self.read_only_button)
        buttons.addWidget(self.selection_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.addWidget(self.text)
        box.addLayout(buttons)
        self.hide()

    def _paint_border(self) -> None:
        border = status_color(self._border, self.palette())  # AA contrast on light and dark
        sheet = f"QFrame#fit {{ border: 1px solid {border}; border-radius: 4px; }}"
        if sheet != self.styleSheet():  # unchanged: no restyle (which would send another PaletteChange)
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light ↔ dark: the border's colour follows
            self._paint_border()

    def show_fit(self, fit: ToolFit | None, profile: str, exposed: int, fixed: bool) -> None:
        """`fixed`: the user just applied a way under the limit, so a fit of None is said, not hidden."""
        self.checked, self.fit = True, fit
        self._border = "ok" if fit is None else "warn"
        self._paint_border()
        if fit is None:
            self.read_only_button.hide()
            self.selection_button.hide()
            self.setVisible(fixed)
            if fixed:
                self.text.setText(f"✓ {profile} now offers {exposed} tools, within the limit of every client you "
                                  "connected. Settings → Tools changes the selection.")  # fmt: skip
            return
        client, limit = fit.limit.client, fit.limit.limit
        self.read_only_button.setEnabled(True)
        self.selection_button.setEnabled(True)
        said = (
            f"⚠ {client} uses at most {limit} tools, and {profile} offers {fit.exposed}: "
            f"{client}'s assistant would not see {fit.exposed - limit} of them. {fit.limit.note}"
        )
        others = [f"{t.client} ({t.limit})" for t in fit.over[1:]]
        if others:
            said += f" Also over the limit: {', '.join(others)}."
        self.text.setText(said.strip() + " One click fits it:")
        if fit.read_only is not None:
            self.read_only_button.setText(f"Turn on Read-only ({fit.read_only} tools)")
            self.read_only_button.setToolTip(
                "Only tools that read: nothing in Port can be changed from your assistants"
            )
        self.read_only_button.setVisible(fit.read_only is not None)
        kept = len(fit.selection.names)
        destructive = fit.hidden_kinds == {"destructive"}  # MCP's destructiveHint: the riskiest to hide
        what = f"the {len(fit.hidden)} destructive tools" if destructive else f"{len(fit.hidden)} tools"
        self.selection_button.setText(f"Hide {what} ({kept} tools)")
        self.selection_button.setToolTip("Hides: " + ", ".join(fit.hidden))
        self.selection_button.show()
        self.show()
