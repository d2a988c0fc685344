"""Damage found while the app runs (the daily check, a backup): the window offers the newest good backup there and
then; restoring it stops every job first, sets the damaged file aside untouched and puts the backup in its place."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import time_machine
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from store_faults import add_orders, damage

from controltower.services.backups import BackupService, RestoreRefused
from controltower.services.core import ControlTower, Options
from controltower.services.recovery import StoreDamaged
from controltower.store import Database
from controltower.ui.context import AppContext
from controltower.ui.main_window import MainWindow

TAKEN = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


@pytest.fixture
def shop(tmp_path):
    """A store of 3,000 orders with a backup of them, then 5 more orders that no backup holds."""
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    with time_machine.travel(TAKEN):
        BackupService(db).back_up_now()
    add_orders(db, 5, prefix="LATE")
    db.checkpoint()
    return db


def open_damage_box(qtbot) -> QMessageBox:
    def box():
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: box() is not None, timeout=20_000)
    return box()


def test_damage_found_while_running_offers_the_newest_good_backup_and_restores_it_with_every_job_stopped(qtbot, shop):
    core = ControlTower(shop, options=Options(sync=False, offline=True))
    window = MainWindow(AppContext(core=core))
    qtbot.addWidget(window)
    window.show()
    loop = asyncio.new_event_loop()
    damage(shop.path)
    with pytest.raises(StoreDamaged) as found:  # what the app's daily check job does: from now on no write goes in
        shop.full_check()
    damaged_bytes = shop.path.read_bytes()
    core.hub.publish("store.damaged", message=str(found.value))
    box = open_damage_box(qtbot)
    assert box.windowTitle() == "The store is damaged"
    assert "controltower-backup-20261124-090000.db" in box.text() and "3,000 orders" in box.text()
    restore = next(b for b in box.buttons() if b.text() == "Restore this backup and restart")
    qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)  # closing the window ends the run: jobs stop
    assert shop.path.read_bytes() == damaged_bytes  # nothing changes until every job has stopped
    loop.run_until_complete(core.stop())
    loop.close()
    kept = core.finish_pending_restore()
    assert kept.name.startswith("shop.damaged-") and kept.read_bytes() == damaged_bytes
    assert Database(shop.path).scalar("SELECT count(*) FROM orders") == 3000  # the backup, checked and whole
    assert core.finish_pending_restore() is None  # once


def test_a_backup_that_fails_its_check_is_refused_before_anything_stops(shop, tmp_path):
    core = ControlTower(shop, options=Options(sync=False, offline=True))
    bogus = tmp_path / "backups" / "controltower-backup-20261125-090000.db"
    bogus.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    with pytest.raises(RestoreRefused):
        core.restore_at_exit(bogus)
    assert core.pending_restore is None and core.finish_pending_restore() is None
    assert shop.scalar("SELECT count(*) FROM orders") == 3005
    core.close()
