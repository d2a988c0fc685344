"""Chooses and combines the engines for a problem; only plans the independent evaluator accepts are offered."""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Callable

from .evaluator import Evaluation, evaluate
from .model import Plan, Problem, SolveOptions
from .repair import repair

log = logging.getLogger(__name__)

# With driver breaks, PyVRP plans first (it finds far better routes) and OR-Tools, which models breaks
# exactly, continues from PyVRP's plan for this share of the budget.
ORTOOLS_SHARE = 0.35


def choose_engine(problem: Problem, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    if problem.has_side_constraints():
        return "pyvrp+ortools"
    return "pyvrp"


class _Best:
    """Keeps the best plan by the evaluator's ranking and forwards each improvement."""

    def __init__(self, problem: Problem, on_plan: Callable[[Plan, Evaluation], None] | None) -> None:
        self.problem = problem
        self.on_plan = on_plan
        self.plan: Plan | None = None
        self.evaluation: Evaluation | None = None
        self.first_feasible_at: float | None = None

    def offer(self, plan: Plan) -> bool:
        evaluation = evaluate(self.problem, plan)
        if not evaluation.feasible:
            return False
        if self.evaluation is not None and evaluation.rank() >= self.evaluation.rank():
            return False
        if self.first_feasible_at is None:
            self.first_feasible_at = time.monotonic()
        self.plan, self.evaluation = plan, evaluation
        if self.on_plan:
            self.on_plan(plan, evaluation)
        return True


def solve(problem: Problem, options: SolveOptions = SolveOptions(), warm_start: Plan | None = None,
          on_plan: Callable[[Plan, Evaluation], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> tuple[Plan | None, Evaluation | None]:
    """The best plan found within the options' time, feasible for every constraint, and its evaluation."""
    started = time.monotonic()
    deadline = options.deadline or started + options.seconds
    best = _Best(problem, on_plan)
    if warm_start is not None:
        best.offer(replace(warm_start, engine="current plan", found_after=0.0))
    engine = choose_engine(problem, options.engine)
    if not problem.stops:
        best.offer(Plan.empty(problem))
        return best.plan, best.evaluation

    if engine in ("pyvrp", "pyvrp+ortools"):
        from .engines.pyvrp_engine import solve_pyvrp

        pyvrp_deadline = deadline if engine == "pyvrp" else started + (deadline - started) * (1 - ORTOOLS_SHARE)
        offer = best.offer if engine == "pyvrp" else (lambda plan: best.offer(repair(problem, plan)))
        from .engines.pyvrp_parallel import default_workers

        solve_pyvrp(problem, pyvrp_deadline, seed=options.seed, warm_start=warm_start, on_plan=offer,
                    cancelled=cancelled, started=started, workers=options.workers or default_workers())
    if engine in ("ortools", "pyvrp+ortools") and not (cancelled and cancelled()):
        from .engines.ortools_engine import solve_ortools

        seed = best.plan if best.plan is not None else warm_start
        solve_ortools(problem, deadline, warm_start=seed, on_plan=best.offer, started=started)
    if best.plan is None:
        log.warning("no feasible plan for %s", problem.name or "the problem")
    return best.plan, best.evaluation


def first_plan_seconds(problem: Problem, seconds: float = 5.0) -> float:
    """Seconds until the app's solve path offers its first feasible plan (the rest of the search is cut short)."""
    from .engines import pyvrp_engine  # noqa: F401 - a warm solver process has its libraries loaded

    pyvrp_engine.warm_up()
    started = time.monotonic()
    first: list[float] = []

    def on_plan(plan: Plan, evaluation: Evaluation) -> None:
        if not first:
            first.append(time.monotonic() - started)

    solve(problem, SolveOptions(seconds=seconds), on_plan=on_plan, cancelled=lambda: bool(first))
    return first[0] if first else float("inf")
