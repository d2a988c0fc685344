"""The routing service over a real store: load the day, plan, save, compare, dispatch with run sheets."""
from __future__ import annotations

import csv
from datetime import datetime

from controltower.domain.timeutil import UTC
from controltower.kernel.events import EventHub
from controltower.routing.model import SolveOptions
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve

MORNING = lambda: datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # noqa: E731


def planned(service, day, seconds=1.0):
    problem = service.problem_with_locks(day, day.plan, day.locked)
    plan, _ = solve(problem, SolveOptions(seconds=seconds))
    return plan


def test_the_day_is_read_from_the_store_with_shifts_breaks_skills_and_windows(van_day):
    service = RoutingService(van_day, clock=MORNING)
    day = service.load_day("2026-11-26")
    assert len(day.stops) == 14 and [v.name for v in day.vehicles] == ["Van A", "Van B"]
    van = day.problem.vehicles[0]
    assert (van.shift_start, van.shift_end) == (8 * 3600, 18 * 3600)
    assert van.driver_break.duration == 1800 and "fridge" in van.skills
    fridge = next(i for i, s in enumerate(day.stops) if s.order_ref == "#R003")
    assert day.problem.stops[fridge].required_skills == {"fridge"}
    assert day.problem.stops[0].window_start == 9 * 3600 and day.problem.stops[0].window_end == 11 * 3600
    assert day.plan.routes == ((), ())


def test_a_saved_plan_comes_back_and_is_compared_with_the_previous_one(van_day):
    hub, seen = EventHub(), []
    hub.subscribe("routes.changed", lambda topic, payload: seen.append(payload["plan_date"]))
    service = RoutingService(van_day, hub=hub, clock=MORNING)
    day = service.load_day("2026-11-26")
    plan = planned(service, day)
    service.save_plan(day, plan, locked={plan.routes[0][0]})
    again = service.load_day("2026-11-26")
    assert again.plan.routes == plan.routes
    assert again.locked == {plan.routes[0][0]}
    assert seen == ["2026-11-26"]
    rows = van_day.query("SELECT COUNT(*) FROM stops WHERE route_id IS NOT NULL AND planned_arrival IS NOT NULL")
    assert rows[0][0] == sum(len(r) for r in plan.routes)

    longer = plan.moved(plan.routes[0][0], 1, 0)
    service.save_plan(again, longer)
    comparison = service.compare_with_previous("2026-11-26")
    assert comparison.distance_change_m == service.evaluate(again, longer).distance - service.evaluate(day, plan).distance
    assert "km" in comparison.text()


def test_dispatch_freezes_the_plan_and_writes_run_sheets_in_stop_order(van_day, tmp_path):
    service = RoutingService(van_day, clock=MORNING)
    day = service.load_day("2026-11-26")
    plan = planned(service, day)
    files = service.dispatch(day, plan, frozenset(), tmp_path)
    assert {p.suffix for p in files} == {".csv", ".pdf"}
    assert all(p.stat().st_size > 0 for p in files)
    assert {r[0] for r in van_day.query("SELECT status FROM routes")} == {"dispatched"}
    first_van = next(i for i, r in enumerate(plan.routes) if r)
    sheet = next(p for p in files if p.suffix == ".csv" and day.vehicles[first_van].name.replace(" ", "_") in p.name)
    rows = list(csv.DictReader(sheet.open()))
    assert [r["Order"] for r in rows] == [day.stops[s].order_ref for s in plan.routes[first_van]]
    assert all(not r["Customer"].startswith("=") for r in rows)  # no spreadsheet formulas from customer text
    assert service.load_day("2026-11-26").dispatched


def test_a_longer_shift_what_if_plans_the_changed_day_only(van_day):
    from controltower.routing.service import compare_outcomes, what_if_problem

    service = RoutingService(van_day, clock=MORNING)
    day = service.load_day("2026-11-26")
    plan = planned(service, day)
    problem, warm, label = what_if_problem(day, day.problem, plan, "longer_shift", vehicle=1, minutes=90)
    assert problem.vehicles[1].shift_end == day.problem.vehicles[1].shift_end + 5400
    assert day.problem.vehicles[1].shift_end == 18 * 3600  # the real day is untouched
    better, evaluation = solve(problem, SolveOptions(seconds=1), warm_start=warm)
    result = compare_outcomes(label, service.evaluate(day, plan), evaluation)
    assert result.text().startswith("With Van B's shift 90 min longer: ")
    assert result.planned_change >= 0


def test_return_collections_wanted_today_are_planned_as_pickups(van_day):
    order_id = van_day.scalar("SELECT id FROM orders WHERE order_ref = '#R005'")
    with van_day.transaction() as conn:
        conn.execute("INSERT INTO stops(order_id, kind, plan_date, service_minutes) VALUES (?, 'pickup', '2026-11-26', 6)",
                     (order_id,))
    day = RoutingService(van_day, clock=MORNING).load_day("2026-11-26")
    index = next(i for i, s in enumerate(day.stops) if s.order_id == order_id)
    assert day.stops[index].kind == "pickup"
    assert day.problem.stops[index].pickup == (2, 2000) and day.problem.stops[index].delivery == (0, 0)
    assert day.problem.stops[index].service == 360


def test_the_app_demo_day_is_read_planned_and_saved(tmp_path):
    """The store the app's demo writes (Portland, its vans, today's remaining own-van stops) plans cleanly."""
    from controltower.demo.generator import generate
    from controltower.store import Database

    now = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 09:00 in Portland
    generate(tmp_path / "demo.db", now=now, history_days=1)
    db = Database(tmp_path / "demo.db")
    try:
        service = RoutingService(db, clock=lambda: now)
        day = service.load_day()
        assert day.plan_date == "2026-11-26" and day.timezone == "America/Los_Angeles"
        assert day.stops and all(s.stop_id is not None for s in day.stops)
        assert day.problem.vehicles[0].shift_start == 9 * 3600  # planned from now, not from this morning
        plan = planned(service, day, seconds=2)
        evaluation = service.evaluate(day, plan)
        assert evaluation.feasible
        assert evaluation.distance < service.evaluate(day, day.plan).distance  # better than the demo's sector plan
        service.save_plan(day, plan)
        assert service.load_day().plan.routes == plan.routes
        today = {r[0] for r in db.query("SELECT status FROM routes WHERE plan_date = ?", ("2026-11-26",))}
        assert today == {"in_progress"}  # vans already out stay so (past days' routes are done)
    finally:
        db.close()


def test_a_stop_whose_address_is_not_located_is_listed_apart(van_day):
    with van_day.transaction() as conn:
        conn.execute("UPDATE orders SET lat = NULL, lon = NULL WHERE order_ref = '#R007'")
    day = RoutingService(van_day, clock=MORNING).load_day("2026-11-26")
    assert len(day.stops) == 13
    assert [s.order_ref for s in day.unlocated] == ["#R007"]
