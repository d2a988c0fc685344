"""Dispatch the day: split open orders between own vans, couriers and parcel carriers at least total cost, every promise kept.

Exact (CP-SAT) for ordinary days, a greedy repair heuristic past `exact_limit` orders or when the solver
finds nothing in time. Both honour the shop's preferences in this order of priority:

1. place every order some way that keeps its promise (those that can't are listed with the reason);
2. prefer own vans: as many orders on the vans as their parcels and driver time allow;
3. the second carrier's share of the day's carrier bookings (own vans and pickup are not bookings), kept
   whenever the orders it can take allow it, otherwise as close as they allow, with a day note saying so;
4. least total cost.

Exclusions and the reliability floor are applied before (see `policy.screen`). Vans are one pool of parcels
and driver time: each order's van cost and time are its marginal insertion into the current plan, so
their sum is an estimate until the routes are re-planned (`day.py` re-estimates the chosen van orders
together).
"""
from __future__ import annotations

import heapq
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ..domain import Money
from .policy import Preferences, cheapest_reason, join_notes, label, own_van_reason, screen
from .rates import OWN_FLEET, PICKUP, WayRow

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
    van_seconds: int = 0  # driver time it adds to the vans (0 for every other way)

    @property
    def label(self) -> str:
        return self.row.name if self.row else self.carrier

    @property
    def way(self) -> str:
        """The name a reason uses: "Zippy ground", "Own van"."""
        return label(self.row) if self.row else self.carrier

    @property
    def is_booking(self) -> bool:
        """A carrier booking (what the second carrier's share counts): not an own van, not pickup."""
        return self.carrier not in (OWN_FLEET, PICKUP)


@dataclass(frozen=True)
class AllocationProblem:
    choices: dict[int, tuple[Choice, ...]]  # order id -> its promise-keeping ways
    van_capacity: int  # parcels the vans can still take
    carrier_limits: dict[str, int] = field(default_factory=dict)  # most orders one carrier takes
    currency: str = "USD"
    van_seconds: int | None = None  # driver time the vans can still give (None: not limited)
    preferences: Preferences = Preferences()
    notes: dict[int, tuple[str, ...]] = field(default_factory=dict)  # order id -> what the settings set aside
    refusals: dict[int, str] = field(default_factory=dict)  # order id -> why it has no way at all

    @property
    def second_target(self) -> tuple[str, int] | None:
        """(second carrier, its share in thousandths) when the shop keeps one."""
        p = self.preferences
        if p.second_carrier and p.second_carrier_share > 0:
            return p.second_carrier, min(1000, round(p.second_carrier_share * 1000))
        return None

    def van_fits(self, parcels: int, seconds: int) -> bool:
        return parcels <= self.van_capacity and (self.van_seconds is None or seconds <= self.van_seconds)


@dataclass(frozen=True)
class Allocation:
    chosen: dict[int, Choice]
    unplaced: dict[int, str]  # order id -> why it has no way
    total: Money
    method: str  # "exact" or "heuristic"
    proven_optimal: bool = False
    reasons: dict[int, str] = field(default_factory=dict)  # order id -> why this way (or none), as the UI shows it
    notes: tuple[str, ...] = ()  # about the whole day, e.g. a second-carrier share that cannot be kept

    def by_carrier(self) -> dict[str, list[Choice]]:
        groups: dict[str, list[Choice]] = defaultdict(list)
        for choice in self.chosen.values():
            groups[choice.carrier].append(choice)
        return dict(groups)


