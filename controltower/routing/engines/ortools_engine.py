"""OR-Tools routing for the side constraints PyVRP lacks: driver breaks, plus skills, locks, pickups and windows."""
from __future__ import annotations

import logging
import time
from typing import Callable

from ..model import Plan, Problem

log = logging.getLogger(__name__)


def solve_ortools(problem: Problem, deadline: float, warm_start: Plan | None = None,
                  on_plan: Callable[[Plan], object] | None = None, started: float | None = None) -> Plan | None:
    """Guided local search until the deadline, from the warm start when OR-Tools accepts it as feasible."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.monotonic() if started is None else started
    nd, nv = len(problem.depots), len(problem.vehicles)
    starts = [v.depot for v in problem.vehicles]
    manager = pywrapcp.RoutingIndexManager(nd + len(problem.stops), nv, starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    dist, dur = problem.matrix.distance, problem.matrix.duration
    service = [0] * nd + [s.service for s in problem.stops]

    def arc_distance(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def arc_time(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + dur[a][b]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_distance))
    time_cb = routing.RegisterTransitCallback(arc_time)
    horizon = max(max(v.shift_end for v in problem.vehicles), max((s.window_end for s in problem.stops), default=0))
    horizon = min(horizon, 10**8)
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for i, stop in enumerate(problem.stops):
        index = manager.NodeToIndex(nd + i)
        time_dim.CumulVar(index).SetRange(stop.window_start, min(stop.window_end, horizon))
    for v, van in enumerate(problem.vehicles):
        depot = problem.depots[van.depot]
        earliest = min(max(van.shift_start, depot.opens), horizon)
        time_dim.CumulVar(routing.Start(v)).SetRange(earliest, horizon)
        # A van whose day is over (a plan made after closing) stays home rather than making the whole model infeasible.
        time_dim.CumulVar(routing.End(v)).SetRange(0, max(min(van.shift_end, depot.closes), earliest))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    _add_loads(problem, manager, routing)
    _add_breaks(problem, manager, routing, time_dim, service)

    for i, stop in enumerate(problem.stops):
        index = manager.NodeToIndex(nd + i)
        allowed = [v for v, van in enumerate(problem.vehicles)
                   if not (stop.required_skills - van.skills)
                   and (stop.locked_vehicle is None or stop.locked_vehicle == v)]
        if len(allowed) < nv:
            routing.VehicleVar(index).SetValues(allowed + ([-1] if not stop.required else []))
        if not stop.required:
            routing.AddDisjunction([index], max(1, stop.penalty))

    _add_locked_sequences(problem, manager, routing, time_dim)

    def extract() -> Plan:
        routes = []
        for v in range(nv):
            index, route = routing.Start(v), []
            index = routing.NextVar(index).Value()
            while not routing.IsEnd(index):
                route.append(manager.IndexToNode(index) - nd)
                index = routing.NextVar(index).Value()
            routes.append(tuple(route))
        return Plan(tuple(routes), "ortools", time.monotonic() - started)

    if on_plan is not None:
        routing.AddAtSolutionCallback(lambda: on_plan(extract()))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    remaining = max(0.05, deadline - time.monotonic())
    params.time_limit.FromMilliseconds(int(remaining * 1000))

    initial = None
    if warm_start is not None:
        routing.CloseModelWithParameters(params)
        node_routes = [[nd + s for s in route] for route in warm_start.routes]
        initial = routing.ReadAssignmentFromRoutes(node_routes, True)
        if initial is None:
            log.info("OR-Tools did not accept the warm start; building its own first plan")
    solution = (routing.SolveFromAssignmentWithParameters(initial, params) if initial is not None
                else routing.SolveWithParameters(params))
    if solution is None:
        return None
    routes = []
    for v in range(nv):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - nd)
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(route))
    return Plan(tuple(routes), "ortools", time.monotonic() - started)


def _add_loads(problem: Problem, manager, routing) -> None:
    """Vans leave loaded with the route's deliveries and collect returns: the load must fit at every point."""
    nd = len(problem.depots)
    for k in range(problem.dimensions):
        caps = [v.capacity[k] for v in problem.vehicles]
        deliveries = [0] * nd + [problem.amounts(i)[0][k] for i in range(len(problem.stops))]
        pickups = [0] * nd + [problem.amounts(i)[1][k] for i in range(len(problem.stops))]
        if not any(pickups):
            cb = routing.RegisterUnaryTransitCallback(lambda i, d=deliveries: d[manager.IndexToNode(i)])
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{k}")
            continue
        # "onboard" starts at the route's total deliveries (free start cumul, forced below) and changes by
        # pickup - delivery at each stop; "collected" counts pickups so the start can be tied to the total.
        change = [p - d for p, d in zip(pickups, deliveries)]
        onboard_cb = routing.RegisterUnaryTransitCallback(lambda i, c=change: c[manager.IndexToNode(i)])
        routing.AddDimensionWithVehicleCapacity(onboard_cb, 0, caps, False, f"onboard{k}")
        collected_cb = routing.RegisterUnaryTransitCallback(lambda i, p=pickups: p[manager.IndexToNode(i)])
        routing.AddDimensionWithVehicleCapacity(collected_cb, 0, [sum(pickups)] * len(caps), True, f"collected{k}")
        onboard, collected = routing.GetDimensionOrDie(f"onboard{k}"), routing.GetDimensionOrDie(f"collected{k}")
        solver = routing.solver()
        for v in range(len(problem.vehicles)):
            # end onboard = start + pickups - deliveries >= pickups  <=>  start >= deliveries on the route
            solver.Add(onboard.CumulVar(routing.End(v)) >= collected.CumulVar(routing.End(v)))


def _add_locked_sequences(problem: Problem, manager, routing, time_dim) -> None:
    """Locked stops of a vehicle are served in their locked order (each strictly after the one before)."""
    solver, nd = routing.solver(), len(problem.depots)
    for v in range(len(problem.vehicles)):
        sequence = problem.locked_sequence(v)
        for a, b in zip(sequence, sequence[1:]):
            first, then = manager.NodeToIndex(nd + a), manager.NodeToIndex(nd + b)
            solver.Add(time_dim.CumulVar(first) + problem.stops[a].service <= time_dim.CumulVar(then))


def _add_breaks(problem: Problem, manager, routing, time_dim, service: list[int]) -> None:
    solver = routing.solver()
    visit = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    for v, van in enumerate(problem.vehicles):
        brk = van.driver_break
        if brk is None:
            continue
        interval = solver.FixedDurationIntervalVar(brk.earliest, brk.latest, brk.duration, False, f"break {van.key}")
        time_dim.SetBreakIntervalsOfVehicle([interval], v, visit)
