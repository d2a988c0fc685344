"""Dispatch the day: split open orders between own vans, couriers and parcel carriers at least total cost, every promise kept.

Exact (CP-SAT) for ordinary days, a greedy repair heuristic past `exact_limit` orders or when the solver
finds nothing in time. Each order's van cost is its marginal insertion cost into the current plan, so
the vans' total is an estimate until the routes are re-planned.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..domain import Money
from .rates import OWN_FLEET, QUOTE_EXPIRED, WayRow

NO_WAY = "no way keeps the promise"
NO_ROOM = "no room left with the ways that keep the promise"


@dataclass(frozen=True)
class Choice:
    """One promise-keeping way for one order, as the allocator sees it."""

    order_id: int
    carrier: str
    service: str
    cost: Money
    van_parcels: int = 0  # load it puts on the own vans (0 for every other way)
    row: WayRow | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.row.name if self.row else self.carrier


@dataclass(frozen=True)
class AllocationProblem:
    choices: dict[int, tuple[Choice, ...]]  # order id -> its promise-keeping ways
    van_capacity: int  # parcels the vans can still take
    carrier_limits: dict[str, int] = field(default_factory=dict)  # most orders one carrier takes
    currency: str = "USD"


@dataclass(frozen=True)
class Allocation:
    chosen: dict[int, Choice]
    unplaced: dict[int, str]  # order id -> why it has no way
    total: Money
    method: str  # "exact" or "heuristic"
    proven_optimal: bool = False

    def by_carrier(self) -> dict[str, list[Choice]]:
        groups: dict[str, list[Choice]] = defaultdict(list)
        for choice in self.chosen.values():
            groups[choice.carrier].append(choice)
        return dict(groups)


def problem_from_rows(rows_by_order: dict[int, list[WayRow]], parcels: dict[int, int], van_capacity: int,
                      carrier_limits: dict[str, int] | None = None, currency: str = "USD") -> AllocationProblem:
    """The allocation problem from each order's comparison rows: only usable, unexpired, promise-keeping ways."""
    choices = {}
    for order_id, rows in rows_by_order.items():
        keep = [r for r in rows if r.keeps_promise and QUOTE_EXPIRED not in r.flags]
        choices[order_id] = tuple(
            Choice(order_id, r.carrier, r.service, r.price, parcels.get(order_id, 1) if r.carrier == OWN_FLEET else 0, r)
            for r in keep
        )
    return AllocationProblem(choices, van_capacity, dict(carrier_limits or {}), currency)


def allocate(problem: AllocationProblem, exact_limit: int = 400, time_limit_s: float = 5.0) -> Allocation:
    """The cheapest allocation that keeps every promise it can; orders it cannot place say why."""
    greedy = _solve_greedy(problem)
    if len(problem.choices) <= exact_limit:
        exact = _solve_exact(problem, time_limit_s, hint=greedy)
        if exact is not None and _score(exact) <= _score(greedy):
            return exact
    return greedy


def _score(allocation: Allocation) -> tuple[int, int]:
    return len(allocation.unplaced), allocation.total.amount_minor


def _result(problem: AllocationProblem, chosen: dict[int, Choice], method: str, optimal: bool) -> Allocation:
    unplaced = {o: (NO_WAY if not ways else NO_ROOM) for o, ways in problem.choices.items() if o not in chosen}
    total = sum((c.cost.amount_minor for c in chosen.values()), 0)
    return Allocation(chosen, unplaced, Money(total, problem.currency), method, optimal)


def _solve_exact(problem: AllocationProblem, time_limit_s: float, hint: Allocation | None = None) -> Allocation | None:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    # Leaving an order unplaced costs more than any placement could, so the model places all it can first.
    penalty = 1 + sum(max((c.cost.amount_minor for c in ways), default=0) for ways in problem.choices.values())
    picks: dict[tuple[int, int], cp_model.IntVar] = {}
    objective = []
    for order_id, ways in problem.choices.items():
        unplaced = model.new_bool_var(f"unplaced_{order_id}")
        for i, way in enumerate(ways):
            picks[order_id, i] = model.new_bool_var(f"x_{order_id}_{i}")
            objective.append(way.cost.amount_minor * picks[order_id, i])
        model.add_exactly_one([unplaced, *(picks[order_id, i] for i in range(len(ways)))])
        objective.append(penalty * unplaced)
    van_load = [problem.choices[o][i].van_parcels * var for (o, i), var in picks.items() if problem.choices[o][i].van_parcels]
    if van_load:
        model.add(sum(van_load) <= problem.van_capacity)
    for carrier, limit in problem.carrier_limits.items():
        using = [var for (o, i), var in picks.items() if problem.choices[o][i].carrier == carrier]
        if using:
            model.add(sum(using) <= limit)
    model.minimize(sum(objective))
    if hint is not None:  # start from the greedy answer: the solver only has to improve on it
        for (o, i), var in picks.items():
            model.add_hint(var, hint.chosen.get(o) == problem.choices[o][i])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = {o: problem.choices[o][i] for (o, i), var in picks.items() if solver.value(var)}
    return _result(problem, chosen, "exact", status == cp_model.OPTIMAL)


def _solve_greedy(problem: AllocationProblem) -> Allocation:
    """Everyone on their cheapest way, then move the cheapest-to-move orders off whatever is over capacity."""
    chosen: dict[int, Choice] = {}
    for order_id, ways in problem.choices.items():
        if ways:
            chosen[order_id] = min(ways, key=lambda c: c.cost.amount_minor)
    van_load = sum(c.van_parcels for c in chosen.values())
    counts: dict[str, int] = defaultdict(int)
    for c in chosen.values():
        counts[c.carrier] += 1

    def over() -> str | None:
        if van_load > problem.van_capacity:
            return OWN_FLEET
        return next((k for k, limit in problem.carrier_limits.items() if counts[k] > limit), None)

    def has_room(way: Choice) -> bool:  # for an order moving off another way
        if way.van_parcels and van_load + way.van_parcels > problem.van_capacity:
            return False
        limit = problem.carrier_limits.get(way.carrier)
        return limit is None or counts[way.carrier] < limit

    while (resource := over()) is not None:
        best_move: tuple[float, int, Choice] | None = None
        for order_id, current in chosen.items():
            if current.carrier != resource:
                continue
            for way in problem.choices[order_id]:
                if way.carrier == resource or not has_room(way):
                    continue
                delta = (way.cost.amount_minor - current.cost.amount_minor) / max(current.van_parcels, 1)
                if best_move is None or delta < best_move[0]:
                    best_move = (delta, order_id, way)
        if best_move is None:  # nothing can move: give up the dearest order on the full resource
            order_id = max((o for o, c in chosen.items() if c.carrier == resource), key=lambda o: chosen[o].cost.amount_minor)
            new_way = None
        else:
            _, order_id, new_way = best_move
        old = chosen.pop(order_id)
        van_load -= old.van_parcels
        counts[old.carrier] -= 1
        if new_way is not None:
            chosen[order_id] = new_way
            van_load += new_way.van_parcels
            counts[new_way.carrier] += 1
    return _result(problem, chosen, "heuristic", False)
