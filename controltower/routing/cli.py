"""`controltower solve-vrp INSTANCE --seconds S --json`: the benchmark contract of shared/benchmarks/vrptw."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

# How long before the budget the search stops, to leave room for writing the answer and exiting.
EXIT_MARGIN_S = 0.25


def process_age() -> float:
    """Seconds since this process started (interpreter start-up and imports included)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.process_time()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="controltower solve-vrp", description="Solve a Solomon-format VRPTW instance.")
    parser.add_argument("instance", help="path of a Solomon-format instance file")
    parser.add_argument("--seconds", type=float, default=10.0, help="time budget for the whole run, start-up included")
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object (the only output format)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1,
                        help="searches on as many cores, sharing the best plan (default 1: the harness's one thread)")
    return parser


def main(argv: list[str] | None = None) -> int:
    age_at_entry = process_age()
    entered = time.monotonic()
    born = entered - age_at_entry  # process start on the monotonic clock
    args = _parser().parse_args(argv)

    from .engines.pyvrp_engine import solve_pyvrp
    from .evaluator import evaluate
    from .solomon import InstanceError, read_solomon

    try:
        problem = read_solomon(args.instance)
    except (OSError, InstanceError) as exc:
        print(f"cannot read the instance: {exc}", file=sys.stderr)
        return 2
    first: list[float] = []

    def on_plan(plan) -> None:
        if not first:
            first.append(time.monotonic() - born)

    deadline = born + max(0.05, args.seconds - EXIT_MARGIN_S)
    plan = solve_pyvrp(problem, deadline, seed=args.seed, on_plan=on_plan, started=born, workers=args.workers)
    if plan is None:
        print("no feasible plan found within the time budget", file=sys.stderr)
        return 1
    report = evaluate(problem, plan)
    if not report.feasible:  # never print a plan our own evaluator rejects without saying so
        print("plan breaks constraints: " + "; ".join(report.violations[:5]), file=sys.stderr)
    answer = {
        "routes": [[int(problem.stops[s].key) for s in route] for route in plan.routes if route],
        "unassigned": [int(problem.stops[s].key) for s in plan.unplanned(problem)],
        "distance": report.distance / 10,
        "vehicles": sum(1 for r in plan.routes if r),
        "seconds": round(time.monotonic() - born, 3),
        "first_solution_seconds": round(first[0], 3) if first else None,
        "solver": f"controltower {_version()} (PyVRP {_pyvrp_version()})",
    }
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    return 0 if report.feasible else 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("controltower")
    except PackageNotFoundError:
        return "dev"


def _pyvrp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyvrp")
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
