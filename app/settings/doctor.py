"""Doctor: the connection checks (`BridgeApi.doctor`) on a worker, each with what to do, and a report to copy."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
)

from app.actions_row import ActionsRow
from app.controller import Controller, describe_error
from app.settings.common import Notice, Page, ProfileChooser
from bridge.api import DoctorReport


class DoctorPage(Page):
    def __init__(self, controller: Controller) -> None:
        super().__init__(
            controller,
            "Doctor",
            "Checks everything between this computer and Port, step by step. The report has no tokens, secrets or "
            "keys, so it can go to Port support as it is.",
        )
        self.action_rows: dict[str, ActionsRow] = {}  # per failed check with buttons (tests look them up)
        row = QHBoxLayout()
        row.addWidget(QLabel("Profile:"))
        self.profiles = ProfileChooser(controller)
        row.addWidget(self.profiles)
        self.run_button = QPushButton("&Run checks")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_checks)
        row.addWidget(self.run_button)
        self.copy_button = QPushButton("&Copy report")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_report)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the checks take a few seconds at most
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.body.addWidget(self.progress)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Checks")
        self.tree.setHeaderLabels(["Check", "Result"])
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.body.addWidget(self.tree, 1)
        self.status = Notice("Run the checks when something does not work, or before writing to Port support.")
        self.status.show_text(self.status.text(), "muted")
        self.body.addWidget(self.status)
        self.report: DoctorReport | None = None

    def run_checks(self) -> None:
        profile_id = self.profiles.profile_id
        if not profile_id:
            self.status.show_text("No profile yet: add one on the Profiles page.", "muted")
            return
        self.run_button.setEnabled(False)
        self.progress.show()
        self.tree.clear()
        self.action_rows.clear()
        self.status.show_text("Checking… (DNS, connection, sign-in, Port's MCP server)", "muted")
        self.controller.run(lambda: self.api.doctor(profile_id), self._show, self._failed)

    def _show(self, report: DoctorReport) -> None:
        self._finish()
        self.report = report
        self.copy_button.setEnabled(True)
        ok_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        fail_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        skip_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward)
        for check in report.checks:
            item = QTreeWidgetItem([check.name, check.detail])
            item.setIcon(0, ok_icon if check.ok else skip_icon if check.skipped else fail_icon)
            item.setToolTip(1, check.detail)
            if check.advice:
                advice = QTreeWidgetItem(["What to do", check.advice])
                advice.setToolTip(1, check.advice)
                item.addChild(advice)
            self.tree.addTopLevelItem(item)
            if check.actions:  # the same, as buttons: sign in, choose another port, copy Port's addresses
                buttons = QTreeWidgetItem(["", ""])
                item.addChild(buttons)
                row = ActionsRow(self.controller)
                row.show_actions(check.actions)
                self.tree.setItemWidget(buttons, 1, row)
                self.action_rows[check.name] = row
            item.setExpanded(True)
        failed = [c.name for c in report.checks if not c.ok and not c.skipped]
        skipped = sum(c.skipped for c in report.checks)
        if failed:
            later = f" {skipped} later check(s) could not run until then." if skipped else ""
            self.status.show_text(f"{len(failed)} check(s) need attention: {', '.join(failed)}.{later}", "error")
        else:
            self.status.show_text("Everything works.", "ok")

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        title, message = describe_error(exc)
        self.status.show_text(f"{title}: {message}", "error")

    def _finish(self) -> None:
        self.run_button.setEnabled(True)
        self.progress.hide()

    def copy_report(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(self.report.text)
            self.status.show_text("Report copied. Paste it into your message to Port support.", "ok")
