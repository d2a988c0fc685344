"""PyVRP (iterated local search) for the problems it models: windows, capacities, pickups, shifts, optional stops."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model import Plan, Problem

# Arcs a vehicle may not use (skills, locks) get this duration: any route using one is time-warped, so infeasible.
FORBIDDEN = 10**9
REPORT_INTERVAL_S = 0.25


@dataclass(frozen=True)
class _Fleet:
    """PyVRP vehicle types: vehicles with identical constraints share one type."""

    type_of: tuple[int, ...]  # vehicle index -> type index
    members: tuple[tuple[int, ...], ...]  # type index -> vehicle indices


def _fleet(problem: Problem, approximate_breaks: bool) -> _Fleet:
    keys: dict[tuple, int] = {}
    members: list[list[int]] = []
    type_of = []
    locked = {s.locked_vehicle for s in problem.stops if s.locked_vehicle is not None}
    for v, van in enumerate(problem.vehicles):
        key = (van.depot, van.capacity, van.shift_start, van.shift_end, van.skills,
               van.driver_break if approximate_breaks else None, v if v in locked else None)
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        members[keys[key]].append(v)
        type_of.append(keys[key])
    return _Fleet(tuple(type_of), tuple(tuple(m) for m in members))


def warm_up() -> None:
    """Loads PyVRP's modules (about 0.4 s), so a solver process can do it before the first problem arrives."""
    import pyvrp  # noqa: F401
    import pyvrp.search  # noqa: F401


def build_data(problem: Problem):
    """The PyVRP ProblemData of a Problem, and how its vehicle types map back to our vehicles."""
    import pyvrp

    nd = len(problem.depots)
    fleet = _fleet(problem, approximate_breaks=True)
    locations = [pyvrp.Location(d.place.x, d.place.y) for d in problem.depots] + [
        pyvrp.Location(s.place.x, s.place.y) for s in problem.stops
    ]
    depots = [pyvrp.Depot(i, tw_early=d.opens, tw_late=d.closes) for i, d in enumerate(problem.depots)]
    distance = np.asarray(problem.matrix.distance, dtype=np.int64)
    duration = np.asarray(problem.matrix.duration, dtype=np.int64)
    clients = []
    for i, s in enumerate(problem.stops):
        delivery, pickup = problem.amounts(i)
        clients.append(pyvrp.Client(
            nd + i, delivery=list(delivery), pickup=list(pickup), service_duration=s.service,
            tw_early=s.window_start, tw_late=s.window_end, prize=_prize(problem, i, distance) if not s.required else 0,
            required=s.required,
        ))
    distances, durations, types = [distance], [duration], []
    for members in fleet.members:
        van = problem.vehicles[members[0]]
        banned = [nd + i for i, s in enumerate(problem.stops)
                  if (s.required_skills - van.skills)
                  or (s.locked_vehicle is not None and s.locked_vehicle not in members)]
        profile = 0
        if banned:
            dist_p, dur_p = distance.copy(), duration.copy()
            dist_p[:, banned] = FORBIDDEN
            dur_p[:, banned] = FORBIDDEN
            dist_p[banned, banned] = 0
            dur_p[banned, banned] = 0
            profile = len(distances)
            distances.append(dist_p)
            durations.append(dur_p)
        depot = problem.depots[van.depot]
        shift_end = min(van.shift_end, depot.closes)
        if van.driver_break:  # PyVRP has no breaks: keep the break's length free at the end of the shift
            shift_end -= van.driver_break.duration
        earliest = min(max(van.shift_start, depot.opens), shift_end)
        types.append(pyvrp.VehicleType(
            # A van whose day is over (a plan made after closing) gets no time rather than an impossible shift.
            len(members), capacity=list(van.capacity), start_depot=van.depot, end_depot=van.depot,
            tw_early=earliest, tw_late=max(shift_end, earliest), profile=profile,
            name=van.key,
        ))
    data = pyvrp.ProblemData(locations, clients, depots, types, distances, durations)
    return data, fleet


def _prize(problem: Problem, i: int, distance: np.ndarray) -> int:
    """What PyVRP earns for serving an optional stop.

    The user's penalty can be huge (it means "plan it if at all possible"); PyVRP weighs prizes against
    penalties for broken capacity and windows that are capped, so a huge prize would make a broken plan pay.
    Any prize above the longest detour the stop can cause (a return trip from the farthest depot) already
    makes serving it worth more than leaving it, so the prize is capped there, scaled by priority.
    """
    stop = problem.stops[i]
    delivery, pickup = problem.amounts(i)
    carriable = any(
        not (stop.required_skills - van.skills) and all(max(d, p) <= c for d, p, c in zip(delivery, pickup, van.capacity))
        for van in problem.vehicles
    )
    if not carriable:
        return 0
    node = problem.stop_node(i)
    round_trip = max(int(distance[d, node] + distance[node, d]) for d in range(len(problem.depots)))
    return int(min(stop.penalty, (4 * round_trip + 10_000) * (1 + max(0, stop.priority))))


def to_plan(problem: Problem, fleet: _Fleet, solution, engine: str = "pyvrp", found_after: float = 0.0) -> Plan:
    routes: list[tuple[int, ...]] = [() for _ in problem.vehicles]
    next_member = [0] * len(fleet.members)
    for route in solution.routes():
        t = route.vehicle_type()
        vehicle = fleet.members[t][next_member[t]]
        next_member[t] += 1
        routes[vehicle] = tuple(a.idx for a in route if a.is_client())
    return Plan(tuple(routes), engine, found_after)


def to_solution(problem: Problem, data, fleet: _Fleet, plan: Plan):
    import pyvrp

    routes = [pyvrp.Route(data, list(stops), fleet.type_of[v]) for v, stops in enumerate(plan.routes) if stops]
    return pyvrp.Solution(data, routes)


def solve_pyvrp(problem: Problem, deadline: float, seed: int = 0, warm_start: Plan | None = None,
                on_plan: Callable[[Plan], None] | None = None, cancelled: Callable[[], bool] | None = None,
                started: float | None = None, workers: int = 1) -> Plan | None:
    """Best feasible plan found by the deadline (time.monotonic()), or None when none was feasible.

    PyVRP's iterated local search; with workers > 1, that many searches on as many cores share their best plan
    (engines.pyvrp_parallel). The first feasible plan is reported at once, then at most a few a second.
    """
    from .pyvrp_parallel import parallel_search

    return parallel_search(problem, deadline, workers=workers, seed=seed, warm_start=warm_start, on_plan=on_plan,
                           cancelled=cancelled, started=started, report_interval=REPORT_INTERVAL_S).plan
