"""Backups taken while writes continue are sound; a restore refuses bad files and replaces nothing."""
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from controltower.store import Database, latest_version
from controltower.store import backup


def write_orders(db_path, stop: threading.Event, written: list):
    db = Database(db_path)
    n = 0
    while not stop.is_set():
        with db.transaction() as conn:
            for _ in range(50):
                conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                             "VALUES (?, '2026-11-25T00:00:00+00:00', '2026-11-25T00:00:00+00:00', 'Busy', 'standard')", (f"W{n}",))
                n += 1
        written.append(n)
    db.close()


def test_backup_while_writing_passes_integrity_check(tmp_path, store):
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_orders, args=(store.path, stop, written))
    writer.start()
    try:
        while not written:
            pass
        made = [backup.backup_now(store.reader(), tmp_path / "b", now=datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=i))
                for i in range(3)]
    finally:
        stop.set()
        writer.join()
    for path in made:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        assert count % 50 == 0  # whole transactions only
        conn.close()


def test_daily_backup_once_a_day_and_pruned(tmp_path, store):
    folder = tmp_path / "daily"
    day = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
    for offset in range(20):
        backup.daily_backup_if_due(store.reader(), folder, keep_days=7, now=day + timedelta(days=offset))
        assert backup.daily_backup_if_due(store.reader(), folder, keep_days=7, now=day + timedelta(days=offset, hours=3)) is None
    assert len(backup.backups(folder)) == 7  # one a day for the last seven days


def test_restore_refuses_corrupt_and_newer_files_and_replaces_nothing(tmp_path, store):
    target = store.path
    with store.transaction() as conn:
        conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                     "VALUES ('LIVE', '2026-11-25T00:00:00+00:00', '2026-11-25T00:00:00+00:00', 'Live', 'standard')")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = target.read_bytes()

    corrupt = tmp_path / "corrupt.db"
    good = backup.backup_now(store.reader(), tmp_path / "b")
    data = bytearray(good.read_bytes())
    data[4096:8192] = b"\xff" * 4096
    corrupt.write_bytes(bytes(data))
    with pytest.raises(backup.RestoreRefused, match="damaged|not a readable"):
        backup.restore(corrupt, target)

    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(backup.RestoreRefused, match="newer"):
        backup.restore(newer, target)

    not_ours = tmp_path / "other.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE x(y)")
    with pytest.raises(backup.RestoreRefused, match="not a Control Tower store"):
        backup.restore(not_ours, target)
    assert target.read_bytes() == before


def test_restore_keeps_the_replaced_file(tmp_path):
    db = Database(tmp_path / "live.db")
    saved = backup.backup_now(db.conn, tmp_path / "b")
    with db.transaction() as conn:
        conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                     "VALUES ('AFTER', '2026-11-25T00:00:00+00:00', '2026-11-25T00:00:00+00:00', 'New', 'standard')")
    db.close()
    kept = backup.restore(saved, tmp_path / "live.db")
    assert Database(tmp_path / "live.db").scalar("SELECT count(*) FROM orders") == 0
    assert Database(kept).scalar("SELECT count(*) FROM orders WHERE order_ref = 'AFTER'") == 1


def test_settings_export_import_without_secrets(store, tmp_path):
    from controltower.store import secrets

    secrets.set_secret("easypost", "api_key", "EZ_SECRET_123")
    store.set_setting("shop.name", "Rose City")
    text = backup.export_settings(store.conn)
    assert "EZ_SECRET_123" not in text and "Rose City" in text
    other = Database(tmp_path / "other.db")
    assert backup.import_settings(other.conn, text) == 1
    assert other.get_setting("shop.name") == "Rose City"
    with pytest.raises(ValueError, match="secret"):
        backup.import_settings(other.conn, '{"format": "controltower-settings/1", "settings": {"shopify.token": "x"}}')
