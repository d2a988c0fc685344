"""The command line never guesses: `import` into a path with no store refuses unless told `--create`, and `export`
says what it wrote in the words of what it is (a routes export has a row per stop)."""
from __future__ import annotations

from pathlib import Path

from controltower.cli import main
from controltower.store import Database

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_import_into_a_mistyped_path_refuses_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "shpo.db"
    assert main(["import", str(DATA / "shopify_orders.csv"), "--db", str(typo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"controltower import: There is no store at {typo}, so nothing was imported. "
                   "Check the path, or add --create to make a new store there.")
    assert list(tmp_path.iterdir()) == []  # no store, no -wal, no lock beside it


def test_import_with_create_makes_the_store(tmp_path, capsys):
    new = tmp_path / "shop.db"
    assert main(["import", str(DATA / "shopify_orders.csv"), "--db", str(new), "--create"]) == 0
    assert capsys.readouterr().out.startswith("6 new, 0 updated")
    assert main(["import", str(DATA / "shopify_orders.csv"), "--db", str(new)]) == 0  # a store now: no --create needed
    assert capsys.readouterr().out.startswith("0 new, 0 updated, 6 unchanged")


def test_each_export_says_what_it_wrote(tmp_path, capsys):
    db = Database(tmp_path / "shop.db")
    with db.transaction() as conn:
        conn.execute("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end) "
                     "VALUES (1, 'Van 1', 50, 500000, '08:00', '16:00')")
        for route_id in (1, 2):
            conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (?, '2026-11-26', 1, '2026-11-26T08:00:00+00:00')",
                         (route_id,))
        for n in range(3):
            conn.execute("INSERT INTO orders(id, order_ref, created_at, updated_at, customer_name, delivery_option) "
                         "VALUES (?, ?, '2026-11-26T07:00:00+00:00', '2026-11-26T07:00:00+00:00', 'Ada', 'standard')",
                         (n + 1, f"R-{n}"))
            conn.execute("INSERT INTO stops(order_id, route_id, sequence, status) VALUES (?, 1, ?, 'planned')", (n + 1, n + 1))
    db.close()
    said = {}
    for what in ("routes", "orders", "exceptions"):
        out = tmp_path / f"{what}.csv"
        assert main(["export", what, "--db", str(tmp_path / "shop.db"), "--out", str(out)]) == 0
        said[what] = capsys.readouterr().out.strip()
    assert said["routes"] == f"3 stops on 2 routes written to {tmp_path / 'routes.csv'}"  # route 2 has no stop yet
    assert said["orders"] == f"3 orders written to {tmp_path / 'orders.csv'}"
    assert said["exceptions"] == f"0 exception cases written to {tmp_path / 'exceptions.csv'}"
