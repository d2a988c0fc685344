"""Big imports: checked in worker processes with the same result as in one process; indexes rebuilt once;
re-imports change only what changed and keep positions the app found."""
from __future__ import annotations

import os
import random

import pytest

from controltower.imports import GENERIC, import_file, import_table, prepare, read_table
from controltower.imports import assemble
from controltower.imports.importer import worker_pool
from controltower.store.orders import get_order, get_order_id

HEADER = "order_ref,customer_name,phone,email,street,city,postcode,country,created_at,deliver by,item,quantity,price\n"


def write_mixed(path, count: int, seed: int = 3) -> None:
    """Orders of one to three item rows, with a bad cell in about one order in twelve."""
    rng = random.Random(seed)
    bad = ["postcode:ABCDE", "phone:12", "email:nobody@", "quantity:-2", "created_at:31/31/2025", "street:"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for i in range(count):
            cells = {"postcode": f"627{i % 100:02d}", "phone": f"(217) 555-{i % 10000:04d}", "email": f"c{i}@example.com",
                     "quantity": "2", "created_at": f"2025-10-{1 + i % 28:02d} 09:{i % 60:02d}", "street": f"{i} Elm St"}
            if rng.random() < 1 / 12:
                column, value = rng.choice(bad).split(":", 1)
                cells[column] = value
            for item in range(1 + i % 3):
                first = item == 0
                handle.write(f"B-{i},{'Customer ' + str(i) if first else ''},\"{cells['phone'] if first else ''}\","
                             f"{cells['email'] if first else ''},{cells['street'] if first else ''},"
                             f"{'Springfield' if first else ''},{cells['postcode'] if first else ''},US,"
                             f"{cells['created_at'] if first else ''},2025-11-0{1 + i % 9},Item {item},"
                             f"{cells['quantity'] if first else '1'},{4 + item}.50\n")
            if i % 500 == 250:
                handle.write(",,,,,,,,,,Stray item,1,1.00\n")  # a row with no order number


def test_worker_processes_check_exactly_like_one_process(tmp_path, monkeypatch):
    path = tmp_path / "mixed.csv"
    write_mixed(path, 3000)
    table = read_table(path)
    alone = prepare(table, GENERIC.in_zone("UTC"))
    monkeypatch.setattr(assemble, "CHUNK_ROWS", 700)  # several slices, so they really spread over the workers
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    with worker_pool(len(table.rows)) as pool:
        assert pool is not None or os.cpu_count() == 1
        together = prepare(table, GENERIC.in_zone("UTC"), pool=pool)
    assert alone.ready > 2500 and alone.rejected_orders > 150  # the file really has both
    assert _timeless(together.records) == _timeless(alone.records)
    assert together.problems == alone.problems
    assert together.rejected_rows == alone.rejected_rows
    assert together.rejected_orders == alone.rejected_orders
    assert any(p.reason == "order number is missing" for p in together.problems)


def _timeless(records):
    """Records without updated_at (the moment of the check)."""
    return [(r.values[:3] + r.values[4:], r.lines) for r in records]


def test_a_big_import_into_an_empty_store_rebuilds_every_index_and_the_search(store, tmp_path):
    indexes = sorted(tuple(r) for r in store.conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'orders'"))
    path = tmp_path / "big.csv"
    write_mixed(path, 12_000)
    report = import_file(store, path, GENERIC)
    assert report.imported > 10_000 and report.rejected > 0
    assert sorted(tuple(r) for r in store.conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'orders'")) == indexes
    assert store.integrity_ok()
    assert store.scalar("SELECT count(*) FROM orders") == report.imported
    assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Springfield\"'") == report.imported
    plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN SELECT id FROM orders WHERE city = 'x'"))
    assert "orders_city" in plan
    # an order added afterwards is found by search: the per-row trigger is back
    import_file(store, _one_order(tmp_path, "LATE-1", "Quixotic Lane"), GENERIC)
    assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Quixotic\"'") == 1


def _one_order(tmp_path, ref: str, street: str, postcode: str = "62701", items: str = "Mug,1,4.50"):
    path = tmp_path / f"{ref}.csv"
    path.write_text(HEADER + f"{ref},Ada Lovelace,(217) 555-0100,ada@example.com,{street},Springfield,{postcode},US,"
                             f"2025-10-01 09:00,2025-11-02,{items}\n", encoding="utf-8")
    return path


def test_reimport_keeps_the_position_the_app_found_until_the_address_changes(store, tmp_path):
    assert import_file(store, _one_order(tmp_path, "G-1", "12 Oak St"), GENERIC).imported == 1
    order_id = get_order_id(store.conn, "G-1")
    with store.transaction() as conn:
        conn.execute("UPDATE orders SET lat = 39.78, lon = -89.65, geo_precision = 'rooftop', geo_confidence = 0.9 "
                     "WHERE id = ?", (order_id,))

    again = import_file(store, _one_order(tmp_path, "G-1", "12 Oak St"), GENERIC)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 1)
    assert get_order(store.conn, order_id).location.lat == pytest.approx(39.78)

    moved = import_file(store, _one_order(tmp_path, "G-1", "98 Pine St"), GENERIC)
    assert (moved.updated, moved.unchanged) == (1, 0)
    changed = get_order(store.conn, order_id)
    assert changed.address.street == "98 Pine St"
    assert changed.location is None  # the old position was for the old address: placed again


def test_reimport_with_changed_items_updates_the_order(store, tmp_path):
    import_file(store, _one_order(tmp_path, "G-2", "12 Oak St"), GENERIC)
    report = import_file(store, _one_order(tmp_path, "G-2", "12 Oak St", items="Teapot,3,19.00"), GENERIC)
    assert (report.updated, report.unchanged) == (1, 0)
    lines = get_order(store.conn, get_order_id(store.conn, "G-2")).lines
    assert [(l.name, l.quantity, l.unit_price.amount_minor) for l in lines] == [("Teapot", 3, 1900)]


def test_streamed_import_reports_what_a_prepared_one_does(store, tmp_path):
    path = tmp_path / "mixed.csv"
    write_mixed(path, 800)
    table = read_table(path)
    prepared = prepare(table, GENERIC.in_zone("UTC"))
    steps: list[tuple[str, int, int]] = []
    report = import_table(store, table, GENERIC, progress=lambda *step: steps.append(step))
    assert report.imported == prepared.ready
    assert report.rejected == prepared.rejected_row_count and report.errors == prepared.problems
    assert steps[-1][0] == "saving" and steps[-1][1] == steps[-1][2]
    assert [s[1] for s in steps] == sorted(s[1] for s in steps)