def problem_from_rows(rows_by_order: dict[int, list[WayRow]], parcels: dict[int, int], van_capacity: int,
                      carrier_limits: dict[str, int] | None = None, currency: str = "USD", *,
                      preferences: Preferences = Preferences(), van_seconds: dict[int, int] | None = None,
                      van_time_s: int | None = None) -> AllocationProblem:
    """The allocation problem from each order's comparison rows: the ways that keep the promise and that the
    shop's settings allow (`policy.screen`, as for one order), with what the settings set aside."""
    choices, notes, refusals = {}, {}, {}
    for order_id, rows in rows_by_order.items():
        screened = screen(rows, preferences)
        choices[order_id] = tuple(
            Choice(order_id, r.carrier, r.service, r.price, parcels.get(order_id, 1) if r.carrier == OWN_FLEET else 0, r,
                   (van_seconds or {}).get(order_id, 0) if r.carrier == OWN_FLEET else 0)
            for r in screened.keepers
        )
        if screened.notes:
            notes[order_id] = tuple(screened.notes)
        if screened.refusal:
            refusals[order_id] = screened.refusal
    return AllocationProblem(choices, van_capacity, dict(carrier_limits or {}), currency, van_time_s, preferences, notes, refusals)


def allocate(problem: AllocationProblem, exact_limit: int = 400, time_limit_s: float = 5.0) -> Allocation:
    """The allocation that keeps every promise it can, honours the preferences, then costs least; each order says why."""
    greedy = _solve_greedy(problem)
    if len(problem.choices) <= exact_limit:
        exact = _solve_exact(problem, time_limit_s, hint=greedy)
        if exact is not None and score(problem, exact) <= score(problem, greedy):
            return exact
    return greedy


def score(problem: AllocationProblem, allocation: Allocation) -> tuple[int, int, int, int]:
    """Smaller is better, in the order of priority above."""
    vans = sum(1 for c in allocation.chosen.values() if c.carrier == OWN_FLEET) if problem.preferences.prefer_own_fleet else 0
    return len(allocation.unplaced), -vans, _shortfall(problem, allocation.chosen.values()), allocation.total.amount_minor


def _shortfall(problem: AllocationProblem, chosen) -> int:
    """Bookings the second carrier is short of its share (0 when kept or not asked for)."""
    target = problem.second_target
    if target is None:
        return 0
    bookings = [c for c in chosen if c.is_booking]
    return _short(target[1], len(bookings), sum(1 for c in bookings if c.carrier == target[0]))


