"""The demo day is realistic and deterministic for a seed."""
import sqlite3
from datetime import datetime, timezone

from controltower.demo import generate

NOW = datetime(2026, 11, 25, 21, 0, tzinfo=timezone.utc)


def snapshot(path):
    conn = sqlite3.connect(path)
    return conn.execute("SELECT order_ref, customer_name, street, lat, lon, delivery_option, status FROM orders ORDER BY id").fetchall()


def test_same_seed_same_day(tmp_path):
    a, b = generate(tmp_path / "a.db", seed=11, now=NOW), generate(tmp_path / "b.db", seed=11, now=NOW)
    assert snapshot(a.path) == snapshot(b.path)
    assert snapshot(generate(tmp_path / "c.db", seed=12, now=NOW).path) != snapshot(a.path)


def test_demo_day_looks_like_a_shop(tmp_path):
    summary = generate(tmp_path / "d.db", seed=5, now=NOW)
    assert 100 <= summary.today_orders <= 300
    conn = sqlite3.connect(summary.path)
    options = {row[0] for row in conn.execute("SELECT DISTINCT delivery_option FROM orders")}
    assert options == {"standard", "express", "same_day", "scheduled", "pickup"}
    lat, lon = conn.execute("SELECT avg(lat), avg(lon) FROM orders").fetchone()
    assert 45.45 < lat < 45.6 and -122.72 < lon < -122.5  # around the shop in Portland
    assert conn.execute("SELECT count(*) FROM vehicles").fetchone()[0] >= 2
    assert conn.execute("SELECT count(DISTINCT delivery_date) FROM orders").fetchone()[0] >= 10  # history for KPIs
    assert conn.execute("SELECT count(*) FROM stops WHERE route_id IS NOT NULL").fetchone()[0] > 10
    statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM orders")}
    assert {"delivered", "out_for_delivery", "failed_attempt", "created"} <= statuses
