"""Store benchmark: open, sort, filter and search the Orders view on a store of N orders and M tracking events.

    python benchmarks/store_bench.py --orders 1000000 --events 5000000

Builds the database once (bulk SQL through the real schema and its migrations, cached beside --db), then times
the real OrdersView/OrdersModel. Last line: one JSON object with orders, events, open_ms, sort_ms, filter_ms, search_ms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from controltower.demo import city  # noqa: E402
from controltower.store import Database  # noqa: E402

STATUSES = ["delivered"] * 14 + ["in_transit", "out_for_delivery", "booked", "created", "failed_attempt", "exception", "returned", "cancelled"]
OPTIONS = ["standard", "standard", "express", "same_day", "scheduled", "pickup"]


def build(path: Path, orders: int, events: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")  # build speed only; the app itself runs with FULL
    names = [(i, f) for i, f in enumerate(city.FIRST_NAMES)]
    lasts = [(i, l) for i, l in enumerate(city.LAST_NAMES)]
    streets = [(i, s) for i, (s, _) in enumerate(city.EAST_WEST)]
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE fn(i INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TEMP TABLE ln(i INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TEMP TABLE st(i INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TEMP TABLE ss(i INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TEMP TABLE op(i INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO fn VALUES (?, ?)", names)
    conn.executemany("INSERT INTO ln VALUES (?, ?)", lasts)
    conn.executemany("INSERT INTO st VALUES (?, ?)", streets)
    conn.executemany("INSERT INTO ss VALUES (?, ?)", list(enumerate(STATUSES)))
    conn.executemany("INSERT INTO op VALUES (?, ?)", list(enumerate(OPTIONS)))
    # Orders spread over a year, one every ~30 s; pseudo-random fields from multiplicative hashing.
    conn.execute(f"""
        WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < {orders})
        INSERT INTO orders(order_ref, source, created_at, updated_at, customer_name, phone, email, street, city, postcode,
                           country, lat, lon, geo_precision, geo_confidence, delivery_option, promised_start, promised_end,
                           delivery_date, parcels, weight_g, value_minor, currency, status, carrier)
        SELECT printf('#%07d', k), 'shopify', t, t,
               (SELECT v FROM fn WHERE i = (k * 7919) % {len(names)}) || ' ' || (SELECT v FROM ln WHERE i = (k * 104729) % {len(lasts)}),
               printf('+1 503-555-%04d', k % 10000), printf('c%d@example.com', k),
               printf('%d ', 100 + (k * 31) % 9000) || (SELECT v FROM st WHERE i = (k * 13) % {len(streets)}),
               'Portland', printf('972%02d', (k * 17) % 40), 'US', 45.45 + ((k * 37) % 1500) / 10000.0,
               -122.72 + ((k * 53) % 2200) / 10000.0, 'rooftop', 0.9,
               (SELECT v FROM op WHERE i = (k * 5 + k / 7) % {len(OPTIONS)}),
               strftime('%Y-%m-%dT%H:%M:%S+00:00', t, '+18 hours'), strftime('%Y-%m-%dT%H:%M:%S+00:00', t, '+22 hours'),
               date(t, '+18 hours'), 1 + k % 3, 500 + (k * 97) % 9000, 500 + (k * 211) % 30000, 'USD',
               (SELECT v FROM ss WHERE i = (k * 7 + k / 13) % {len(STATUSES)}), CASE k % 3 WHEN 0 THEN 'own_fleet' WHEN 1 THEN 'easypost' ELSE 'uber_direct' END
        FROM (SELECT k, strftime('%Y-%m-%dT%H:%M:%S+00:00', '2025-11-25T00:00:00', printf('+%d seconds', k * 31536000 / {orders})) AS t FROM n)
    """)
    conn.execute(f"""
        INSERT INTO shipments(order_id, kind, carrier, service, status, tracking_number, created_at, updated_at, currency)
        SELECT id, 'delivery', carrier, 'Ground', status, printf('TRK%08d', id), created_at, created_at, 'USD' FROM orders
    """)
    per_order = max(1, events // max(orders, 1))
    conn.execute(f"""
        WITH RECURSIVE e(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM e WHERE j < {per_order - 1})
        INSERT INTO tracking_events(shipment_id, carrier, tracking_number, event_key, status, raw_code, raw_text, event_time, received_at)
        SELECT s.id, s.carrier, s.tracking_number, printf('id:%d-%d', s.id, e.j), 'in_transit', 'IT', 'Arrived at facility',
               strftime('%Y-%m-%dT%H:%M:%S+00:00', s.created_at, printf('+%d hours', e.j)), s.created_at
        FROM shipments s, e
    """)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    db.close()


def timed(fn, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--db", type=Path, default=None, help="where to build (default: /tmp/ct-store-bench-N-M.db)")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    path = args.db or Path(f"/tmp/ct-store-bench-{args.orders}-{args.events}.db")
    build_s = 0.0
    if args.rebuild or not path.exists():
        start = time.perf_counter()
        build(path, args.orders, args.events)
        build_s = time.perf_counter() - start
        print(f"built {path} in {build_s:.1f} s", file=sys.stderr)

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from controltower.services.orders import OrdersService
    from controltower.ui.orders import OrdersView

    app = QApplication.instance() or QApplication([])
    db = Database(path)
    orders = db.scalar("SELECT count(*) FROM orders")
    events = db.scalar("SELECT count(*) FROM tracking_events")
    views = []

    def open_view():
        view = OrdersView(OrdersService(db))
        view.resize(1400, 800)
        view.show()
        app.processEvents()
        views.append(view)

    open_ms = timed(open_view)
    view = views[-1]
    column = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]

    def sort_by(name, order):
        view.table.sortByColumn(column.index(name), order)
        app.processEvents()

    sort_samples = []
    for name in ("Customer", "Promised by", "Value", "Address"):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            sort_samples.append(timed(lambda: sort_by(name, order), repeat=1))
    sort_by("Ordered", Qt.SortOrder.DescendingOrder)

    def filter_status(text):
        view.status_filter.setCurrentText(text)
        app.processEvents()

    filter_samples = [timed(lambda t=t: (filter_status(t), filter_status("All statuses")), repeat=1) / 2
                      for t in ("Delivered", "Problems", "On the way", "Returns")]
    view.option_filter.setCurrentIndex(2)
    filter_samples.append(timed(lambda: (view.option_filter.setCurrentIndex(3), app.processEvents()), repeat=1))
    view.option_filter.setCurrentIndex(0)

    def search(text):
        view.search.setText(text)
        view._apply_search()
        app.processEvents()

    search_samples = [timed(lambda t=t: search(t), repeat=1) for t in ("Nguyen", "97214", "#0500000", "Hawthorne", "Olivia Smith")]
    search("")

    def scroll():
        view.table.scrollToBottom()
        app.processEvents()

    scroll_ms = timed(scroll, repeat=5)
    from controltower.store import orders as order_store

    count_ms = timed(lambda: order_store.count(db.conn, order_store.OrderQuery()), repeat=1)
    result = {
        "orders": orders, "events": events, "open_ms": round(open_ms, 1),
        "sort_ms": round(max(sort_samples), 1), "sort_median_ms": round(statistics.median(sort_samples), 1),
        "filter_ms": round(max(filter_samples), 1), "search_ms": round(max(search_samples), 1),
        "scroll_page_ms": round(scroll_ms, 1), "background_count_ms": round(count_ms, 1), "build_s": round(build_s, 1),
    }
    print(json.dumps(result))
    # Tear the views down while the application still exists, after their background reads have finished: left to
    # the interpreter's exit, a view was deleted under a live QObject ("shared QObject was deleted directly", exit 139).
    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool

    QThreadPool.globalInstance().waitForDone(30_000)
    for open_view_ in views:
        open_view_.close()
        open_view_.deleteLater()
    views.clear()
    view = None
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
