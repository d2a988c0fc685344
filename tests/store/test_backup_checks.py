"""Backups that can't spread damage: each one checked before it counts, none of a damaged store, pruning that keeps
the newest good one, nothing half-written left behind, and owner-only files."""
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from store_faults import add_orders, damage

from controltower.store import Database, backup
from controltower.store.problems import StoreDamaged

DAY = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".db"))


def test_a_damaged_store_is_not_backed_up_and_the_old_good_backup_survives_pruning(tmp_path):
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    folder = tmp_path / "backups"
    good = backup.daily_backup_if_due(db.reader(), folder, keep_days=14, now=DAY)
    db.close()
    damage(tmp_path / "shop.db")
    source = sqlite3.connect(tmp_path / "shop.db")  # as the daily job reads it, 20 days on
    with pytest.raises(StoreDamaged, match="not backed up"):
        backup.daily_backup_if_due(source, folder, keep_days=14, now=DAY + timedelta(days=20))
    assert backup.backups(folder) == [good] and leftovers(folder) == []


def test_pruning_keeps_the_newest_backup_that_passes_its_check(tmp_path, store):
    add_orders(store, 50)
    folder = tmp_path / "backups"
    good = backup.backup_now(store.reader(), folder, now=DAY)
    for day in (1, 2, 3):  # damaged copies, as an older version made them without checking
        bad = backup.backup_now(store.reader(), folder, now=DAY + timedelta(days=day))
        damage(bad) if bad.stat().st_size > 20_000 else bad.write_bytes(os.urandom(bad.stat().st_size))
    removed = backup.prune(folder, keep_days=7, now=DAY + timedelta(days=20))
    assert good in backup.backups(folder)
    assert [p.name[-18:-3] for p in removed] == ["20261102-090000", "20261103-090000"]


def test_a_copy_that_fails_its_check_is_deleted_and_reported(tmp_path, store, monkeypatch):
    from controltower.store import health

    add_orders(store, 10)
    real = health.file_problem
    monkeypatch.setattr(health, "file_problem", lambda path: "Page 7: btreeInitPage() returns error code 11"
                        if str(path).endswith(".partial") else real(path))
    with pytest.raises(backup.BackupFailed, match="did not pass its integrity check.*deleted"):
        backup.backup_now(store.reader(), tmp_path / "backups", now=DAY)
    assert list((tmp_path / "backups").iterdir()) == []


def test_backups_and_their_folder_are_owner_only(tmp_path, store):
    made = backup.backup_now(store.reader(), tmp_path / "backups", now=DAY)
    assert oct(made.stat().st_mode & 0o777) == "0o600"
    assert oct(made.parent.stat().st_mode & 0o777) == "0o700"


def test_the_restore_preview_says_what_a_backup_holds(tmp_path, store):
    add_orders(store, 3, created="2026-11-24T18:30:00+00:00")
    add_orders(store, 1, prefix="LAST", created="2026-11-25T07:15:00+00:00")
    info = backup.inspect(backup.backup_now(store.reader(), tmp_path / "backups", now=DAY))
    assert (info.orders, info.last_order_at, info.schema_version, info.taken_at) == (
        4, "2026-11-25T07:15:00+00:00", store.schema_version, DAY)


DISK_FULL_CHILD = """
import json, resource, signal, sqlite3, sys
from pathlib import Path
from controltower.store import backup
from controltower.store.problems import DiskFull
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (300_123, resource.RLIM_INFINITY))  # a disk with 300 KB free
source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
try:
    backup.backup_now(source, Path(sys.argv[2]))
    print(json.dumps({"made": True}))
except DiskFull as exc:
    print(json.dumps({"disk_full": str(exc)}))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_backup_onto_a_full_disk_says_so_and_leaves_nothing_behind(tmp_path):
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)  # about 1.5 MB, five times the room left
    db.close()
    folder = tmp_path / "backups"
    child = subprocess.run([sys.executable, "-c", DISK_FULL_CHILD, str(tmp_path / "shop.db"), str(folder)],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    said = json.loads(child.stdout.strip().splitlines()[-1])
    assert said["disk_full"].startswith("The disk is full:")
    assert list(folder.iterdir()) == []  # no .partial, no half backup
