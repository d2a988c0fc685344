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
    return _summary(problem, reports, seen)


def route_report(problem: Problem, vehicle: int, route: tuple[int, ...]) -> RouteReport:
    """Times one route; with a driver break, the first placement that keeps every promise wins."""
    van = problem.vehicles[vehicle]
    brk = van.driver_break
    if not route or brk is None:
        return _simulate(problem, vehicle, route, None)
    leg = first_break_leg(problem, vehicle, route)
    if leg is None:
        return _simulate(problem, vehicle, route, None, missing_break=True)
    return _simulate(problem, vehicle, route, leg)


def first_break_leg(problem: Problem, vehicle: int, route: tuple[int, ...]) -> int | None:
    """The first leg (k = len(route) is the way home, -1 after getting home) where the break keeps every promise.

    Times are worked out once without the break; a break on leg k delays what follows only until a wait
    absorbs it, after which the route is as on time as it was without the break.
    """
    van, stops = problem.vehicles[vehicle], problem.stops
    brk, dur = van.driver_break, problem.matrix.duration
    nodes = [problem.stop_node(s) for s in route]
    limit = min(van.shift_end, problem.depots[van.depot].closes)
    timing = _on_time(problem, vehicle, route)
    if timing is None:
        return None  # late even without a break
    departures, starts, back = timing
    n = len(route)
    for k in range(n + 1):
        depart = departures[k]
        if max(depart, brk.earliest) > brk.latest:
            break  # departures only get later
        here = van.depot if k == 0 else nodes[k - 1]
        nxt = van.depot if k == n else nodes[k]
        ready = max(depart + dur[here][nxt] + brk.duration, brk.earliest + brk.duration)
        j, fits = k, True
        while True:
            if j == n:
                fits = ready <= limit
                break
            stop = stops[route[j]]
            if ready > stop.window_end:
                fits = False
                break
            begin = max(ready, stop.window_start)
            if begin <= starts[j]:
                break  # the wait absorbed the break: the rest runs as without it
            ready = begin + stop.service + dur[nodes[j]][van.depot if j + 1 == n else nodes[j + 1]]
            j += 1
        if fits:
            return k
    if max(back, brk.earliest) <= brk.latest:
        return -1
    return None


def _on_time(problem: Problem, vehicle: int, route: tuple[int, ...]):
    """(departures before each leg, service starts, time back) when no promise or shift end is broken, else None."""
    van, stops, dur = problem.vehicles[vehicle], problem.stops, problem.matrix.duration
    t, prev = max(van.shift_start, problem.depots[van.depot].opens), van.depot
    departures, starts = [t], []
    for s in route:
        node = problem.stop_node(s)
        ready = t + dur[prev][node]
        if ready > stops[s].window_end:
            return None
        t = max(ready, stops[s].window_start)
        starts.append(t)
        t += stops[s].service
        departures.append(t)
        prev = node
    back = t + dur[prev][van.depot]
    if back > min(van.shift_end, problem.depots[van.depot].closes):
        return None
    return departures, starts, back


def load_ok(problem: Problem, vehicle: int, route: tuple[int, ...]) -> bool:
    """Whether the van can carry the route: it leaves with every delivery and collects returns on the way."""
    for k, capacity in enumerate(problem.vehicles[vehicle].capacity):
        load = sum(problem.amounts(s)[0][k] for s in route)
        peak = load
        for s in route:
            delivery, pickup = problem.amounts(s)
            load += pickup[k] - delivery[k]
            if load > peak:
                peak = load
        if peak > capacity:
            return False
    return True


def route_ok(problem: Problem, vehicle: int, route: tuple[int, ...]) -> bool:
    """Whether a route keeps every constraint: the quick yes/no behind repairs and what-ifs."""
    van = problem.vehicles[vehicle]
    for s in route:
        stop = problem.stops[s]
        if stop.required_skills - van.skills or (stop.locked_vehicle is not None and stop.locked_vehicle != vehicle):
            return False
    if not load_ok(problem, vehicle, route):
        return False
    sequence = [s for s in route if problem.stops[s].locked_order is not None]
    if sequence != sorted(sequence, key=lambda s: problem.stops[s].locked_order):
        return False
    if van.driver_break is not None and route:
        return first_break_leg(problem, vehicle, route) is not None
    return _on_time(problem, vehicle, route) is not None


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
    sequence = [s for s in route if problem.stops[s].locked_order is not None and problem.stops[s].locked_vehicle == vehicle]
    if sequence != sorted(sequence, key=lambda s: problem.stops[s].locked_order):
        violations.append(f"{name}: locked stops are not in their locked order")
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


def reevaluate(problem: Problem, plan: Plan, previous: Evaluation, vehicles: set[int]) -> Evaluation:
    """`previous` with only the given vehicles' routes timed again: instant re-timing after a hand move."""
    if len(previous.routes) != len(plan.routes) or previous.violations and not previous.routes:
        return evaluate(problem, plan)
    reports = tuple(route_report(problem, v, tuple(plan.routes[v])) if v in vehicles else r
                    for v, r in enumerate(previous.routes))
    return _summary(problem, reports, {s for route in plan.routes for s in route})


def _summary(problem: Problem, reports: tuple[RouteReport, ...], planned: set[int]) -> Evaluation:
    violations = [x for r in reports for x in r.violations]
    unplanned = tuple(i for i in range(len(problem.stops)) if i not in planned)
    violations += [f"stop {problem.stops[i].key} is required but not planned" for i in unplanned if problem.stops[i].required]
    penalty = sum(problem.stops[i].penalty for i in unplanned)
    return Evaluation(reports, unplanned, sum(r.distance for r in reports), penalty, tuple(violations))
