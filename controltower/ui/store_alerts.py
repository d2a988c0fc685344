"""Says in the window what background work found wrong with the store: a failed backup in the status bar, a damaged
store (found by the daily check or a backup) in a message box as well, since nothing more can be saved to it."""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ..kernel.events import EventHub


class StoreAlerts(QObject):
    """Follows `backup.failed` and `store.damaged` on the hub (published from worker threads) on the UI thread."""

    backup_failed = Signal(str)
    store_damaged = Signal(str)

    def __init__(self, window: QMainWindow, hub: EventHub) -> None:
        super().__init__(window)
        self.window = window
        self.backup_failed.connect(self._show_backup_failed)
        self.store_damaged.connect(self._show_damaged)
        unsubscribe = [hub.subscribe("backup.failed", lambda _t, p: self.backup_failed.emit(p.get("message", ""))),
                       hub.subscribe("store.damaged", lambda _t, p: self.store_damaged.emit(p.get("message", "")))]
        self.destroyed.connect(lambda *_: [stop() for stop in unsubscribe])

    def _show_backup_failed(self, message: str) -> None:
        self.window.statusBar().showMessage(f"Backup failed: {message}", 60_000)

    def _show_damaged(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 0)
        box = QMessageBox(QMessageBox.Icon.Critical, "The store is damaged",
                          f"{message}\n\nClose Control Tower and open it again to restore the newest good backup.",
                          parent=self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()  # never exec() on the running loop
