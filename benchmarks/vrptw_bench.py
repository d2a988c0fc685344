"""The route planner against plain PyVRP at the same wall time, on Solomon and Gehring-Homberger 200, gaps to the BKS.

    .venv/bin/python benchmarks/vrptw_bench.py                          # 2 instances a family, 10 s, all cores (~9 min)
    .venv/bin/python benchmarks/vrptw_bench.py --instances 0            # all 68 instances (~23 min at 10 s)
    .venv/bin/python benchmarks/vrptw_bench.py --quick                  # 1 instance a family, 3 s (~1.5 min)
    .venv/bin/python benchmarks/vrptw_bench.py --family R1,RC2 --seconds 5 --workers 2

Per instance, in this one process and one after the other (the order alternates): our planner's search with
--workers searches (this process and workers-1 children, sharing the best plan) until its wall-clock budget, and
plain PyVRP (pyvrp.solve, one process, MaxRuntime of the same seconds) on the same data and seed. Every plan is
checked here with the rules of shared/benchmarks/vrptw/README.md, written out again on purpose: the solver's own
evaluator is not trusted to grade its own plans. The machine's load (1-minute average) is printed beside the
figures. The last line is one JSON object with the headline figures.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_ROOT = Path(os.environ.get("VRPTW_ROOT", Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrptw"))
if not DEFAULT_ROOT.exists():
    DEFAULT_ROOT = Path("/work/shared/benchmarks/vrptw")
SETS = ("solomon", "gh200")


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


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run_ours(problem, seconds: float, workers: int, seed: int) -> dict:
    from controltower.routing.engines.pyvrp_parallel import parallel_search

    began = time.monotonic()
    outcome = parallel_search(problem, began + seconds, workers=workers, seed=seed)
    wall = time.monotonic() - began
    routes = [] if outcome.plan is None else [[int(problem.stops[s].key) for s in r] for r in outcome.plan.routes if r]
    return {"routes": routes, "wall": wall, "first": outcome.first_feasible_after,
            "iterations": sum(outcome.worker_iterations.values())}


def run_pyvrp(problem, seconds: float, seed: int) -> dict:
    """Plain PyVRP as its users run it: pyvrp.solve on one core until MaxRuntime."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    from controltower.routing.engines.pyvrp_engine import build_data

    began = time.monotonic()
    data, _ = build_data(problem)
    result = pyvrp.solve(data, MaxRuntime(max(0.01, seconds - (time.monotonic() - began))), seed=seed,
                         collect_stats=False, display=False)
    wall = time.monotonic() - began
    routes = [[int(problem.stops[a.idx].key) for a in route if a.is_client()] for route in result.best.routes()] \
        if result.best.is_feasible() else []
    return {"routes": routes, "wall": wall, "first": None, "iterations": result.num_iterations}


def pick(files: list[Path], bks: dict, families: set[str] | None, per_family: int) -> list[Path]:
    """Instances of the chosen families; with per_family > 0, that many a family, spread evenly over it."""
    by_family: dict[str, list[Path]] = {}
    for path in files:
        family = bks[path.stem]["family"]
        if families and family not in families and family.replace("GH200-", "") not in families:
            continue
        by_family.setdefault(family, []).append(path)
    chosen = []
    for members in by_family.values():
        if per_family <= 0 or per_family >= len(members):
            chosen += members
        elif per_family == 1:
            chosen.append(members[0])
        else:
            chosen += [members[round(i * (len(members) - 1) / (per_family - 1))] for i in range(per_family)]
    return chosen


def realistic_first_plan_seconds(stops: int = 400, repeats: int = 3) -> float:
    """Median seconds to the first feasible plan on a generated city day, through the app's solve path."""
    from controltower.demo.routing import city_day
    from controltower.routing.solve import first_plan_seconds

    return statistics.median(first_plan_seconds(city_day(stops, seed=seed)) for seed in range(repeats))


