"""A writer killed with SIGKILL during a 10,000-order import, at several points after its rows are written, leaves
the store as it was before the import (one import = one transaction); killed after the commit, all of it is there."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from controltower.store import Database

ORDERS = 10_000
BEFORE = ("SELECT order_ref, customer_name FROM orders", "SELECT count(*) FROM order_lines",
          "SELECT type, name, sql FROM sqlite_master", "SELECT count(*) FROM audit_log")


def write_orders(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("order_ref,customer_name,phone,street,city,postcode,country,item,quantity\n")
        for n in range(count):
            handle.write(f"K-{n:05d},Customer {n},+1 503 555 {n % 10000:04d},{n} Oak St,Portland,97214,US,Pot,1\n"
                         f"K-{n:05d},Customer {n},+1 503 555 {n % 10000:04d},{n} Oak St,Portland,97214,US,Fern,2\n")


def snapshot(db: Database) -> list:
    return [sorted(tuple(row) for row in db.conn.execute(sql)) for sql in BEFORE]


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("crash") / "orders.csv"
    write_orders(path, ORDERS)
    return path


def run_writer_until(start, db_path: Path, orders_file: Path, point: str) -> tuple[int, int]:
    """Runs the import in a child and SIGKILLs it at `point`; returns the orders and lines its transaction had written."""
    writer = start([sys.executable, str(Path(__file__).with_name("_slow_writer.py")), str(db_path), str(orders_file)],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    for line in writer.stdout:
        reached, orders, lines = line.split()
        if reached == point:
            os.kill(writer.pid, signal.SIGKILL)
            break
        writer.stdin.write("go\n")
        writer.stdin.flush()
    else:
        pytest.fail(f"the writer ended without reaching {point}")
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    return int(orders), int(lines)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("point", ["slice-1", "slice-3", "slice-5", "before-commit"])
def test_sigkill_after_rows_are_written_leaves_the_store_as_it_was(tmp_path, orders_file, point, child_processes):
    path = tmp_path / "crash.db"
    db = Database(path)
    with db.transaction() as conn:  # an order that was there before must survive untouched
        conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                     "VALUES ('BEFORE', '2026-11-25T00:00:00+00:00', '2026-11-25T00:00:00+00:00', 'Kept', 'standard')")
    before = snapshot(db)
    db.close()

    written, lines = run_writer_until(child_processes, path, orders_file, point)
    assert written > 1 and lines >= 2 * (written - 1)  # the transaction had really written rows when it died

    db = Database(path)
    try:
        assert db.integrity_ok()
        assert snapshot(db) == before  # no order, line, audit entry or dropped index of the dead import
        assert db.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH 'Oak'") == 0
        assert db.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH 'Kept'") == 1
    finally:
        db.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_after_the_commit_keeps_every_order_whole(tmp_path, orders_file, child_processes):
    path = tmp_path / "crash.db"
    Database(path).close()
    run_writer_until(child_processes, path, orders_file, "committed")

    db = Database(path)
    try:
        assert db.integrity_ok()
        assert db.scalar("SELECT count(*) FROM orders") == ORDERS
        assert db.scalar("SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM order_lines l "
                         "WHERE l.order_id = o.id) != 2") == 0
        assert db.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH 'Oak'") == ORDERS
    finally:
        db.close()
