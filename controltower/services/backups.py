"""Backups of the store (now, daily, restore), Save a copy, and the settings file, for the File menu."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..kernel.events import EventHub
from ..store import Database, backup
from ..store.backup import BackupFailed, BackupInfo, RestoreRefused
from ..store.db import connect
from ..store.problems import StoreDamaged, StoreProblem

__all__ = ["BackupFailed", "BackupInfo", "BackupService", "RestoreRefused", "StoreProblem"]


class BackupService:
    """Copies of the store in `folder` (beside the store). Backups read through a connection of their own, so call
    `back_up_now` and `daily_if_due` from a worker: the copy of a big store takes a while."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    @property
    def folder(self) -> Path:
        return backup.folder_for(self.db.path)

    def keep_days(self) -> int:
        """How many days of daily backups are kept (Settings: backup.keep_days)."""
        return int(self.db.get_setting("backup.keep_days", "14") or 14)

    def back_up_now(self) -> Path:
        """A checked backup now; raises a StoreProblem (damaged store, disk full, failed check) with nothing left behind."""
        return self._copying(lambda conn: backup.backup_now(conn, self.folder))

    def daily_if_due(self, keep_days: int | None = None, *, now: datetime | None = None) -> Path | None:
        """Today's backup unless it is there already (older ones past `keep_days` are pruned); None if not due."""
        keep = keep_days or self.keep_days()
        return self._copying(lambda conn: backup.daily_backup_if_due(conn, self.folder, keep, now=now))

    def save_copy(self, path: Path) -> Path:
        """File > Save a copy: the whole store as one self-contained, checked, owner-only file at `path`."""
        if Path(path).absolute().resolve() == self.db.path.absolute().resolve():
            raise BackupFailed(f"{path} is the store itself.", "Choose another name or folder for the copy.", path=Path(path))
        return self._copying(lambda conn: backup.copy_store(conn, Path(path)))

    def _copying(self, work):
        """A damaged store is never copied: known damage is refused first, and damage a copy reveals is kept on the
        Database (no more writes) and announced as `store.damaged`."""
        if self.db.damaged is not None:
            raise self.db.damaged
        conn = connect(self.db.path)
        try:
            return work(conn)
        except StoreDamaged as exc:
            self.db.damaged = exc
            self._publish("store.damaged", exc)
            raise
        except Exception as exc:  # shown in the window too, not only in the log
            self._publish("backup.failed", exc)
            raise
        finally:
            conn.close()

    def _publish(self, topic: str, exc: Exception) -> None:
        if self.hub is not None:
            self.hub.publish(topic, message=str(exc))

    def newest_good(self) -> BackupInfo | None:
        """The newest backup in the folder that passes its check (older ones are tried in turn); None if none does.
        Checking a backup reads all of it: call from a worker."""
        return backup.newest_restorable(self.folder)

    def inspect(self, path: Path) -> BackupInfo:
        """What a backup file holds; raises RestoreRefused when it is not a store this app can restore."""
        return backup.inspect(path)

    def restore(self, path: Path) -> Path:
        """Close the store and replace it with the backup at `path`; returns where the replaced file was kept.
        The app must restart afterwards: every connection to the old file is gone."""
        kept_as = "damaged" if self.db.damaged is not None else "replaced"  # a damaged file is moved aside untouched
        self.db.close()
        return backup.restore(path, self.db.path, kept_as=kept_as)

    def export_settings(self, path: Path) -> None:
        """Settings and carrier account options (never keys or passwords) as a JSON file."""
        Path(path).write_text(backup.export_settings(self.db.reader()), encoding="utf-8")

    def import_settings(self, path: Path) -> int:
        """Apply a settings file written by export_settings; returns how many settings it held.
        Raises ValueError (not a settings file, a secret-like key) or OSError."""
        return backup.import_settings(self.db.conn, Path(path).read_text(encoding="utf-8"))
