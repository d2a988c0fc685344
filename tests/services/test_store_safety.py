"""The application object keeps the store safe: a daily full check whose damage stops writes and backups and shows in
Background work, Save a copy as one owner-only file, the way back from a damaged store, and owner-only files."""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from store_faults import add_orders, damage
import time_machine

from controltower.kernel.events import EventHub
from controltower.services.backups import BackupFailed, BackupService
from controltower.services.core import Cadence, ControlTower, Options
from controltower.services.jobs import FAILED
from controltower.services.recovery import Recovery, StoreDamaged
from controltower.store import Database

NOON = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)
CHECK_NOW = Cadence(notifications=3600, notifications_first_after=3600, exceptions=3600, returns=3600, backup=3600,
                    backup_first_after=3600, store_check=3600, store_check_first_after=0)


def mode(path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_the_apps_store_check_finds_damage_shows_it_and_stops_writes_and_backups(tmp_path):
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    db.checkpoint()
    hub, said = EventHub(), []
    hub.subscribe("store.damaged", lambda _t, payload: said.append(payload["message"]))
    core = ControlTower(db, hub=hub, options=Options(sync=False, cadence=CHECK_NOW))
    damage(db.path)

    async def run():
        core.start()
        try:
            while core.jobs.status("store-check").runs < 1:
                await asyncio.sleep(0.02)
            return core.jobs.status("store-check")
        finally:
            await core.stop()

    with time_machine.travel(NOON, tick=True):
        status = asyncio.run(run())
    assert status.state == FAILED and "The store is damaged" in status.last_error  # Background work shows it
    assert said and said[0].startswith("The store is damaged")
    with pytest.raises(StoreDamaged):
        add_orders(db, 1, prefix="AFTER")
    with pytest.raises(StoreDamaged):
        core.backups.back_up_now()
    assert not (tmp_path / "backups").exists()
    core.close()


def test_save_a_copy_is_one_owner_only_file_holding_everything_committed(store, tmp_path):
    add_orders(store, 40)  # still in the -wal: the copy must hold it anyway
    assert os.path.getsize(f"{store.path}-wal") > 0
    copy = BackupService(store).save_copy(tmp_path / "elsewhere" / "copy.db")
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.db"]
    assert mode(copy) == "0o600"
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM orders").fetchone()[0] == 40
    with pytest.raises(BackupFailed, match="is the store itself"):
        BackupService(store).save_copy(store.path)


def test_a_failed_backup_is_announced_for_the_window(store, tmp_path):
    hub, said = EventHub(), []
    hub.subscribe("backup.failed", lambda _t, payload: said.append(payload["message"]))
    (store.path.parent / "backups").write_text("a file where the backups folder should be")
    with pytest.raises(OSError):
        BackupService(store, hub).back_up_now()
    assert len(said) == 1


def test_a_damaged_store_is_set_aside_and_the_newest_good_backup_restored(tmp_path):
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    service = BackupService(db)
    with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=timezone.utc)):
        older = service.back_up_now()
    add_orders(db, 5, prefix="NEW")
    with time_machine.travel(datetime(2026, 11, 24, 9, tzinfo=timezone.utc)):
        newest = service.back_up_now()
    (tmp_path / "backups" / "controltower-backup-20261125-090000.db").write_bytes(os.urandom(4096))  # unreadable
    db.close()
    damage(db.path)
    damaged_bytes = db.path.read_bytes()
    with pytest.raises(StoreDamaged) as refused:
        Database(db.path)
    recovery = Recovery(db.path, refused.value)
    info = recovery.newest_good_backup()
    assert info.path == newest != older and info.orders == 3005
    with time_machine.travel(NOON):
        kept = recovery.restore(info)
    assert kept.name == "shop.damaged-20261125-200000.db" and kept.read_bytes() == damaged_bytes
    assert Database(db.path).scalar("SELECT count(*) FROM orders") == 3005


def test_the_store_its_log_files_and_a_new_folder_are_owner_only(tmp_path):
    db = Database(tmp_path / "new" / "shop.db")
    add_orders(db, 1)
    db.reader().execute("SELECT 1").fetchone()
    assert [mode(p) for p in (db.path, tmp_path / "new" / "shop.db-wal", tmp_path / "new" / "shop.db-shm")] == ["0o600"] * 3
    assert mode(db.path.parent) == "0o700"
    db.close()


def test_an_older_store_readable_by_everyone_is_made_owner_only(tmp_path):
    Database(tmp_path / "shop.db").close()
    os.chmod(tmp_path / "shop.db", 0o644)
    Database(tmp_path / "shop.db").close()
    assert mode(tmp_path / "shop.db") == "0o600"


def test_log_files_are_owner_only(tmp_path):
    from controltower.logs import setup_logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    for handler in handlers:  # setup_logging keeps the first handler it made; start from none
        if getattr(handler, "_controltower", False):
            root.removeHandler(handler)
    try:
        path = setup_logging(folder=tmp_path / "logs")
        logging.getLogger("test").info("hello")
        assert mode(path) == "0o600" and mode(path.parent) == "0o700"
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_controltower", False):
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)


def test_the_cli_says_a_damaged_store_in_one_sentence_and_exits_2(tmp_path):
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    db.close()
    damage(tmp_path / "shop.db")
    result = subprocess.run([sys.executable, "-m", "controltower.cli", "export", "orders", "--db",
                             str(tmp_path / "shop.db"), "--out", str(tmp_path / "orders.csv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("controltower: The store is damaged:") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "orders.csv").exists()


def test_files_the_cli_creates_are_owner_only(tmp_path):
    Database(tmp_path / "shop.db").close()
    subprocess.run([sys.executable, "-m", "controltower.cli", "export", "orders", "--db", str(tmp_path / "shop.db"),
                    "--out", str(tmp_path / "orders.csv")], check=True, capture_output=True, timeout=120)
    assert mode(tmp_path / "orders.csv") == "0o600"
