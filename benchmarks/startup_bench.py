"""Start-up time: process start to the main window's first paint and to a loaded map, from source and frozen.

    .venv/bin/python benchmarks/startup_bench.py [--runs 5] [--frozen dist/ControlTower/ControlTower]

Each run starts a fresh process on a demo store made once beforehand, with CT_STARTUP_PROBE=1 so the app prints
the wall-clock time of its first paint and of each area becoming ready (see controltower/app.py), in screenshot
mode so that it exits on its own once every area has loaded. Offscreen, as on CI. The clock starts just before the
process is spawned, so interpreter start-up and imports are counted. Figures are medians over the runs; the first
run of each kind is a discarded warm-up (it fills the OS file cache, as any earlier start of the app would have).
`*_cpu_ms` is the app's own CPU time at first paint: on a shared, busy machine the wall time also counts waiting
for other processes, so read the two together (the load average is reported too).
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FROZEN = ROOT / "dist" / "ControlTower" / ("ControlTower.exe" if os.name == "nt" else "ControlTower")
TIMEOUT_S = 180


def environment() -> dict[str, str]:
    env = {**os.environ, "CT_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen"}
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        env["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    return env


def timed_run(command: list[str]) -> dict[str, float]:
    """Run one start-up; return milliseconds from spawn to each CT_STARTUP mark, plus `exit`, and the app's own CPU
    milliseconds at each mark (`<mark>_cpu`): on a busy machine wall time waits for other processes, CPU time not."""
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, env=environment())
    ended = time.time()
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} exited {result.returncode}:\n{result.stderr[-3000:]}")
    marks = {"exit": (ended - started) * 1000}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "CT_STARTUP":
            marks.setdefault(parts[1], (float(parts[2]) - started) * 1000)
            if len(parts) >= 4:
                marks.setdefault(f"{parts[1]}_cpu", float(parts[3]) * 1000)
    return marks


def median_marks(command: list[str], runs: int) -> dict[str, float]:
    timed_run(command)  # warm-up
    samples = [timed_run(command) for _ in range(runs)]
    names = set.intersection(*(set(sample) for sample in samples))
    return {name: round(statistics.median(sample[name] for sample in samples), 1) for name in sorted(names)}


def app_command(program: list[str], store: Path, shot: Path) -> list[str]:
    return [*program, "--db", str(store), "--screenshot", str(shot), "--offline"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each kind (after one warm-up)")
    parser.add_argument("--frozen", type=Path, default=DEFAULT_FROZEN, help="the built app, if there is one")
    args = parser.parse_args(argv)

    source = [sys.executable, "-m", "controltower.cli"]
    frozen = [str(args.frozen)] if args.frozen.is_file() else None
    with tempfile.TemporaryDirectory(prefix="ct-startup-") as tmp:
        folder = Path(tmp)
        store = folder / "demo.db"
        # One demo store for every run, so that start-up opens an existing store as a shop owner's app does.
        timed_run([*source, "--demo", "--db", str(store), "--screenshot", str(folder / "demo.png"), "--offline"])
        figures: dict[str, object] = {"runs": args.runs}
        marks = median_marks(app_command(source, store, folder / "source.png"), args.runs)
        print("source:", marks, file=sys.stderr)
        figures["first_paint_ms"] = marks.get("first_paint")
        figures["first_paint_cpu_ms"] = marks.get("first_paint_cpu")
        figures["all_ready_ms"] = marks.get("exit")
        figures["map_ready_ms"] = marks.get("ready:map")  # the page is up and today's stops are drawn
        if frozen:
            marks = median_marks(app_command(frozen, store, folder / "frozen.png"), args.runs)
            print("frozen:", marks, file=sys.stderr)
            figures["frozen_first_paint_ms"] = marks.get("first_paint")
            figures["frozen_first_paint_cpu_ms"] = marks.get("first_paint_cpu")
            figures["frozen_all_ready_ms"] = marks.get("exit")
            figures["frozen_map_ready_ms"] = marks.get("ready:map")
        else:
            figures["frozen"] = f"not built ({args.frozen} missing; run packaging/build.sh)"
    figures["load_average"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
