"""The app's open path on a damaged store: a window says so and offers the newest good backup; restoring it keeps the
damaged file aside and opens the store; Quit leaves everything as it was. (The event loop is not running yet.)"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone

import pytest
import time_machine
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from store_faults import add_orders, damage

from controltower.app import open_or_recover
from controltower.services.backups import BackupService
from controltower.store import Database
from controltower.ui.store_problem import StoreProblemDialog

ARGS = argparse.Namespace(demo=False, seed=7, offline=True, screenshot=None)


@pytest.fixture
def damaged_store(tmp_path):
    """A store of 3,000 orders with a backup taken on 24 November, then damaged on disk."""
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000, created="2026-11-24T17:45:00+00:00")
    with time_machine.travel(datetime(2026, 11, 24, 9, tzinfo=timezone.utc)):
        BackupService(db).back_up_now()
    db.close()
    damage(tmp_path / "shop.db")
    return tmp_path / "shop.db"


def answer_the_dialog(seen: dict, choice: str) -> None:
    """Once the dialog is up: note what it says, then press `choice` ("Restore this backup" or "Quit")."""
    def look() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, StoreProblemDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, look)
            return
        dialog = dialogs[0]
        seen["title"] = dialog.windowTitle()
        seen["text"] = "\n".join(label.text() for label in dialog.findChildren(QLabel))
        button = dialog.restore_button if choice.startswith("Restore") else None
        if button is not None:
            button.click()
        else:
            dialog.reject()

    QTimer.singleShot(0, look)


def test_a_damaged_store_is_shown_in_a_window_and_the_newest_good_backup_restored(qtbot, damaged_store, capsys):
    damaged_bytes = damaged_store.read_bytes()
    seen: dict = {}
    answer_the_dialog(seen, "Restore this backup")
    core = open_or_recover(ARGS, damaged_store)
    try:
        assert "The store is damaged" in seen["title"]
        assert "integrity check" in seen["text"] and "controltower-backup-20261124-090000.db" in seen["text"]
        assert "3,000 orders" in seen["text"] and "the last one placed" in seen["text"]
        assert core is not None and core.db.scalar("SELECT count(*) FROM orders") == 3000
        kept = list(damaged_store.parent.glob("shop.damaged-*.db"))
        assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
    finally:
        if core is not None:
            core.close()
    assert "The store is damaged" in capsys.readouterr().err


def test_quitting_leaves_the_damaged_store_untouched(qtbot, damaged_store):
    before = damaged_store.read_bytes()
    seen: dict = {}
    answer_the_dialog(seen, "Quit")
    assert open_or_recover(ARGS, damaged_store) is None
    assert seen["title"].endswith("The store is damaged")
    assert damaged_store.read_bytes() == before and not list(damaged_store.parent.glob("*.damaged-*"))
