"""Makes a nearly-feasible plan feasible by taking optional stops off the routes that break a constraint."""
from __future__ import annotations

from dataclasses import replace

from .evaluator import route_ok, route_report
from .model import Plan, Problem

# Only stops served this close to the break window are tried first: elsewhere taking one off rarely frees the break.
NEAR_BREAK_S = 3600
MAX_TRIED = 8  # removals tried per step; the candidates come best first


def repair(problem: Problem, plan: Plan) -> Plan:
    """Each broken route loses optional stops, one at a time, until it keeps every constraint.

    The stop taken off is the least important one whose removal mends the route, saving the most distance;
    when no single removal mends it, the least important stop nearest the break goes and the search repeats.
    The stops taken off are left unplanned; the next engine (OR-Tools) tries to put them back in.
    """
    routes = list(plan.routes)
    changed = False
    for v, route in enumerate(routes):
        ordered = _in_locked_order(problem, v, route)
        changed |= ordered != route
        route = ordered
        while route and not route_ok(problem, v, route):
            candidates = _candidates(problem, v, route)
            if not candidates:
                break
            mending = [i for i in candidates[:MAX_TRIED] if route_ok(problem, v, route[:i] + route[i + 1:])]
            if mending:
                i = min(mending, key=lambda i: (problem.stops[route[i]].priority, -_saving(problem, v, route, i)))
            else:
                i = candidates[0]
            route = route[:i] + route[i + 1:]
            changed = True
        routes[v] = route
    return replace(plan, routes=tuple(routes), engine=plan.engine + "+repair") if changed else plan


def _in_locked_order(problem: Problem, vehicle: int, route: tuple[int, ...]) -> tuple[int, ...]:
    """The route with its locked stops put back in their locked order, in the places they hold."""
    places = [i for i, s in enumerate(route) if problem.stops[s].locked_order is not None]
    wanted = sorted((route[i] for i in places), key=lambda s: problem.stops[s].locked_order)
    result = list(route)
    for i, s in zip(places, wanted):
        result[i] = s
    return tuple(result)


def _saving(problem: Problem, vehicle: int, route: tuple[int, ...], i: int) -> int:
    dist = problem.matrix.distance
    depot = problem.vehicles[vehicle].depot
    before = depot if i == 0 else problem.stop_node(route[i - 1])
    after = depot if i == len(route) - 1 else problem.stop_node(route[i + 1])
    node = problem.stop_node(route[i])
    return dist[before][node] + dist[node][after] - dist[before][after]


def _candidates(problem: Problem, vehicle: int, route: tuple[int, ...]) -> list[int]:
    """Optional stops of the route, those served around the break first, least important first."""
    optional = [i for i, s in enumerate(route) if not problem.stops[s].required]
    brk = problem.vehicles[vehicle].driver_break
    if brk is None:
        return sorted(optional, key=lambda i: problem.stops[route[i]].priority)
    report = route_report(problem, vehicle, route)
    middle = (brk.earliest + brk.latest) // 2
    return sorted(optional, key=lambda i: (abs(report.visits[i].start - middle) > NEAR_BREAK_S + (brk.latest - brk.earliest) // 2,
                                           problem.stops[route[i]].priority, abs(report.visits[i].start - middle)))
