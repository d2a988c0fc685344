"""A writer killed with SIGKILL in the middle of a 10,000-order import leaves a sound store: each order whole or absent."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from controltower.store import Database


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_import_leaves_whole_orders_or_none(tmp_path):
    path = tmp_path / "crash.db"
    db = Database(path)
    with db.transaction() as conn:  # an order that was there before must survive untouched
        conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                     "VALUES ('BEFORE', '2026-11-25T00:00:00+00:00', '2026-11-25T00:00:00+00:00', 'Kept', 'standard')")
    db.close()
    writer = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_slow_writer.py")), str(path), "10000"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    try:
        assert writer.stdout.readline().strip() == "halfway"
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    db = Database(path)
    assert db.integrity_ok()
    orders = db.scalar("SELECT count(*) FROM orders WHERE order_ref LIKE 'K-%'")
    assert orders in (0, 10_000)
    broken = db.scalar("SELECT count(*) FROM orders o WHERE order_ref LIKE 'K-%' AND "
                       "(SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) != 3")
    assert broken == 0
    assert db.scalar("SELECT customer_name FROM orders WHERE order_ref = 'BEFORE'") == "Kept"
    # Search index and table agree after the crash.
    assert db.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH 'Kept'") == 1
