"""Makes a nearly-feasible plan feasible by taking optional stops off the routes that break a constraint."""
from __future__ import annotations

from dataclasses import replace

from .evaluator import route_report
from .model import Plan, Problem

# Only stops served this close to the break window are tried: elsewhere taking one off rarely frees the break.
NEAR_BREAK_S = 3600


def repair(problem: Problem, plan: Plan) -> Plan:
    """Each broken route loses, one at a time, the optional stop whose removal mends it most.

    The stops taken off are left unplanned; the next engine (OR-Tools) tries to put them back in.
    """
    routes = list(plan.routes)
    changed = False
    for v, route in enumerate(routes):
        report = route_report(problem, v, route)
        while report.violations and route:
            candidates = _candidates(problem, v, route, report)
            if not candidates:
                break
            options = []
            for i in candidates:
                shorter = route[:i] + route[i + 1:]
                rep = route_report(problem, v, shorter)
                options.append((len(rep.violations), problem.stops[route[i]].priority, rep.distance, i, shorter, rep))
            _, _, _, _, route, report = min(options, key=lambda o: o[:4])
            changed = True
        routes[v] = route
    return replace(plan, routes=tuple(routes), engine=plan.engine + "+repair") if changed else plan


def _candidates(problem: Problem, vehicle: int, route: tuple[int, ...], report) -> list[int]:
    optional = [i for i, s in enumerate(route) if not problem.stops[s].required]
    brk = problem.vehicles[vehicle].driver_break
    if brk is None:
        return optional
    near = [i for i in optional
            if brk.earliest - NEAR_BREAK_S <= report.visits[i].start <= brk.latest + NEAR_BREAK_S]
    return near or optional