def main(argv: list[str] | None = None) -> int:
    from controltower.routing.engines.pyvrp_parallel import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="wall-clock budget per instance and solver")
    parser.add_argument("--workers", type=int, default=default_workers(), help="searches of ours (default: cores, at most 4)")
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--family", default="", help="comma-separated families, e.g. R1,RC2 or GH200-C1")
    parser.add_argument("--instances", type=int, default=2, help="instances per family, spread evenly; 0 = all")
    parser.add_argument("--quick", action="store_true", help="1 instance a family at 3 s, for development")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-first-plan", action="store_true", help="skip the 400-stop first-plan measurement")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.seconds = 1, min(args.seconds, 3.0)

    from controltower.routing.solomon import read_solomon

    bks = {row["instance"]: row for row in csv.DictReader((args.root / "bks.csv").open())}
    sets = SETS if args.set == "all" else (args.set,)
    files = [path for s in sets for path in sorted((args.root / s).glob("*.txt"))]
    families = {f.strip() for f in args.family.split(",") if f.strip()} or None
    files = pick(files, bks, families, args.instances)
    began, load_at_start = time.monotonic(), load()
    print(f"{len(files)} instances, {args.seconds:g} s each, ours with {args.workers} workers vs PyVRP; "
          f"{os.cpu_count()} cores, load {load_at_start}", flush=True)
    print(f"{'instance':<10} {'veh':>4} {'ours':>9} {'veh':>4} {'pyvrp':>9} {'bks':>9} {'gap %':>6} {'pyvrp %':>7} "
          f"{'first s':>7} {'wall s':>6} {'iters':>6} {'load':>5}")
    results: dict[str, dict[str, list]] = {}
    failures, over_budget = [], []
    for number, path in enumerate(files):
        name, ref = path.stem, bks[path.stem]
        problem, instance = read_solomon(path), read_instance(path)
        runs = {}
        order = ("ours", "pyvrp") if number % 2 == 0 else ("pyvrp", "ours")
        for who in order:
            runs[who] = (run_ours(problem, args.seconds, args.workers, args.seed) if who == "ours"
                         else run_pyvrp(problem, args.seconds, args.seed))
        row = results.setdefault(ref["family"], {"gap": [], "pyvrp_gap": [], "veh": [], "pyvrp_veh": [], "first": [],
                                                         "iters": []})
        figures = {}
        for who, run in runs.items():
            ok, distance, problem_found = check_plan(instance, run["routes"])
            if not ok:
                failures.append(f"{name} {who}: {problem_found}")
                figures[who] = None
                continue
            figures[who] = (distance, sum(1 for r in run["routes"] if r))
            if run["wall"] > args.seconds * 1.1 + 1:
                over_budget.append(f"{name} {who}")
        if figures["ours"] is None or figures["pyvrp"] is None:
            print(f"{name:<10} FAILED: {'; '.join(f for f in failures if f.startswith(name))}", flush=True)
            continue
        best_known = float(ref["bks_distance"])
        gap = lambda distance: 100 * (distance - best_known) / best_known  # noqa: E731
        row["gap"].append(gap(figures["ours"][0]))
        row["pyvrp_gap"].append(gap(figures["pyvrp"][0]))
        row["veh"].append(figures["ours"][1])
        row["pyvrp_veh"].append(figures["pyvrp"][1])
        row["first"].append(runs["ours"]["first"])
        # Iterations of all our searches over PyVRP's: about the workers on a quiet machine, less under load.
        iteration_ratio = runs["ours"]["iterations"] / max(1, runs["pyvrp"]["iterations"])
        row["iters"].append(iteration_ratio)
        print(f"{name:<10} {figures['ours'][1]:>4} {figures['ours'][0]:>9.1f} {figures['pyvrp'][1]:>4} "
              f"{figures['pyvrp'][0]:>9.1f} {best_known:>9.1f} {row['gap'][-1]:>6.2f} {row['pyvrp_gap'][-1]:>7.2f} "
              f"{runs['ours']['first']:>7.2f} {runs['ours']['wall']:>6.2f} {iteration_ratio:>6.2f} {load():>5}", flush=True)

    mean = lambda values: round(statistics.mean(values), 3) if values else None  # noqa: E731
    per_family = {
        family: {"gap_pct": mean(r["gap"]), "pyvrp_gap_pct": mean(r["pyvrp_gap"]), "vehicles": mean(r["veh"]),
                 "pyvrp_vehicles": mean(r["pyvrp_veh"]), "first_plan_s": mean(r["first"]), "instances": len(r["gap"])}
        for family, r in sorted(results.items())
    }
    print()
    for family, f in per_family.items():
        verdict = "level or ahead" if f["gap_pct"] <= f["pyvrp_gap_pct"] else "BEHIND"
        print(f"{family:<10} ours {f['gap_pct']:>6.2f} % ({f['vehicles']:.1f} veh)   PyVRP {f['pyvrp_gap_pct']:>6.2f} % "
              f"({f['pyvrp_vehicles']:.1f} veh)   first plan {f['first_plan_s']:.2f} s   {f['instances']} inst.   {verdict}")
    gaps = [g for r in results.values() for g in r["gap"]]
    pyvrp_gaps = [g for r in results.values() for g in r["pyvrp_gap"]]
    summary = {
        "mean_gap_pct": mean(gaps),
        "pyvrp_mean_gap_pct": mean(pyvrp_gaps),
        "families_level_or_ahead": sum(f["gap_pct"] <= f["pyvrp_gap_pct"] for f in per_family.values()),
        "families": len(per_family),
        "per_family": per_family,
        "seconds": args.seconds,
        "workers": args.workers,
        "instances": len(files),
        "failures": failures,
        "over_budget": over_budget,
        "first_plan_s": mean([t for r in results.values() for t in r["first"]]),
        "iterations_vs_pyvrp": mean([t for r in results.values() for t in r["iters"]]),
        "first_plan_s_400": None if args.no_first_plan else round(realistic_first_plan_seconds(), 3),
        "cores": os.cpu_count(),
        "load_start": load_at_start,
        "load_end": load(),
        "elapsed_s": round(time.monotonic() - began, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
