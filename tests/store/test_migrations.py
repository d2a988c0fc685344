"""A database written by schema version 1 (a real file kept in the repo) opens, migrates and keeps its data."""
import shutil
import sqlite3

import pytest

from controltower.store import Database, SchemaTooNew, latest_version
from controltower.store import orders as order_store
from controltower.store.migrations import applied_versions

from pathlib import Path

V1 = Path(__file__).parent.parent / "data" / "store_v1.db"
OLD_STORES = sorted((Path(__file__).parent.parent / "data").glob("store_v*.db"))
# Tables a migration may add rows to (each old row must still be there, unchanged).
GROWS = {"schema_migrations"}


def every_table(conn) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each table's columns and all its rows, in rowid order (column order for tables without one)."""
    tables = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
        tables[name] = (columns, table_rows(conn, name, columns))
    return tables


def table_rows(conn, name: str, columns: list[str]) -> list[tuple]:
    selected = ", ".join(f'"{c}"' for c in columns)
    try:
        return [tuple(r) for r in conn.execute(f'SELECT {selected} FROM "{name}" ORDER BY rowid')]
    except sqlite3.OperationalError:  # WITHOUT ROWID (full-text search's own tables)
        return sorted(tuple(r) for r in conn.execute(f'SELECT {selected} FROM "{name}"'))


@pytest.mark.parametrize("old_store", OLD_STORES, ids=lambda p: p.name)
def test_every_row_of_every_table_survives_migration(tmp_path, old_store):
    copy = tmp_path / "old.db"
    shutil.copy(old_store, copy)
    raw = sqlite3.connect(copy)
    before = every_table(raw)
    raw.close()
    assert sum(len(rows) for _, rows in before.values()) > 1000  # a store with data, not an empty schema

    db = Database(copy)
    try:
        assert db.schema_version == latest_version()
        now = every_table(db.conn)
        for table, (columns, rows) in before.items():
            assert table in now, f"{table} was dropped"
            kept = set(now[table][0])
            assert kept >= set(columns), f"{table} lost columns {set(columns) - kept}"
            after = table_rows(db.conn, table, columns)  # the old columns, read by name
            if table in GROWS:
                assert set(rows) <= set(after), f"{table} lost rows"
                continue
            assert len(after) == len(rows), f"{table}: {len(rows)} rows before, {len(after)} after"
            changed = [(old, new) for old, new in zip(rows, after) if old != new]
            assert not changed, f"{table}: {len(changed)} rows changed, first {changed[0]}"
        assert db.integrity_ok()
    finally:
        db.close()


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
