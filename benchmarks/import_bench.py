"""Import benchmark: a 100,000-row generic CSV imported the way the wizard does it (a child process) while a Qt loop runs.

Prints one JSON object: rows, seconds (file to committed, including the child's start), rows_per_s,
max_loop_stall_ms (longest gap beyond the 10 ms period between timer ticks on the UI thread), rows_per_cpu_s
(CPU time of the import child and its check workers: what the code costs, whatever else the machine is doing),
workers (check processes used), load_avg_1m,
reimport_rows_per_s (the same file again, nothing changes).
Usage: python benchmarks/import_bench.py [--rows 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CITIES = [("Springfield", "IL", "627{:02d}", "US", "(217) 555-{:04d}"), ("London", "", "SW1A {}AA", "GB", "020 7946 {:04d}"),
          ("Berlin", "BE", "101{:02d}", "DE", "030 9018{:04d}"), ("Paris", "", "750{:02d}", "FR", "01 42 65 {:02d} 00"),
          ("Sydney", "NSW", "20{:02d}", "AU", "0412 34{:04d}"), ("Toronto", "ON", "M5V {}A1", "CA", "(416) 555-{:04d}")]


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("order_ref,customer_name,phone,email,street,city,region,postcode,country,created_at,item,quantity,price,deliver by\n")
        for i in range(rows):
            city, region, code, country, phone = CITIES[i % len(CITIES)]
            n = rng.randrange(100)
            postcode = code.format(n % 10 if "{}" in code else n)
            # every order a different customer: no phone number repeats, so no cache flatters the figure
            phone_number = phone.format((i // len(CITIES)) % 10000 if "{:04d}" in phone else (i // len(CITIES)) % 100)
            handle.write(f"BENCH-{i},Customer {i},\"{phone_number}\",c{i}@example.com,{rng.randrange(1, 999)} High Street,"
                         f"{city},{region},{postcode},{country},2025-10-0{1 + i % 9} 0{i % 10}:15,Item {i % 50},"
                         f"{1 + i % 3},{rng.randrange(100, 9999) / 100:.2f},2025-10-1{i % 10}\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from PySide6.QtCore import QCoreApplication, QTimer

    from controltower.imports import GENERIC, import_file
    from controltower.imports.background import start_import
    from controltower.imports.importer import check_workers
    from controltower.store import Database

    work = Path(tempfile.mkdtemp(prefix="import_bench_"))
    source = work / "orders.csv"
    make_csv(source, args.rows)
    db = Database(work / "bench.db")
    app = QCoreApplication.instance() or QCoreApplication([])

    result: dict = {}
    stalls: list[float] = []
    last_tick = [time.perf_counter()]

    finished = threading.Event()

    def tick() -> None:
        now = time.perf_counter()
        stalls.append((now - last_tick[0], now))
        last_tick[0] = now
        if finished.is_set():  # quit from the UI thread: a timer made on the worker thread would never fire
            app.quit()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)

    def run_import() -> None:
        result["started"] = time.perf_counter()
        result["job"] = start_import(db.path, source, GENERIC)

    def poll() -> None:
        for message in result["job"].messages():
            if message[0] == "done":
                result["seconds"] = time.perf_counter() - result["started"]
                result["report"], result["cpu_seconds"] = message[1], message[2]
                finished.set()
            elif message[0] == "failed":
                raise SystemExit(f"import failed: {message[1]}")

    poller = QTimer()
    poller.setInterval(50)
    poller.timeout.connect(poll)
    timer.start()
    poller.start()
    QTimer.singleShot(0, lambda: (last_tick.__setitem__(0, time.perf_counter()), run_import()))
    app.exec()
    # Re-import of the same file (everything unchanged), in this process: the idempotence path's speed.
    again = time.perf_counter()
    import_file(db, source, GENERIC)
    result["reimport_seconds"] = time.perf_counter() - again
    report = result["report"]
    # the timer's own 10 ms period is not a stall
    worst, worst_at = max(stalls) if stalls else (0.0, result["started"])
    max_stall_ms = max(0.0, worst * 1000 - 10)
    print(f"imported {report.imported}, rejected {report.rejected}, in {result['seconds']:.2f}s", file=sys.stderr)
    print(json.dumps({
        "rows": args.rows, "seconds": round(result["seconds"], 3), "rows_per_s": round(args.rows / result["seconds"]),
        "max_loop_stall_ms": round(max_stall_ms, 1), "max_stall_at_s": round(worst_at - result["started"], 2), "imported": report.imported, "rejected": report.rejected,
        "reimport_rows_per_s": round(args.rows / result["reimport_seconds"]),
        "rows_per_cpu_s": round(args.rows / result["cpu_seconds"]), "workers": check_workers(args.rows),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
