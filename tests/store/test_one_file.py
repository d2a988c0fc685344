"""Closing the store folds the write-ahead log back in: the .db file alone holds everything committed."""
from __future__ import annotations

import shutil
import sqlite3
import threading
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.store import Database  # noqa: E402


def test_after_close_a_copy_of_just_the_db_file_holds_every_committed_row(tmp_path):
    path = tmp_path / "store.db"
    db = Database(path)
    facts = Facts(db)
    orders = [facts.order(ref=f"R{n}") for n in range(50)]
    seen = []

    def read_in_a_worker():  # readers in other threads keep the log from being folded in while they are open
        seen.append(db.reader().execute("SELECT count(*) FROM orders").fetchone()[0])

    workers = [threading.Thread(target=read_in_a_worker) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    db.reader().execute("SELECT count(*) FROM orders").fetchone()
    assert Path(f"{path}-wal").stat().st_size > 0  # committed rows are in the log until a checkpoint
    db.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy" / "store.db"
    copy.parent.mkdir()
    shutil.copy(path, copy)  # what a user does when the README says "one file"
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == len(orders) == 50
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == db_audit_rows(path)
    conn.close()
    assert seen == [50, 50, 50]


def db_audit_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()
