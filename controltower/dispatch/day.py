"""The day's allocation problem from its comparisons: what the vans can still take (parcels and driver time) and each order's load.

The vans are one pool: the allocation keeps the chosen van orders within the parcels and shift time left
on all active vans together; which van takes which stop is the route planner's job after confirm (it may
still leave a stop out if one van's share doesn't fit, and says why).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import date, datetime

from ..domain import Money
from .allocate import Allocation, AllocationProblem, Choice, allocate, problem_from_rows, result, score
from .options import local_moment
from .policy import Preferences
from .rates import OWN_FLEET
from .settings import ShopSettings


def van_parcels_left(conn: sqlite3.Connection, plan_date: date) -> int:
    """Parcels the active vans can still take on the day (capacity less what their routes already carry)."""
    capacity = conn.execute("SELECT coalesce(sum(capacity_parcels), 0) FROM vehicles WHERE active = 1").fetchone()[0]
    loaded = conn.execute("SELECT coalesce(sum(o.parcels), 0) FROM stops s JOIN routes r ON r.id = s.route_id "
                          "JOIN orders o ON o.id = s.order_id WHERE r.plan_date = ? AND s.status NOT IN ('failed', 'skipped')",
                          (plan_date.isoformat(),)).fetchone()[0]
    return max(capacity - loaded, 0)


def van_seconds_left(conn: sqlite3.Connection, settings: ShopSettings, plan_date: date, now: datetime) -> int:
    """Driver time the active vans can still give on the day: each shift less its break and its planned route,
    and never more than is left of the shift from `now`."""
    total = 0
    for van in conn.execute(
            "SELECT v.shift_start, v.shift_end, v.break_minutes, coalesce(sum(r.duration_s), 0) AS planned FROM vehicles v "
            "LEFT JOIN routes r ON r.vehicle_id = v.id AND r.plan_date = ? WHERE v.active = 1 GROUP BY v.id",
            (plan_date.isoformat(),)):
        start = local_moment(settings, plan_date, van["shift_start"] or settings.opens)
        end = local_moment(settings, plan_date, van["shift_end"] or settings.closes)
        working = (end - start).total_seconds() - van["break_minutes"] * 60 - van["planned"]
        total += int(max(0.0, min(working, (end - max(start, now)).total_seconds())))
    return total


def day_problem(comparisons, preferences: Preferences, settings: ShopSettings, van_parcels: int, van_seconds: int | None,
                carrier_limits: dict[str, int] | None = None) -> AllocationProblem:
    """The allocation problem for `comparisons` (order id -> `service.Comparison`), under the shop's preferences."""
    rows = {i: list(c.rows) for i, c in comparisons.items()}
    parcels = {i: c.order.parcels for i, c in comparisons.items()}
    # The driver time an order adds: its insertion's detour, service and any wait for its window.
    seconds = {i: round(c.insertion.extra_minutes * 60) for i, c in comparisons.items() if c.insertion is not None}
    return problem_from_rows(rows, parcels, van_parcels, carrier_limits, settings.currency, preferences=preferences,
                             van_seconds=seconds, van_time_s=van_seconds)


# ---------------------------------------------------------------- the vans' orders priced together


@dataclass(frozen=True)
class VanEstimate:
    """The chosen van orders priced together: inserted one by one into the day's routes, so orders near each other
    share a detour that their separate insertion costs each counted in full."""

    together: Money  # what the van orders add to the day's routes, all of them
    cost: dict[int, Money]  # each order's part of `together`, in proportion to what removing it would save
    seconds: dict[int, int]  # each order's part of the added driver time, likewise
    unfit: dict[int, str]  # orders that no single van has room for, with why


def estimate_vans_together(conn: sqlite3.Connection, settings: ShopSettings, plan_date: date, van_orders: dict[int, tuple],
                           matrix_provider=None, service_minutes: float = 4.0, others: dict[int, tuple] | None = None) -> VanEstimate:
    """`van_orders`: order id -> ((lat, lon), parcels), in the order to insert them (farthest first works well).
    `others` (same shape) are priced as one more stop on the routes with all of `van_orders` in them (in `cost` and
    `seconds`, not in `together`).

    Cheapest insertion with each van's own parcel room; promised windows and shift ends are left to the route
    planner (the allocation already keeps the vans' driver time in total).
    """
    from .rates import planned_routes, travel  # the same routes and travel times as each order's own van quote

    routes = planned_routes(conn, settings, plan_date)
    if not routes:
        return VanEstimate(settings.money(0), {}, {}, {o: "no active van" for o in van_orders})
    points, sequences = [], []
    for route in routes:
        first = len(points)
        points += [route.depot, *route.stops]
        sequences.append([first, *range(first + 1, len(points)), first])
    others = {o: v for o, v in (others or {}).items() if o not in van_orders}
    order_at = {o: len(points) + i for i, o in enumerate([*van_orders, *others])}
    points += [where for where, _ in [*van_orders.values(), *others.values()]]
    metres, secs = travel(points, settings, matrix_provider)
    service_s = service_minutes * 60

    def added(route, a: int, new: int, b: int) -> tuple[float, float]:
        extra_m = metres[a][new] + metres[new][b] - metres[a][b]
        extra_s = secs[a][new] + secs[new][b] - secs[a][b] + service_s
        return extra_m / 1000 * route.per_km + extra_s / 3600 * route.per_hour, extra_s

    loads = [route.load for route in routes]

    def cheapest(order_id: int, parcels: int):
        new, best = order_at[order_id], None
        for r, route in enumerate(routes):
            if loads[r] + parcels > route.capacity:
                continue
            seq = sequences[r]
            for position in range(len(seq) - 1):
                cost, extra_s = added(route, seq[position], new, seq[position + 1])
                if best is None or cost < best[0]:
                    best = (cost, extra_s, r, position)
        return best

    unfit: dict[int, str] = {}
    placed: dict[int, int] = {}  # order id -> route index
    total_cost = total_s = 0.0
    for order_id, (_, parcels) in van_orders.items():
        best = cheapest(order_id, parcels)
        new = order_at[order_id]
        if best is None:
            unfit[order_id] = f"no single van has room for its {parcels} parcel(s)"
            continue
        cost, extra_s, r, position = best
        sequences[r].insert(position + 1, new)
        loads[r] += parcels
        placed[order_id] = r
        total_cost += cost
        total_s += extra_s
    # Each order's part: what taking it out of the finished routes would save, scaled to the whole.
    saving: dict[int, tuple[float, float]] = {}
    for order_id, r in placed.items():
        seq, new = sequences[r], order_at[order_id]
        i = seq.index(new)
        saving[order_id] = added(routes[r], seq[i - 1], new, seq[i + 1])
    cost_sum = sum(c for c, _ in saving.values()) or 1.0
    secs_sum = sum(s for _, s in saving.values()) or 1.0
    cost = {o: settings.money(round(c * total_cost / cost_sum)) for o, (c, _) in saving.items()}
    seconds = {o: round(s * total_s / secs_sum) for o, (_, s) in saving.items()}
    for order_id, (_, parcels) in others.items():
        best = cheapest(order_id, parcels)
        if best is not None:
            cost[order_id], seconds[order_id] = settings.money(round(best[0])), round(best[1])
    return VanEstimate(settings.money(round(total_cost)), cost, seconds, unfit)


