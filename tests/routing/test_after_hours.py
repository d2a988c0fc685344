"""Planning after the shop has closed: tomorrow is planned, and today's stops each say plainly why they can't go."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.demo.routing import write_van_day
from controltower.domain.timeutil import from_iso, to_iso
from controltower.routing.model import SolveOptions
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve

PORTLAND = ZoneInfo("America/Los_Angeles")
TODAY, TOMORROW = "2026-12-07", "2026-12-08"
AFTER_CLOSING = datetime(2026, 12, 7, 20, 30, tzinfo=PORTLAND)  # the shop closed at 19:00


def write_two_days(store) -> None:
    """Eight own-van orders promised today in Portland; the last four moved to tomorrow, one of today's without a promise."""
    write_van_day(store, TODAY, orders=8, timezone="America/Los_Angeles")
    with store.transaction() as conn:
        conn.execute("UPDATE depots SET closes_at = '19:00'")
        for row in conn.execute("SELECT id, promised_start, promised_end FROM orders WHERE order_ref > '#R0004'").fetchall():
            start, end = (from_iso(row[key]) + timedelta(days=1) for key in ("promised_start", "promised_end"))
            conn.execute("UPDATE orders SET delivery_date = ?, promised_start = ?, promised_end = ? WHERE id = ?",
                         (TOMORROW, to_iso(start), to_iso(end), row["id"]))
        conn.execute("UPDATE orders SET promised_start = NULL, promised_end = NULL WHERE order_ref = '#R0001'")


@pytest.fixture
def after_closing(store):
    write_two_days(store)
    with time_machine.travel(AFTER_CLOSING, tick=True):
        yield RoutingService(store)


def test_after_closing_the_routes_open_on_tomorrow_and_plan_it(after_closing):
    service = after_closing
    assert service.default_date() == TOMORROW
    day = service.load_day()
    assert day.plan_date == TOMORROW and len(day.stops) == 4 and day.closed_note == ""
    plan, evaluation = solve(service.problem_with_locks(day, day.plan, ()), SolveOptions(seconds=1))
    assert evaluation.feasible and not evaluation.unplanned
    assert sum(len(route) for route in plan.routes) == 4


@pytest.mark.parametrize("engine", ["auto", "ortools"])
def test_re_optimising_today_after_closing_gives_each_stop_a_plain_reason(after_closing, engine):
    service = after_closing
    day = service.load_day(TODAY)
    assert "The vans' day on Mon 07 Dec is over" in day.closed_note and "Tue 08 Dec" in day.closed_note
    # Before: PyVRP raised "tw_early must be <= start_late" and OR-Tools found no plan at all.
    plan, evaluation = solve(service.problem_with_locks(day, day.plan, ()), SolveOptions(seconds=1, engine=engine))
    assert plan.routes == ((), ()) and len(evaluation.unplanned) == 4
    reasons = {day.stops[r.stop].order_ref: r.text for r in service.reasons(day, plan).values()}
    assert reasons["#R0001"] == ("The vans' day is over (the last shift ended at 18:00, it is 20:30 now): "
                                 "plan it on tomorrow's routes.")
    for ref in ("#R0002", "#R0003", "#R0004"):
        assert reasons[ref].startswith("Its promised time ended at ") and "before now (20:30)" in reasons[ref]
        assert "agree a new time with the customer" in reasons[ref]


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_an_engine_given_a_van_whose_day_is_over_leaves_it_at_the_depot(make_problem, engine):
    """A van that starts after its depot has closed: before, PyVRP raised `tw_early must be <= start_late`."""
    problem = make_problem([(10, 0), (0, 10)], optional=True, shift=(0, 1000))
    problem = problem.with_vehicles((replace(problem.vehicles[0], shift_start=2000, shift_end=2000),))
    plan, evaluation = solve(problem, SolveOptions(seconds=0.5, engine=engine))
    assert plan.routes == ((),) and evaluation.feasible and len(evaluation.unplanned) == 2
