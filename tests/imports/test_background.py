"""Imports in a child process: the report comes back; stopping one leaves the store as it was."""
from __future__ import annotations

import time
from pathlib import Path

from controltower.imports.background import start_import
from controltower.store.orders import get_order, get_order_id

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_child_import_reports_back_with_the_users_fixes_applied(store):
    # row index 5 (spreadsheet row 7) is G-6 with postcode "ABCDE" in column 6
    messages = start_import(store.path, DATA / "bad_rows.csv", fixes={(5, 6): "62704"}).wait(timeout=120)
    kind, report, cpu_seconds = messages[-1]
    assert kind == "done" and cpu_seconds > 0
    assert (report.imported, report.rejected) == (3, 14)
    assert any(m[0] == "progress" and m[1] == "saving" for m in messages)
    assert get_order(store.conn, get_order_id(store.conn, "G-6")).address.postcode == "62704"


def test_stopping_a_child_import_saves_nothing(store, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("order_ref,name,street,city,postcode,country\n" +
                   "".join(f"S-{i},Name {i},{i} Oak St,Springfield,62701,US\n" for i in range(30_000)), encoding="utf-8")
    job = start_import(store.path, big)
    deadline = time.monotonic() + 120
    seen: list = []
    while not any(m[0] == "progress" for m in seen):
        seen += job.messages()
        assert not job.finished and time.monotonic() < deadline, seen
    job.cancel()
    assert store.scalar("SELECT count(*) FROM orders") == 0
    assert store.integrity_ok()


def test_an_unreadable_file_fails_with_a_plain_message(store, tmp_path):
    messages = start_import(store.path, tmp_path / "missing.csv").wait(timeout=120)
    assert messages[-1][0] == "failed" and "Could not open missing.csv" in messages[-1][1]