def _short(permille: int, bookings: int, kept: int) -> int:
    return max(0, -(-permille * bookings // 1000) - kept)  # ceiling of the share, less what it has


def result(problem: AllocationProblem, chosen: dict[int, Choice], method: str, optimal: bool) -> Allocation:
    unplaced = {o: (NO_WAY if not ways else NO_ROOM) for o, ways in problem.choices.items() if o not in chosen}
    total = sum((c.cost.amount_minor for c in chosen.values()), 0)
    reasons, notes = _explain(problem, chosen, unplaced)
    return Allocation(chosen, unplaced, Money(total, problem.currency), method, optimal, reasons, notes)


# ---------------------------------------------------------------- exact


def _solve_exact(problem: AllocationProblem, time_limit_s: float, hint: Allocation | None = None) -> Allocation | None:
    from ortools.sat.python import cp_model

    if not problem.choices:
        return result(problem, {}, "exact", True)
    model = cp_model.CpModel()
    picks: dict[tuple[int, int], cp_model.IntVar] = {}
    unplaced_vars = []
    for order_id, ways in problem.choices.items():
        unplaced = model.new_bool_var(f"unplaced_{order_id}")
        unplaced_vars.append(unplaced)
        for i in range(len(ways)):
            picks[order_id, i] = model.new_bool_var(f"x_{order_id}_{i}")
        model.add_exactly_one([unplaced, *(picks[order_id, i] for i in range(len(ways)))])

    def way(key: tuple[int, int]) -> Choice:
        return problem.choices[key[0]][key[1]]

    van = [(way(k), var) for k, var in picks.items() if way(k).carrier == OWN_FLEET]
    if van:
        model.add(sum(c.van_parcels * var for c, var in van) <= problem.van_capacity)
        if problem.van_seconds is not None:
            model.add(sum(c.van_seconds * var for c, var in van) <= problem.van_seconds)
    for carrier, limit in problem.carrier_limits.items():
        using = [var for k, var in picks.items() if way(k).carrier == carrier]
        if using:
            model.add(sum(using) <= limit)

    cost = sum(way(k).cost.amount_minor * var for k, var in picks.items())
    if not problem.preferences.prefer_own_fleet and problem.second_target is None:
        # Leaving an order unplaced costs more than any placement could, so the model places all it can first.
        penalty = 1 + sum(max((c.cost.amount_minor for c in ways), default=0) for ways in problem.choices.values())
        only = _run(model, picks, cost + penalty * sum(unplaced_vars), problem, time_limit_s, hint)
        return only and only[0]
    # The preferences, in tiers: each tier's weight outweighs everything below it. They are solved first, then
    # the cost with the tiers held at their best (solving them together leaves the cost poorly optimised in time).
    steps = len(problem.choices) + 1
    placed, on_vans = sum(1 - u for u in unplaced_vars), sum(var for _, var in van)
    tiers = -steps * steps * placed
    if problem.preferences.prefer_own_fleet and van:
        tiers = tiers - steps * on_vans
    target = problem.second_target
    shortfall = None
    if target is not None:
        second, permille = target
        bookings = [var for k, var in picks.items() if way(k).is_booking]
        seconds = [var for k, var in picks.items() if way(k).carrier == second]
        shortfall = model.new_int_var(0, len(problem.choices), "second_carrier_shortfall")
        model.add(1000 * shortfall >= permille * sum(bookings) - 1000 * sum(seconds))
        tiers = tiers + shortfall
    started = time.perf_counter()
    first = _run(model, picks, tiers, problem, time_limit_s / 2, hint)
    if first is None:
        return None
    # What the first step reached becomes hard, tier by tier (a weighted sum would let the cost step trade one for another).
    reached = first[0]
    model.add(placed >= len(reached.chosen))
    if problem.preferences.prefer_own_fleet and van:
        model.add(on_vans >= sum(1 for c in reached.chosen.values() if c.carrier == OWN_FLEET))
    if shortfall is not None:
        model.add(shortfall <= _shortfall(problem, reached.chosen.values()))
    model.clear_hints()
    second_run = _run(model, picks, cost, problem, max(time_limit_s - (time.perf_counter() - started), 0.5), first[0])
    allocation = second_run[0] if second_run else first[0]
    return replace(allocation, proven_optimal=allocation.proven_optimal and first[0].proven_optimal)


def _run(model, picks, objective, problem: AllocationProblem, time_limit_s: float, hint: Allocation | None):
    """Minimise `objective` from `hint`: (the allocation, the objective's value), or None if nothing was found in time."""
    from ortools.sat.python import cp_model

    model.minimize(objective)
    if hint is not None:  # start from a known answer: the solver only has to improve on it
        for (o, i), var in picks.items():
            model.add_hint(var, hint.chosen.get(o) == problem.choices[o][i])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = {o: problem.choices[o][i] for (o, i), var in picks.items() if solver.value(var)}
    return result(problem, chosen, "exact", status == cp_model.OPTIMAL), solver.objective_value


# ---------------------------------------------------------------- greedy


class _Day:
    """The greedy's running allocation and the load it puts on vans and carriers."""

    def __init__(self, problem: AllocationProblem, measure: str = "both") -> None:
        self.problem, self.measure = problem, measure
        self.chosen: dict[int, Choice] = {}
        self.van_parcels = self.van_seconds = 0
        self.counts: dict[str, int] = defaultdict(int)

    def put(self, order_id: int, way: Choice | None) -> None:
        old = self.chosen.pop(order_id, None)
        for c, sign in ((old, -1), (way, 1)):
            if c is not None:
                self.van_parcels += sign * c.van_parcels
                self.van_seconds += sign * c.van_seconds
                self.counts[c.carrier] += sign
        if way is not None:
            self.chosen[order_id] = way

    def over(self) -> str | None:
        if not self.problem.van_fits(self.van_parcels, self.van_seconds):
            return OWN_FLEET
        return next((k for k, limit in self.problem.carrier_limits.items() if self.counts[k] > limit), None)

    def has_room(self, way: Choice) -> bool:
        """Whether `way` can take one more order (for an order not on it now)."""
        if way.carrier == OWN_FLEET and not self.problem.van_fits(self.van_parcels + way.van_parcels,
                                                                  self.van_seconds + way.van_seconds):
            return False
        limit = self.problem.carrier_limits.get(way.carrier)
        return limit is None or self.counts[way.carrier] < limit

    def shortfall(self, leaving: Choice | None = None, joining: Choice | None = None) -> int:
        """`_shortfall` of the running allocation, or of it with one order moved from `leaving` to `joining`."""
        target = self.problem.second_target
        if target is None:
            return 0
        bookings = len(self.chosen) - self.counts[OWN_FLEET] - self.counts[PICKUP]
        kept = self.counts[target[0]]
        for c, sign in ((leaving, -1), (joining, 1)):
            if c is not None:
                bookings += sign * c.is_booking
                kept += sign * (c.carrier == target[0])
        return _short(target[1], bookings, kept)

    def van_dimension(self) -> str:
        """What the vans have run out of: parcels, else driver time."""
        return "parcels" if self.van_parcels > self.problem.van_capacity else "time"

    def van_use(self, way: Choice) -> float:
        """How much of what the vans ran out of a way uses."""
        return way.van_parcels if self.van_dimension() == "parcels" else way.van_seconds / 60

    def van_share(self, way: Choice) -> float:
        """The part of the vans' day a way takes, measured in parcels, driver time, both, or what ran out (`measure`)."""
        p = self.problem
        if self.measure == "over":
            return self.van_use(way)
        parcels = way.van_parcels / max(p.van_capacity, 1)
        seconds = way.van_seconds / max(p.van_seconds, 1) if p.van_seconds is not None else 0
        return {"parcels": parcels + seconds / 1000, "time": seconds + parcels / 1000}.get(self.measure, parcels + seconds)


def _cheapest(ways) -> Choice:
    return min(ways, key=lambda c: c.cost.amount_minor)


def _solve_greedy(problem: AllocationProblem) -> Allocation:
    """Everyone on their preferred way, then move the cheapest-to-move orders off whatever is over capacity,
    fill the room left, then move the cheapest-to-move orders to the second carrier until its share is kept."""
    prefer_van = problem.preferences.prefer_own_fleet
    # Which orders fit most on the vans depends on what runs out first (parcels or driver time): try each measure.
    measures = ("both", "over", "parcels", "time") if prefer_van and problem.van_seconds is not None else ("both",)
    best = None
    for measure in measures:
        day = _Day(problem, measure)
        for order_id, ways in problem.choices.items():
            vans = [c for c in ways if c.carrier == OWN_FLEET]
            if ways:
                day.put(order_id, vans[0] if prefer_van and vans else _cheapest(ways))
        _repair(day, prefer_van)
        _fill_vans(day, prefer_van)
        _keep_second_share(day, prefer_van)
        allocation = result(problem, day.chosen, "heuristic", False)
        best = allocation if best is None or score(problem, allocation) < score(problem, best) else best
    return best


def _repair(day: _Day, prefer_van: bool) -> None:
    """Move orders off whatever is over capacity, the cheapest to move first (when preferring vans, the biggest loads
    first, so the most orders stay); when nothing can move, give up the dearest order on the full resource."""
    problem = day.problem
    while (resource := day.over()) is not None:
        dimension = day.van_dimension()
        moves = []
        for order_id, current in day.chosen.items():
            if current.carrier != resource:
                continue
            use = day.van_use(current) if resource == OWN_FLEET else 1
            for i, way in enumerate(problem.choices[order_id]):
                if way.carrier != resource:
                    delta = way.cost.amount_minor - current.cost.amount_minor
                    key = (-day.van_share(current), delta) if prefer_van and resource == OWN_FLEET else (delta / max(use, 1e-9), 0)
                    moves.append((key, order_id, i))
        heapq.heapify(moves)
        moved = False
        while moves and day.over() == resource and day.van_dimension() == dimension:
            _, order_id, i = heapq.heappop(moves)
            way, current = problem.choices[order_id][i], day.chosen.get(order_id)
            if current is not None and current.carrier == resource and day.has_room(way):
                day.put(order_id, way)
                moved = True
        if not moved and day.over() == resource:
            order_id = max((o for o, c in day.chosen.items() if c.carrier == resource), key=lambda o: day.chosen[o].cost.amount_minor)
            day.put(order_id, None)


def _fill_vans(day: _Day, prefer_van: bool) -> None:
    """Put orders back on the vans while there is room: the smallest loads first when preferring vans, else the biggest savings."""
    candidates = []
    for order_id, ways in day.problem.choices.items():
        van = next((c for c in ways if c.carrier == OWN_FLEET), None)
        current = day.chosen.get(order_id)
        if van is None or current is van:
            continue
        saving = (current.cost.amount_minor if current else 10**12) - van.cost.amount_minor
        if prefer_van or saving > 0:
            candidates.append(((day.van_share(van), -saving) if prefer_van else (-saving, 0), order_id, van))
    for _, order_id, van in sorted(candidates, key=lambda t: t[0]):
        current = day.chosen.get(order_id)
        # Vans come first when preferred; otherwise a saving must not cost the second carrier its share.
        if day.has_room(van) and (prefer_van or day.shortfall(current, van) <= day.shortfall()):
            day.put(order_id, van)


def _keep_second_share(day: _Day, prefer_van: bool) -> None:
    problem = day.problem
    target = problem.second_target
    if target is None:
        return
    second = target[0]
    moves = []
    for order_id, ways in problem.choices.items():
        current = day.chosen.get(order_id)
        if current is None or current.carrier == second or (prefer_van and current.carrier == OWN_FLEET):
            continue
        backup = [c for c in ways if c.carrier == second]
        if backup:
            way = _cheapest(backup)
            moves.append((way.cost.amount_minor - current.cost.amount_minor, order_id, way))
    for _, order_id, way in sorted(moves, key=lambda m: m[0]):
        if day.shortfall() == 0:
            break
        if day.has_room(way):
            day.put(order_id, way)


# ---------------------------------------------------------------- reasons


def _explain(problem: AllocationProblem, chosen: dict[int, Choice], unplaced: dict[int, str]) -> tuple[dict[int, str], tuple[str, ...]]:
    """Each order's reason in plain words (as `policy.choose` gives for one order), and notes about the whole day."""
    van_parcels = sum(c.van_parcels for c in chosen.values())
    van_seconds = sum(c.van_seconds for c in chosen.values())
    counts: dict[str, int] = defaultdict(int)
    for c in chosen.values():
        counts[c.carrier] += 1

    def blocked(way: Choice) -> str:
        """Why an order could not have `way`, given the rest of the day ("" if it could)."""
        if way.carrier == OWN_FLEET:
            if van_parcels + way.van_parcels > problem.van_capacity:
                return "the vans have no room left for its parcels"
            if problem.van_seconds is not None and van_seconds + way.van_seconds > problem.van_seconds:
                return "the drivers have no time left in their shifts"
            return ""
        limit = problem.carrier_limits.get(way.carrier)
        if limit is None or counts[way.carrier] < limit:
            return ""
        return f"{way.label} takes at most {limit} order{'' if limit == 1 else 's'} a day"

    share = _share_words(problem, chosen)
    reasons: dict[int, str] = {}
    for order_id, ways in problem.choices.items():
        notes = list(problem.notes.get(order_id, ()))
        choice = chosen.get(order_id)
        if choice is None:
            if order_id in problem.refusals:
                reasons[order_id] = problem.refusals[order_id]
            elif not ways:
                reasons[order_id] = join_notes("No way keeps the promise; choose one by hand.", notes)
            else:
                why = sorted({blocked(w) for w in ways} - {""})
                reasons[order_id] = join_notes(f"No room left with the ways that keep the promise ({'; '.join(why) or 'all taken'}); "
                                               "choose one by hand.", notes)
            continue
        reasons[order_id] = join_notes(_reason(problem, choice, ways, blocked, share), notes)
    return reasons, tuple(share["notes"])


def _share_words(problem: AllocationProblem, chosen: dict[int, Choice]) -> dict:
    target = problem.second_target
    if target is None:
        return {"second": None, "notes": []}
    second, permille = target
    bookings = sum(1 for c in chosen.values() if c.is_booking)
    kept = sum(1 for c in chosen.values() if c.carrier == second)
    name = next((c.label for ways in problem.choices.values() for c in ways if c.carrier == second), second)
    wanted = f"{permille / 1000:.0%}"
    words = {"second": second, "name": name, "wanted": wanted, "notes": [],
             "short": _shortfall(problem, chosen.values()) > 0, "count": f"{kept} of {bookings}"}
    if words["short"]:
        able = sum(1 for o, ways in problem.choices.items() if o in chosen and any(c.carrier == second for c in ways))
        limit = problem.carrier_limits.get(second)
        cap = f" and takes at most {limit} a day" if limit is not None and limit < able else ""
        words["notes"].append(
            f"{name} has {kept} of today's {bookings} carrier bookings ({kept / bookings:.0%}), under the {wanted} you keep "
            f"with your second carrier: it keeps the promise for only {able} of today's orders{cap}.")
    return words


def _reason(problem: AllocationProblem, choice: Choice, ways: tuple[Choice, ...], blocked, share: dict) -> str:
    cheapest = _cheapest(ways)
    if choice.cost.amount_minor <= cheapest.cost.amount_minor:  # a tie names the chosen one
        cheapest = choice
    prefer_van = problem.preferences.prefer_own_fleet
    van = next((c for c in ways if c.carrier == OWN_FLEET), None)
    if choice.carrier == OWN_FLEET:
        if prefer_van or cheapest is choice:
            return own_van_reason(choice.cost, cheapest.way, cheapest.cost)
        if blocked(cheapest):
            return f"Own van is the cheapest way with room ({choice.cost.format()}): {blocked(cheapest)}."
        return (f"Own van ({choice.cost.format()}) keeps the day's total lowest; {cheapest.way} at {cheapest.cost.format()} "
                "serves other orders better.")
    van_note = ""
    if prefer_van and van is not None:
        van_note = f" You prefer own vans, but {blocked(van) or 'the vans are taken by other orders'}."
    if cheapest is choice:
        others = sorted((c for c in ways if c is not choice), key=lambda c: c.cost.amount_minor)
        after = others[0] if others else None
        return cheapest_reason(choice.way, choice.cost, after and after.way, after and after.cost) + van_note
    if choice.carrier == share["second"] and not blocked(cheapest):
        versus = f"{choice.cost.format()} vs {cheapest.cost.format()} for {cheapest.way}"
        if share["short"]:
            return (f"{choice.way} keeps as many bookings as it can with your second carrier ({share['count']} carrier "
                    f"bookings today, under your {share['wanted']}; {versus}).") + van_note
        return f"{choice.way} keeps {share['wanted']} of bookings with your second carrier ({share['count']} today; {versus})." + van_note
    cheaper = sorted({blocked(c) for c in ways if c.cost.amount_minor < choice.cost.amount_minor} - {""})
    if cheaper:
        return f"{choice.way} is the cheapest way with room ({choice.cost.format()}): {'; '.join(cheaper)}." + van_note
    return (f"{choice.way} ({choice.cost.format()}) keeps the day's total lowest; {cheapest.way} at {cheapest.cost.format()} "
            "serves other orders better.") + van_note
