"""Runs `controltower solve-vrp` over the VRPTW instances, checks every plan itself, and reports gaps.

    .venv/bin/python benchmarks/vrptw_bench.py --seconds 10 --set solomon
    .venv/bin/python benchmarks/vrptw_bench.py --seconds 2 --set gh200 --limit 3

Each instance runs in its own process, one at a time, exactly as the shared harness runs it. The plan is checked
here with the rules of shared/benchmarks/vrptw/README.md, written out again on purpose: the solver's own
evaluator is not trusted to grade its own plans. The last line is one JSON object with the headline figures.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_ROOT = Path(os.environ.get("VRPTW_ROOT", Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrptw"))
if not DEFAULT_ROOT.exists():
    DEFAULT_ROOT = Path("/work/shared/benchmarks/vrptw")


def read_instance(path: Path) -> dict:
    rows = []
    for line in path.read_text().splitlines():
        try:
            nums = [float(x) for x in line.split()]
        except ValueError:
            continue
        if nums:
            rows.append(nums)
    fleet, capacity = next(r for r in rows if len(r) == 2)
    customers = sorted((r for r in rows if len(r) == 7), key=lambda r: r[0])
    return {"fleet": int(fleet), "capacity": capacity, "rows": customers}


def check_plan(instance: dict, routes: list[list[int]]) -> tuple[bool, float, str]:
    """(feasible, truncated distance, first problem found) under the README's evaluation rules."""
    rows = instance["rows"]
    n = len(rows) - 1
    d = lambda i, j: math.floor(10 * math.hypot(rows[i][1] - rows[j][1], rows[i][2] - rows[j][2])) / 10  # noqa: E731
    routes = [r for r in routes if r]
    visited = [c for r in routes for c in r]
    problem = ""
    if sorted(visited) != list(range(1, n + 1)):
        problem = "customers missing, repeated or unknown"
    if len(routes) > instance["fleet"]:
        problem = problem or f"{len(routes)} routes for a fleet of {instance['fleet']}"
    total = 0.0
    for route in routes:
        if any(not 1 <= c <= n for c in route):
            continue
        if sum(rows[c][3] for c in route) > instance["capacity"]:
            problem = problem or "capacity exceeded"
        t, prev = rows[0][4], 0
        for c in route + [0]:
            total += d(prev, c)
            t += d(prev, c)
            if t > rows[c][5] + 1e-6:
                problem = problem or f"late at {c}"
            t = max(t, rows[c][4]) + rows[c][6]
            prev = c
    return not problem, round(total, 1), problem


def run_instance(path: Path, seconds: float) -> dict:
    cmd = [sys.executable, "-m", "controltower.cli", "solve-vrp", str(path), "--seconds", str(seconds), "--json"]
    began = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        return {"error": "killed 30 s after its budget", "wall": time.monotonic() - began}
    wall = time.monotonic() - began
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": f"exit {done.returncode}, no JSON: {done.stderr.strip()[-200:]}", "wall": wall}
    answer["wall"] = wall
    return answer


def realistic_first_plan_seconds(stops: int = 400, repeats: int = 3) -> float:
    """Median seconds to the first feasible plan on a generated city day, through the app's solve path."""
    from controltower.demo.routing import city_day
    from controltower.routing.solve import first_plan_seconds

    return statistics.median(first_plan_seconds(city_day(stops, seed=seed)) for seed in range(repeats))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--set", choices=["solomon", "gh200"], default="solomon")
    parser.add_argument("--limit", type=int, default=None, help="run only the first N instances")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args(argv)

    bks = {row["instance"]: row for row in csv.DictReader((args.root / "bks.csv").open())}
    files = sorted((args.root / args.set).glob("*.txt"))[: args.limit]
    by_family: dict[str, list[float]] = {}
    first_by_family: dict[str, list[float]] = {}
    feasible = 0
    flagged = []
    print(f"{'instance':<10} {'veh':>4} {'distance':>10} {'bks':>10} {'gap %':>7} {'first s':>8} {'wall s':>7}")
    for path in files:
        name = path.stem
        ref = bks[name]
        answer = run_instance(path, args.seconds)
        if "error" in answer:
            print(f"{name:<10} FAILED: {answer['error']}")
            continue
        ok, distance, problem = check_plan(read_instance(path), answer.get("routes", []))
        if not ok:
            print(f"{name:<10} INFEASIBLE: {problem}")
            continue
        feasible += 1
        gap = 100 * (distance - float(ref["bks_distance"])) / float(ref["bks_distance"])
        by_family.setdefault(ref["family"], []).append(gap)
        if answer.get("first_solution_seconds") is not None:
            first_by_family.setdefault(ref["family"], []).append(answer["first_solution_seconds"])
        if answer["wall"] > args.seconds * 1.1 + 1:
            flagged.append(name)
        vehicles = sum(1 for r in answer["routes"] if r)
        print(f"{name:<10} {vehicles:>4} {distance:>10.1f} {float(ref['bks_distance']):>10.1f} {gap:>7.2f} "
              f"{answer.get('first_solution_seconds') or float('nan'):>8.2f} {answer['wall']:>7.2f}", flush=True)

    families = {f: round(statistics.mean(g), 3) for f, g in sorted(by_family.items())}
    first = {f: round(statistics.mean(t), 3) for f, t in sorted(first_by_family.items())}
    print()
    for f in families:
        print(f"{f:<10} mean gap {families[f]:>6.2f} %   first plan {first.get(f, float('nan')):.2f} s   ({len(by_family[f])} instances)")
    gaps = [g for gs in by_family.values() for g in gs]
    summary = {
        "set": args.set,
        "seconds": args.seconds,
        "instances": len(files),
        "feasible": feasible,
        "mean_gap_pct": round(statistics.mean(gaps), 3) if gaps else None,
        "families": families,
        "first_solution_s_by_family": first,
        "over_budget": flagged,
        "first_plan_s_400": round(realistic_first_plan_seconds(), 3),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
