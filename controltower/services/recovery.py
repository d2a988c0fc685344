"""When the store can't be opened: what is wrong (store.problems), the newest good backup, and restoring it with the
damaged file kept aside as `<name>.damaged-<stamp>.db`. Used before the main window exists, so no Database here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..store import backup
from ..store.backup import BackupInfo
from ..store.migrations import SchemaTooNew
from ..store.problems import DiskFull, NoPermission, StoreDamaged, StoreOnNetworkDrive, StoreProblem, StoreReadOnly

__all__ = ["BackupInfo", "DiskFull", "NoPermission", "Recovery", "SchemaTooNew", "StoreDamaged", "StoreOnNetworkDrive",
           "StoreProblem", "StoreReadOnly"]

TITLES = {StoreDamaged: "The store is damaged", SchemaTooNew: "The store is from a newer Control Tower",
          StoreReadOnly: "The store is read-only", NoPermission: "No permission to open the store",
          DiskFull: "The disk is full", StoreOnNetworkDrive: "The store is on a network drive"}


@dataclass
class Recovery:
    """What to tell the user about `problem` with the store at `store_path`, and the way back when there is one."""

    store_path: Path
    problem: StoreProblem
    _newest: BackupInfo | None = field(default=None, init=False)
    _looked: bool = field(default=False, init=False)

    @property
    def title(self) -> str:
        return next((title for kind, title in TITLES.items() if isinstance(self.problem, kind)), "The store can't be opened")

    def newest_good_backup(self) -> BackupInfo | None:
        """The newest backup that passes its check, offered only for a damaged store (checked once, then kept)."""
        if not isinstance(self.problem, StoreDamaged):
            return None
        if not self._looked:
            self._looked = True
            self._newest = backup.newest_restorable(backup.folder_for(self.store_path))
        return self._newest

    def restore(self, info: BackupInfo, *, now: datetime | None = None) -> Path:
        """Put the backup in the store's place; returns where the damaged file was kept (never written to)."""
        return backup.restore(info.path, self.store_path, now=now, kept_as="damaged")
