"""Says in the window what background work found wrong with the store: a failed backup in the status bar, a damaged
store (found by the daily check or a backup) in a message box as well, since nothing more can be saved to it, with
the newest good backup offered there and then."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ..kernel.events import EventHub
from ..services.backups import BackupInfo, BackupService
from .store_problem import describe_backup
from .tasks import run_in_thread


class StoreAlerts(QObject):
    """Follows `backup.failed` and `store.damaged` on the hub (published from worker threads) on the UI thread.

    `restore_at_exit(path)` (the application object's) puts a backup in the store's place as the app closes, after
    every job has stopped; the window then closes and the app starts again on the restored store."""

    backup_failed = Signal(str)
    store_damaged = Signal(str)

    def __init__(self, window: QMainWindow, hub: EventHub, backups: BackupService | None = None,
                 restore_at_exit: Callable[[object], object] | None = None) -> None:
        super().__init__(window)
        self.window, self.backups, self.restore_at_exit = window, backups, restore_at_exit
        self.box: QMessageBox | None = None
        self.backup_failed.connect(self._show_backup_failed)
        self.store_damaged.connect(self._show_damaged)
        unsubscribe = [hub.subscribe("backup.failed", lambda _t, p: self.backup_failed.emit(p.get("message", ""))),
                       hub.subscribe("store.damaged", lambda _t, p: self.store_damaged.emit(p.get("message", "")))]
        self.destroyed.connect(lambda *_: [stop() for stop in unsubscribe])

    def _show_backup_failed(self, message: str) -> None:
        self.window.statusBar().showMessage(f"Backup failed: {message}", 60_000)

    def _show_damaged(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 0)
        if self.box is not None:  # the check and a backup may both find it: one box
            return
        if self.backups is None or self.restore_at_exit is None:
            self._open_box(message, None)
            return
        # Checking the backups reads each of them: not on the UI thread.
        run_in_thread(self.backups.newest_good, lambda info: self._open_box(message, info),
                      lambda _exc: self._open_box(message, None))

    def _open_box(self, message: str, backup: BackupInfo | None) -> None:
        if backup is None:
            text = (f"{message}\n\nNo good backup was found beside the store. Close Control Tower and open it again "
                    "to see the ways back.")
        else:
            text = (f"{message}\n\nThe newest good backup:\n{describe_backup(backup)}\n\nRestore it now? Control Tower "
                    "closes, keeps the damaged file beside it untouched, and starts again on the backup.")
        box = QMessageBox(QMessageBox.Icon.Critical, "The store is damaged", text, parent=self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        if backup is not None:
            restore = box.addButton("Restore this backup and restart", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
            restore.clicked.connect(lambda: self._restore(backup))
        else:
            box.addButton(QMessageBox.StandardButton.Ok)
        self.box = box
        box.open()  # never exec() on the running loop

    def _restore(self, backup: BackupInfo) -> None:
        self.restore_at_exit(backup.path)
        self.window.statusBar().showMessage("Restoring the backup: Control Tower closes and starts again…", 0)
        self.window.close()
