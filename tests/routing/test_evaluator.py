"""The independent evaluator: the benchmark's scoring rules, and every constraint a user can set."""
from __future__ import annotations

from dataclasses import replace

from controltower.routing.evaluator import evaluate, route_report
from controltower.routing.model import DriverBreak, Plan
from controltower.routing.solomon import read_solomon

from .conftest import DATA


def read_sol(path, problem) -> Plan:
    index = {s.key: i for i, s in enumerate(problem.stops)}
    routes = [tuple(index[c] for c in line.split(":")[1].split()) for line in path.read_text().splitlines() if line.startswith("Route")]
    return Plan(tuple(routes) + ((),) * (len(problem.vehicles) - len(routes)))


def test_the_best_known_c101_plan_is_feasible_and_scores_its_published_distance():
    problem = read_solomon(DATA / "C101.txt")
    result = evaluate(problem, read_sol(DATA / "C101.sol", problem))
    assert result.feasible, result.violations
    assert result.distance == 8273  # tenths: 827.3


def test_a_late_arrival_is_reported_with_the_stop_and_how_late(make_problem):
    problem = make_problem([(0, 30), (20, 0)], windows=[(0, 1000), (0, 250)])
    assert evaluate(problem, Plan(((1, 0),))).feasible  # s2 first: reached at 200 (tenths)
    late = evaluate(problem, Plan(((0, 1),)))  # s1 first: s2 reached at 300 + 360 = 660
    assert not late.feasible
    assert "stop s2 reached 410s after its window" in late.violations[0]
    assert late.visit(1).late_by == 410


def test_capacity_counts_returns_collected_on_the_way(make_problem):
    problem = make_problem([(10, 0), (20, 0)], capacity=2, demand=1)
    stops = list(problem.stops)
    stops[0] = replace(stops[0], delivery=(0,), pickup=(2,))
    problem = replace(problem, stops=tuple(stops))
    # Leaves with 1 parcel for s2, collects 2 at s1 first: 3 on board > 2.
    assert not evaluate(problem, Plan(((0, 1),))).feasible
    # Delivers s2 first, then collects: never more than 2 on board.
    assert evaluate(problem, Plan(((1, 0),))).feasible


def test_skills_missing_unknown_and_repeated_stops_are_caught(make_problem):
    problem = make_problem([(10, 0), (20, 0)], vehicles=2, skills={0: {"fridge"}}, vehicle_skills={1: {"fridge"}})
    assert not evaluate(problem, Plan(((0, 1), ()))).feasible
    assert evaluate(problem, Plan(((1,), (0,)))).feasible
    assert "planned twice" in evaluate(problem, Plan(((0, 1), (0,)))).violations[0]
    assert "required but not planned" in evaluate(problem, Plan(((1,), ()))).violations[0]


def test_the_break_must_fit_between_stops_inside_its_window(make_problem):
    # Stops 100 tenths apart, 10 of service each; the break (50) may start between 150 and 250.
    points = [(10, 0), (20, 0), (30, 0)]
    brk = DriverBreak(150, 250, 50)
    tight = make_problem(points, windows=[(100, 100), (210, 210), (320, 320)], service=10, driver_break=brk)
    assert "Van 1: no room for the driver's break" in evaluate(tight, Plan(((0, 1, 2),))).violations
    roomy = make_problem(points, windows=[(100, 100), (300, 300), (0, 1000)], service=10, driver_break=brk)
    report = route_report(roomy, 0, (0, 1, 2))
    assert not report.violations
    assert 150 <= report.break_start <= 250


def test_slack_is_how_much_later_service_could_start(make_problem):
    problem = make_problem([(10, 0), (20, 0)], windows=[(0, 500), (0, 300)], shift=(0, 10**6))
    visits = evaluate(problem, Plan(((0, 1),))).routes[0].visits
    assert visits[1].slack == 300 - 200  # s2 starts at 200 (tenths), its window closes at 300
    assert visits[0].slack == 100  # starting later at s1 pushes s2 by the same amount


def test_locked_stops_out_of_their_locked_order_are_reported(make_problem):
    problem = make_problem([(10, 0), (20, 0), (30, 0)])
    stops = list(problem.stops)
    stops[0] = replace(stops[0], locked_vehicle=0, locked_order=1)
    stops[2] = replace(stops[2], locked_vehicle=0, locked_order=0)
    problem = replace(problem, stops=tuple(stops))
    assert "Van 1: locked stops are not in their locked order" in evaluate(problem, Plan(((0, 1, 2),))).violations
    assert evaluate(problem, Plan(((2, 1, 0),))).feasible
