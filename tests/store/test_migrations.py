"""A database written by schema version 1 (a real file kept in the repo) opens, migrates and keeps its data."""
import shutil
import sqlite3

import pytest

from controltower.store import Database, SchemaTooNew, latest_version
from controltower.store import orders as order_store
from controltower.store.migrations import applied_versions

from pathlib import Path

V1 = Path(__file__).parent.parent / "data" / "store_v1.db"


def test_v1_file_migrates_with_data_intact(tmp_path):
    copy = tmp_path / "old.db"
    shutil.copy(V1, copy)
    raw = sqlite3.connect(copy)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    before_orders = raw.execute("SELECT order_ref, customer_name, street, lat, lon, status FROM orders ORDER BY id").fetchall()
    before_events = raw.execute("SELECT count(*) FROM tracking_events").fetchone()[0]
    raw.close()

    db = Database(copy)
    assert db.schema_version == latest_version()
    assert applied_versions(db.conn) >= set(range(1, 2))
    after = [tuple(r) for r in db.query("SELECT order_ref, customer_name, street, lat, lon, status FROM orders ORDER BY id")]
    assert after == before_orders and len(after) > 100
    assert db.scalar("SELECT count(*) FROM tracking_events") == before_events
    assert db.integrity_ok()
    # The migrated store is fully usable: search still finds an existing customer.
    name = after[0][1].split()[0]
    assert order_store.page(db.conn, order_store.OrderQuery(search=name), 0, 10)


def test_reopening_applies_nothing_twice(tmp_path):
    Database(tmp_path / "a.db").close()
    db = Database(tmp_path / "a.db")
    assert db.scalar("SELECT count(*) FROM schema_migrations") == len(applied_versions(db.conn))


def test_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    Database(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {latest_version() + 5}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer Control Tower"):
        Database(path)
    assert path.read_bytes() == before