def with_van_estimate(problem: AllocationProblem, estimate: VanEstimate) -> AllocationProblem:
    """The problem again with the van orders priced together, and no van way for orders no single van can take."""
    choices, notes = {}, dict(problem.notes)
    for order_id, ways in problem.choices.items():
        if order_id in estimate.unfit:
            ways = tuple(c for c in ways if c.carrier != OWN_FLEET)
            notes[order_id] = (*notes.get(order_id, ()), f"own van left out: {estimate.unfit[order_id]}")
        elif order_id in estimate.cost:
            ways = tuple(replace(c, cost=estimate.cost[order_id], van_seconds=estimate.seconds[order_id])
                         if c.carrier == OWN_FLEET else c for c in ways)
        choices[order_id] = ways
    return replace(problem, choices=choices, notes=notes)


def price_vans_together(conn: sqlite3.Connection, settings: ShopSettings, plan_date: date, problem: AllocationProblem,
                        allocation: Allocation, positions: dict[int, tuple[float, float]], matrix_provider=None,
                        time_limit_s: float = 5.0, rounds: int = 3) -> Allocation:
    """Re-price the allocation's van orders together and allocate again at those prices, until the vans' orders
    stop changing (at most `rounds` times): a cluster of orders that each looked dear alone may be cheap together,
    freeing driver time for more, and an order no single van can take goes another way. Orders not on the vans
    are priced as one more stop on the routes with the van orders in them."""
    alone = {c.order_id: c.cost.amount_minor for ways in problem.choices.values() for c in ways if c.carrier == OWN_FLEET}
    current, unfit = allocation, {}

    def vans_of(a: Allocation) -> dict[int, Choice]:
        return {o: c for o, c in a.chosen.items() if c.carrier == OWN_FLEET and o in positions}

    candidates = {c.order_id: (positions[c.order_id], c.van_parcels) for ways in problem.choices.values() for c in ways
                  if c.carrier == OWN_FLEET and c.order_id in positions}

    def estimate_for(van: dict[int, Choice], others: bool = True) -> VanEstimate:
        farthest_first = sorted(van, key=lambda o: -alone[o])
        return estimate_vans_together(conn, settings, plan_date, {o: (positions[o], van[o].van_parcels) for o in farthest_first},
                                      matrix_provider, others=candidates if others else None)

    for _ in range(rounds):
        van = vans_of(current)
        if not van:
            return current
        estimate = estimate_for(van)
        unfit = {**unfit, **estimate.unfit}  # an order found not to fit stays off the vans
        repriced = with_van_estimate(problem, replace(estimate, unfit=unfit))
        again = allocate(repriced, time_limit_s=time_limit_s)
        if score(problem, again)[:3] > score(problem, current)[:3] and not estimate.unfit:
            break  # re-priced, the day came out worse on the preferences: keep the answer before
        current = again
        if set(vans_of(again)) == set(van):
            break
    # The final van orders at their prices together (newcomers of the last round were still priced alone).
    final = vans_of(current)
    if not final:
        return current
    estimate = estimate_for(final, others=False)
    if not estimate.unfit:
        repriced = with_van_estimate(problem, replace(estimate, unfit=unfit))
        current = result(repriced, {o: next(c for c in repriced.choices[o] if (c.carrier, c.service) == (chosen.carrier, chosen.service))
                                    for o, chosen in current.chosen.items()}, current.method, current.proven_optimal)
    together = Money(sum(current.chosen[o].cost.amount_minor for o in final), problem.currency)
    separately = Money(sum(alone[o] for o in final), problem.currency)
    note = (f"Own vans: {together.format()} for {len(final)} orders priced together (one by one they came to "
            f"{separately.format()}); the routes are re-planned when you confirm.")
    return replace(current, notes=(*current.notes, note))
