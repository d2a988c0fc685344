"""Checks a plan against every constraint independently of the engines, and times each route."""
from __future__ import annotations

from dataclasses import dataclass, field

from .model import Plan, Problem


@dataclass(frozen=True)
class Visit:
    stop: int
    arrival: int  # when the van reaches the stop
    start: int  # service starts (after any wait for the window)
    departure: int
    late_by: int  # seconds past the window's end (0 when on time)
    slack: int  # how much later service could start without breaking any later promise or the shift
    load_after: tuple[int, ...]


@dataclass(frozen=True)
class RouteReport:
    vehicle: int
    visits: tuple[Visit, ...]
    distance: int
    start: int
    end: int
    max_load: tuple[int, ...]
    break_start: int | None
    violations: tuple[str, ...]

    @property
    def duration(self) -> int:
        return self.end - self.start if self.visits else 0


@dataclass(frozen=True)
class Evaluation:
    routes: tuple[RouteReport, ...]
    unplanned: tuple[int, ...]
    distance: int
    penalty: int  # summed penalties of optional stops left unplanned
    violations: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def cost(self) -> int:
        return self.distance + self.penalty

    def rank(self) -> tuple:
        """Smaller is better: feasible first, then fewer important stops left out, then cost."""
        return (len(self.violations), self.penalty, self.distance)

    def visit(self, stop: int) -> Visit | None:
        for route in self.routes:
            for v in route.visits:
                if v.stop == stop:
                    return v
        return None


def evaluate(problem: Problem, plan: Plan) -> Evaluation:
    violations: list[str] = []
    if len(plan.routes) != len(problem.vehicles):
        violations.append(f"plan has {len(plan.routes)} routes for {len(problem.vehicles)} vehicles")
    seen: set[int] = set()
    for route in plan.routes:
        for s in route:
            if not 0 <= s < len(problem.stops):
                violations.append(f"unknown stop {s}")
            elif s in seen:
                violations.append(f"stop {problem.stops[s].key} is planned twice")
            seen.add(s)
    if violations:
        return Evaluation((), (), 0, 0, tuple(violations))
    reports = tuple(route_report(problem, v, tuple(r)) for v, r in enumerate(plan.routes))
    for rep in reports:
        violations.extend(rep.violations)
    unplanned = tuple(i for i in range(len(problem.stops)) if i not in seen)
    penalty = 0
    for i in unplanned:
        stop = problem.stops[i]
        if stop.required:
            violations.append(f"stop {stop.key} is required but not planned")
        penalty += stop.penalty
    return Evaluation(reports, unplanned, sum(r.distance for r in reports), penalty, tuple(violations))


def route_report(problem: Problem, vehicle: int, route: tuple[int, ...]) -> RouteReport:
    """Times one route; with a driver break, the first placement that keeps every promise wins."""
    van = problem.vehicles[vehicle]
    brk = van.driver_break
    if not route or brk is None:
        return _simulate(problem, vehicle, route, None)
    # Break on leg k (k = len(route) is the way home), or after getting home.
    for leg in list(range(len(route) + 1)) + [-1]:
        rep = _simulate(problem, vehicle, route, leg)
        if rep.break_start is not None and not rep.violations:
            return rep
    return _simulate(problem, vehicle, route, None, missing_break=True)


def _simulate(problem: Problem, vehicle: int, route: tuple[int, ...], break_leg: int | None, missing_break: bool = False) -> RouteReport:
    van = problem.vehicles[vehicle]
    depot = problem.depots[van.depot]
    brk = van.driver_break
    dist, dur = problem.matrix.distance, problem.matrix.duration
    violations: list[str] = []
    name = van.name or van.key

    deliveries = [problem.amounts(s)[0] for s in route]
    load = [sum(d[k] for d in deliveries) for k in range(problem.dimensions)]
    max_load = list(load)

    start = max(van.shift_start, depot.opens)
    time, prev, distance = start, van.depot, 0
    break_start = None
    arrivals, starts, departures, lates, loads = [], [], [], [], []
    for k, s in enumerate(route + (None,)):
        node = van.depot if s is None else problem.stop_node(s)
        travel = dur[prev][node]
        distance += dist[prev][node]
        ready = time + travel
        if break_leg == k and brk is not None:
            begin = max(time, brk.earliest)
            if begin <= brk.latest:
                break_start = begin
                ready = max(ready + brk.duration, brk.earliest + brk.duration)
        if s is None:
            end = ready
            break
        stop = problem.stops[s]
        begin_service = max(ready, stop.window_start)
        late = max(0, ready - stop.window_end)
        if late:
            violations.append(f"{name}: stop {stop.key} reached {late}s after its window")
        if stop.required_skills - van.skills:
            missing = ", ".join(sorted(stop.required_skills - van.skills))
            violations.append(f"{name}: stop {stop.key} needs {missing}")
        if stop.locked_vehicle is not None and stop.locked_vehicle != vehicle:
            violations.append(f"{name}: stop {stop.key} is locked to another vehicle")
        delivery, pickup = problem.amounts(s)
        load = [load[i] - delivery[i] + pickup[i] for i in range(len(load))]
        max_load = [max(a, b) for a, b in zip(max_load, load)]
        arrivals.append(ready)
        starts.append(begin_service)
        lates.append(late)
        loads.append(tuple(load))
        time = begin_service + stop.service
        departures.append(time)
        prev = node
    else:  # pragma: no cover - the loop always ends on the way home
        end = time

    if break_leg == -1 and brk is not None and route:
        begin = max(end, brk.earliest)
        if begin <= brk.latest:
            break_start = begin
    if brk is not None and route and break_start is None and (break_leg is not None or missing_break):
        violations.append(f"{name}: no room for the driver's break")
    limit = min(van.shift_end, depot.closes)
    if route and end > limit:
        violations.append(f"{name}: back at the depot {end - limit}s after the shift ends")
    for i, cap in enumerate(van.capacity):
        if max_load[i] > cap:
            violations.append(f"{name}: load {max_load[i]} over capacity {cap} (dimension {i + 1})")

    slack = _slack(problem, vehicle, route, starts, break_leg if break_start is not None else None)
    visits = tuple(
        Visit(s, arrivals[i], starts[i], departures[i], lates[i], slack[i], loads[i]) for i, s in enumerate(route)
    )
    return RouteReport(vehicle, visits, distance, start, end if route else start, tuple(max_load), break_start, tuple(violations))


def _slack(problem: Problem, vehicle: int, route: tuple[int, ...], starts: list[int], break_leg: int | None) -> list[int]:
    """Latest feasible service start minus planned start, computed from the end of the route backwards."""
    van = problem.vehicles[vehicle]
    dur = problem.matrix.duration
    brk_extra = van.driver_break.duration if van.driver_break else 0
    latest_next = min(van.shift_end, problem.depots[van.depot].closes)
    next_node = van.depot
    result = [0] * len(route)
    for i in range(len(route) - 1, -1, -1):
        stop = problem.stops[route[i]]
        node = problem.stop_node(route[i])
        extra = brk_extra if break_leg == i + 1 else 0
        latest = min(stop.window_end, latest_next - dur[node][next_node] - extra - stop.service)
        result[i] = latest - starts[i]
        latest_next, next_node = latest, node
    return result
