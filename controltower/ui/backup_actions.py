"""File menu: Back up now, Save a copy…, Restore… (with what the backup holds), settings export/import (the daily
backup is a background job of the app)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..services.backups import BackupService, RestoreRefused
from .store_problem import describe_backup
from .tasks import run_in_thread

log = logging.getLogger(__name__)


class BackupActions:
    def __init__(self, window: QWidget, service: BackupService, keep_days: int | None = None, *,
                 restore_at_exit: Callable[[Path], object]) -> None:
        self.window, self.service, self.restore_at_exit = window, service, restore_at_exit
        self.folder = service.folder
        self.keep_days = keep_days or service.keep_days()

    def back_up_now(self) -> None:
        self.window.statusBar().showMessage("Backing up…")
        run_in_thread(self.service.back_up_now, lambda made: self.window.statusBar().showMessage(f"Backed up to {made}", 10_000),
                      lambda exc: self._failed("Backup failed", f"The backup could not be made. {exc}"))

    def save_copy(self) -> None:
        """The whole store as one self-contained file (no -wal beside it), readable by this user only."""
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save a copy of the store", "controltower-copy.db",
                                                "Control Tower stores (*.db)")
        if not chosen:
            return
        self.window.statusBar().showMessage("Saving a copy…")
        run_in_thread(lambda: self.service.save_copy(Path(chosen)),
                      lambda made: self.window.statusBar().showMessage(f"Saved a copy to {made}", 10_000),
                      lambda exc: self._failed("Copy not saved", f"The copy could not be saved. {exc}"))

    def _failed(self, title: str, text: str) -> None:
        self.window.statusBar().showMessage(text, 30_000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()

    def restore(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Restore a backup", str(self.folder), "Control Tower backups (*.db)")
        if not chosen:
            return
        try:
            info = self.service.inspect(Path(chosen))
        except RestoreRefused as exc:
            QMessageBox.warning(self.window, "Cannot restore this file", str(exc))
            return
        answer = QMessageBox.question(
            self.window, "Restore backup?",
            f"Replace the current store with this backup?\n\n{describe_backup(info)}\n\n"
            "Control Tower closes (background work is stopped first), keeps the current file beside it, and starts "
            "again on the backup.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.restore_at_exit(info.path)
        except RestoreRefused as exc:  # changed or removed since it was chosen
            QMessageBox.warning(self.window, "Cannot restore this file", str(exc))
            return
        log.info("restoring %s as Control Tower closes", chosen)
        self.window.close()

    def export_settings(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Export settings", "controltower-settings.json", "JSON (*.json)")
        if chosen:
            self.service.export_settings(Path(chosen))

    def import_settings(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Import settings", "", "JSON (*.json)")
        if not chosen:
            return
        try:
            count = self.service.import_settings(Path(chosen))
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self.window, "Settings not imported", str(exc))
            return
        self.window.statusBar().showMessage(f"Imported {count} settings", 10_000)
