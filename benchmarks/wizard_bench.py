"""Import wizard benchmark: open a 100,000-row CSV in the real wizard and measure how the window copes while the
file is read and checked (in the wizard's check process).

Prints one JSON object: rows, check_s (choosing the file to the verdict on screen), max_loop_stall_ms (longest gap
beyond the 10 ms period between timer ticks on the UI thread), stalls_over_50_ms, load_avg_1m.
Usage: python benchmarks/wizard_bench.py [--rows 100000]
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
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from import_bench import make_csv
    from loop_ticks import LoopTicks
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from controltower.services.imports import ImportService
    from controltower.store import Database
    from controltower.ui.imports import ImportWizard

    work = Path(tempfile.mkdtemp(prefix="wizard_bench_"))
    source = work / "orders.csv"
    make_csv(source, args.rows)
    app = QApplication.instance() or QApplication([])
    db = Database(work / "bench.db")
    wizard = ImportWizard(None, ImportService(db))
    wizard.show()
    times: dict[str, float] = {}

    def tick(now: float) -> None:
        if wizard.prepared is not None and "checked" not in times:
            times["checked"] = now
            QTimer.singleShot(300, app.quit)  # and the paint that follows

    def start() -> None:
        times["start"] = time.perf_counter()
        wizard.load_file(source)

    ticks = LoopTicks(tick)
    ticks.start()
    QTimer.singleShot(200, start)
    app.exec()
    wizard.end_session()
    print(json.dumps({
        "rows": args.rows, "check_s": round(times["checked"] - times["start"], 2),
        "max_loop_stall_ms": ticks.max_stall_ms(), "stalls_over_50_ms": sum(1 for s in ticks.stalls_ms() if s > 50), "load_avg_1m": round(os.getloadavg()[0], 1),
    }))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
