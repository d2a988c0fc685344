"""The solver runs in its own process: it streams better plans, finishes on time and can be cancelled."""
from __future__ import annotations

import time

from controltower.demo.routing import city_day
from controltower.routing.evaluator import evaluate
from controltower.routing.model import SolveOptions
from controltower.routing.session import PlanningSession


def test_a_session_streams_plans_and_finishes_within_its_budget():
    problem = city_day(50, vehicles=2, seed=2, breaks=False)
    session = PlanningSession(problem, SolveOptions(seconds=2)).start()
    updates = []
    began = time.monotonic()
    while not session.finished and time.monotonic() - began < 30:
        updates += session.poll()  # never blocks
        time.sleep(0.05)
    assert session.finished and not session.error
    assert updates and session.best is updates[-1]
    assert all(b.distance <= a.distance or b.unplanned < a.unplanned for a, b in zip(updates, updates[1:]))
    assert evaluate(problem, session.best.plan).feasible


def test_cancelling_stops_the_solver_and_keeps_the_best_plan_so_far():
    problem = city_day(80, vehicles=3, seed=4)
    session = PlanningSession(problem, SolveOptions(seconds=60)).start()
    began = time.monotonic()
    while session.best is None and time.monotonic() - began < 30:
        session.poll()
        time.sleep(0.05)
    assert session.best is not None
    cancelled_at = time.monotonic()
    session.cancel()
    assert time.monotonic() - cancelled_at < 3
    assert session.finished
    assert evaluate(problem, session.best.plan).feasible
