"""A 50,000-row import killed mid-save leaves the store exactly as it was (one import = one transaction)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from controltower.imports import GENERIC, import_file
from controltower.store import Database


def write_orders(path, count, prefix="K"):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("order_ref,customer_name,phone,street,city,postcode,country,item,quantity\n")
        for i in range(count):
            handle.write(f"{prefix}-{i},Customer {i},+1 217 555 {i % 10000:04d},{i} Elm St,Springfield,62701,US,Widget,2\n")


def test_sigkill_during_a_50000_row_import_leaves_nothing_half_imported(tmp_path):
    db_path = tmp_path / "store.db"
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_orders(small, 5, prefix="KEEP")
    write_orders(big, 50_000)
    store = Database(db_path)
    assert import_file(store, small, GENERIC).imported == 5
    schema = sorted(tuple(r) for r in store.conn.execute("SELECT type, name, sql FROM sqlite_master"))
    store.close()

    process = subprocess.Popen([sys.executable, "-m", "controltower.cli", "import", str(big), "--db", str(db_path), "--progress"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    killed_at = None
    try:
        for line in process.stderr:
            phase, _, counts = line.strip().partition(" ")
            if phase == "saving":
                done, total = map(int, counts.split("/"))
                if 0 < done < total:
                    os.kill(process.pid, signal.SIGKILL)
                    killed_at = done
                    break
    finally:
        process.wait(timeout=300)
    assert killed_at is not None, "the import finished before it could be killed"
    assert process.returncode == -signal.SIGKILL

    store = Database(db_path)
    try:
        assert store.integrity_ok()
        assert store.scalar("SELECT count(*) FROM orders") == 5
        assert store.scalar("SELECT count(*) FROM order_lines") == 5
        assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Elm\"'") == 5
        assert store.scalar("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name='orders_fts_insert'") == 1
        # the indexes a big import drops for speed are all back, as they were
        assert sorted(tuple(r) for r in store.conn.execute("SELECT type, name, sql FROM sqlite_master")) == schema
        # and the same file imports completely afterwards
        assert import_file(store, big, GENERIC).imported == 50_000
        assert store.scalar("SELECT count(*) FROM orders") == 50_005
    finally:
        store.close()
