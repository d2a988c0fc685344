"""Status bar: "Background work" — each background job of the app, its state, last run and last error, and Run now."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout,
    QWidget,
)

from ..services.jobs import FAILED, OFF, RUNNING, STOPPED, WAITING, JobRunner, JobStatus
from .plain import plain_tooltip

STATE_WORDS = {WAITING: "waiting for its next run", RUNNING: "running", FAILED: "failed (will try again)",
               STOPPED: "stopped", OFF: "off"}
COLUMNS = ("Job", "State", "Last run", "What it did", "Last error")


class _Relay(QObject):
    changed = Signal()  # jobs.changed arrives on any thread; this brings it to the UI thread


def when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%H:%M:%S")


def summary(statuses: list[JobStatus]) -> str:
    """The button's words: how many jobs run, and the failing ones first."""
    failed = [s for s in statuses if s.state == FAILED]
    active = [s for s in statuses if s.state in (WAITING, RUNNING)]
    if failed:
        return f"Background: {len(failed)} failing ({', '.join(s.title for s in failed)})"
    if not statuses:
        return "Background: nothing running"
    return f"Background: {len(active)} of {len(statuses)} running"


class BackgroundWorkDialog(QDialog):
    """The table of jobs; it follows changes while open."""

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.setWindowTitle("Background work")
        self.resize(900, 320)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What Control Tower does on its own while it is open. A failed job tries again at its next run."))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table)
        self.run_button = QPushButton("Run now")
        self.run_button.clicked.connect(self.run_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        statuses = self.jobs.statuses()
        self.table.setRowCount(len(statuses))
        for row, status in enumerate(statuses):
            cells = (status.title, STATE_WORDS.get(status.state, status.state), when(status.last_run),
                     status.last_result, status.last_error)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, status.name)
                if column == 4 and text:
                    item.setToolTip(plain_tooltip(text))
                self.table.setItem(row, column, item)

    def selected_job(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def run_selected(self) -> None:
        name = self.selected_job()
        if name is not None:
            self.jobs.run_now(name)


class BackgroundWorkButton(QToolButton):
    """A status bar button saying how the background jobs are doing; a click opens the table."""

    def __init__(self, jobs: JobRunner, hub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.setAutoRaise(True)
        self.setToolTip("Background work: carrier sync, customer messages, checks, shop orders, backups")
        self.dialog: BackgroundWorkDialog | None = None
        self._relay = _Relay(self)
        self._relay.changed.connect(self.refresh)
        self._unsubscribe = hub.subscribe("jobs.changed", lambda _t, _p: self._relay.changed.emit())
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.clicked.connect(self.open_table)
        self.refresh()

    def refresh(self) -> None:
        statuses = self.jobs.statuses()
        self.setText(summary(statuses))
        failing = any(s.state == FAILED for s in statuses)
        self.setStyleSheet("color: #b71c1c; font-weight: bold;" if failing else "")
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.refresh()

    def open_table(self) -> None:
        if self.dialog is None:
            self.dialog = BackgroundWorkDialog(self.jobs, self.window())
        self.dialog.refresh()
        self.dialog.open()
