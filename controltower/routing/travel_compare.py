"""What-if for travel times: one plan timed on the straight-line estimate and on the shop's streets, side by side."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from .evaluator import evaluate
from .matrix import MatrixProvider, OfflineMatrixProvider
from .model import Plan, PlanningVehicle, Problem, TravelMatrix


@dataclass(frozen=True)
class TravelTotals:
    """A plan's day under one way of reckoning travel."""

    source: str  # "offline" (straight line), "road", "osrm"
    distance_m: int
    driving_s: int
    late_stops: int
    warning: str = ""


@dataclass(frozen=True)
class TravelComparison:
    straight_line: TravelTotals
    streets: TravelTotals

    def text(self) -> str:
        s, r = self.straight_line, self.streets
        return (f"On the streets: {r.distance_m / 1000:.1f} km, {_hours(r.driving_s)} driving, {r.late_stops} late. "
                f"Straight-line estimate: {s.distance_m / 1000:.1f} km, {_hours(s.driving_s)}, {s.late_stops} late.")


def planning_hours(vehicles: Sequence[PlanningVehicle]) -> tuple[int, int]:
    """The hours of the day [first, last) the vans drive in: the span a day's matrix is asked for."""
    return min(v.shift_start for v in vehicles) // 3600, -(-max(v.shift_end for v in vehicles) // 3600)


def driving_seconds(matrix: TravelMatrix, problem: Problem, plan: Plan) -> int:
    """Time at the wheel: each route's legs depot -> stops -> depot, without service or waiting."""
    total, n_depots = 0, len(problem.depots)
    for vehicle, route in enumerate(plan.routes):
        if not route:
            continue
        depot = problem.vehicles[vehicle].depot
        legs = [depot] + [n_depots + s for s in route] + [depot]
        total += sum(matrix.duration[a][b] for a, b in zip(legs, legs[1:]))
    return total


def totals(problem: Problem, plan: Plan) -> TravelTotals:
    evaluation = evaluate(problem, plan)
    late = sum(1 for route in evaluation.routes for visit in route.visits if visit.late_by > 0)
    return TravelTotals(problem.matrix.source, evaluation.distance, driving_seconds(problem.matrix, problem, plan), late,
                        problem.matrix.warning)


def compare_travel(problem: Problem, plan: Plan, streets: MatrixProvider,
                   straight_line: MatrixProvider | None = None) -> TravelComparison:
    """The same plan driven as the straight-line estimate reckons it and as the street network does."""
    places = [d.place for d in problem.depots] + [s.place for s in problem.stops]
    hours = planning_hours(problem.vehicles)
    line = (straight_line or OfflineMatrixProvider()).matrix(places, hours)
    road = problem.matrix if problem.matrix.source == "road" else streets.matrix(places, hours)
    return TravelComparison(totals(replace(problem, matrix=line), plan), totals(replace(problem, matrix=road), plan))


def _hours(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
