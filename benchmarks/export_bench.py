"""Export benchmark: File > Export of every order to CSV and to Excel, the way the app does it (a worker thread on its
own reader connection) while the UI thread's timer ticks.

The store is filled by importing benchmarks/import_bench.py's generic CSV (--orders, default 100,000), or taken as
it is with --db (e.g. the 1M-order store that store_bench.py leaves in /tmp).
Prints one JSON object: orders, csv_s, csv_rows_per_s, xlsx_s, xlsx_rows_per_s, max_loop_stall_ms (longest gap
beyond the 10 ms period between ticks, over both exports), load_avg_1m.
Usage: python benchmarks/export_bench.py [--orders 100000] [--db STORE] [--no-xlsx]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="export this store instead of a generated one")
    parser.add_argument("--no-xlsx", action="store_true", help="CSV only (Excel writes about 3,000 rows/s)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    from controltower.services.exports import ExportService
    from controltower.store import Database
    from controltower.ui.exports.actions import ExportActions
    from loop_ticks import LoopTicks

    work = Path(tempfile.mkdtemp(prefix="export_bench_"))
    if args.db:
        db = Database(args.db)
    else:
        from import_bench import make_csv

        from controltower.imports import GENERIC, import_file

        make_csv(work / "orders.csv", args.orders)
        db = Database(work / "bench.db")
        import_file(db, work / "orders.csv", GENERIC)
    orders = db.scalar("SELECT count(*) FROM orders")

    app = QApplication.instance() or QApplication([])
    window = QMainWindow()
    exports = ExportActions(window, ExportService(db))
    exports._show = lambda *_args: None  # no message box in a benchmark
    result: dict[str, float] = {}
    queue = [("csv", work / "orders.csv.out.csv")] + ([] if args.no_xlsx else [("xlsx", work / "orders.xlsx")])

    def next_export(_summary: str = "") -> None:
        if "current" in result:
            kind = result.pop("current")
            result[f"{kind}_s"] = time.perf_counter() - result.pop("started")
        if not queue:
            QTimer.singleShot(100, app.quit)
            return
        kind, path = queue.pop(0)
        result["current"], result["started"] = kind, time.perf_counter()
        exports.start("orders", path)

    def failed(message: str) -> None:
        raise SystemExit(f"export failed: {message}")

    exports.finished.connect(next_export)
    exports.failed.connect(failed)
    ticks = LoopTicks()
    ticks.start()
    QTimer.singleShot(200, next_export)
    app.exec()
    figures = {"orders": orders}
    for kind in ("csv", "xlsx"):
        if f"{kind}_s" in result:
            figures[f"{kind}_s"] = round(result[f"{kind}_s"], 2)
            figures[f"{kind}_rows_per_s"] = round(orders / result[f"{kind}_s"])
    figures["max_loop_stall_ms"] = ticks.max_stall_ms()
    figures["load_avg_1m"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
