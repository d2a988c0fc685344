"""File menu: Back up now, Restore…, settings export/import, and the daily automatic backup."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from ..store import backup
from ..store.db import Database
from .tasks import run_in_thread

log = logging.getLogger(__name__)


class BackupActions:
    def __init__(self, window: QWidget, db: Database, keep_days: int | None = None) -> None:
        self.window, self.db = window, db
        self.folder = db.path.parent / "backups"
        self.keep_days = keep_days or int(db.get_setting("backup.keep_days", "14"))
        self.timer = QTimer(window, interval=60 * 60 * 1000)
        self.timer.timeout.connect(self.daily)
        self.timer.start()
        QTimer.singleShot(5000, self.daily)

    def daily(self) -> None:
        path, folder, keep = self.db.path, self.folder, self.keep_days

        def work():
            from ..store.db import connect

            conn = connect(path)
            try:
                return backup.daily_backup_if_due(conn, folder, keep)
            finally:
                conn.close()

        run_in_thread(work, lambda made: log.info("daily backup %s", made) if made else None,
                      lambda exc: log.error("daily backup failed: %s", exc))

    def back_up_now(self) -> None:
        path, folder = self.db.path, self.folder

        def work():
            from ..store.db import connect

            conn = connect(path)
            try:
                return backup.backup_now(conn, folder)
            finally:
                conn.close()

        self.window.statusBar().showMessage("Backing up…")
        run_in_thread(work, lambda made: self.window.statusBar().showMessage(f"Backed up to {made}", 10_000),
                      lambda exc: QMessageBox.warning(self.window, "Backup failed", f"The backup could not be made: {exc}"))

    def restore(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Restore a backup", str(self.folder), "Control Tower backups (*.db)")
        if not chosen:
            return
        try:
            info = backup.inspect(Path(chosen))
        except backup.RestoreRefused as exc:
            QMessageBox.warning(self.window, "Cannot restore this file", str(exc))
            return
        answer = QMessageBox.question(
            self.window, "Restore backup?",
            f"Replace the current store with {Path(chosen).name} ({info.orders:,} orders)?\n"
            "The current file is kept beside it, and Control Tower restarts.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.db.close()
        kept = backup.restore(Path(chosen), self.db.path)
        log.info("restored %s; previous store kept as %s", chosen, kept)
        QProcess.startDetached(sys.executable, sys.argv[1:] if getattr(sys, "frozen", False) else sys.argv)
        QApplication.quit()

    def export_settings(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Export settings", "controltower-settings.json", "JSON (*.json)")
        if chosen:
            Path(chosen).write_text(backup.export_settings(self.db.reader()), encoding="utf-8")

    def import_settings(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Import settings", "", "JSON (*.json)")
        if not chosen:
            return
        try:
            count = backup.import_settings(self.db.conn, Path(chosen).read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self.window, "Settings not imported", str(exc))
            return
        self.window.statusBar().showMessage(f"Imported {count} settings", 10_000)
