"""Vans a coming day needs: a day drawn from the forecast, planned with the real route planner (no rule of thumb).

A day of `n` orders is made of `n` stops sampled (fixed seed) from the shop's recent orders, zone by zone: their
places, parcels and promised windows moved onto that day. The planner then answers three questions:
- how many vans carry every stop (the shop's vans first, biggest first; then extra vans like its biggest one);
- how many stops the shop's own vans leave for couriers;
- how many slot-bound stops the vans can take in each delivery slot when the day is fuller than they can carry
  (the suggested slot caps).
Everything here is plain data and runs where it is called: the app calls it in a child process (services/capacity).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time as clock_time, timedelta
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from ..domain.timeutil import UTC, TimeWindow, to_iso
from .matrix import MatrixProvider, OfflineMatrixProvider
from .model import Place, PlanningDepot, PlanningStop, PlanningVehicle, Problem, SolveOptions

UNPLANNED_PENALTY_M = 1_000_000  # as the day planner: planning every stop that fits always wins over a shorter day
MAX_EXTRA_VANS = 4
LEFT_ANYWAY = 0.02  # a stop in fifty a short search leaves unplanned is not a van more
SATURATION = 1.5  # the cap day asks this many times what the vans could carry, so the vans are the limit


@dataclass(frozen=True)
class StopSample:
    """One recent order as a pattern for a coming one; times are seconds from the shop's local midnight."""

    place: Place
    window_start: int
    window_end: int
    parcels: int = 1
    weight_g: int = 0
    service: int = 240
    zone: str = ""


@dataclass(frozen=True)
class Fleet:
    """The shop's depots and vans, shifts in seconds from local midnight (as the day planner builds them)."""

    depots: tuple[PlanningDepot, ...]
    vehicles: tuple[PlanningVehicle, ...]
    drivers: int
    timezone: str

    def biggest_first(self) -> tuple[PlanningVehicle, ...]:
        return tuple(sorted(self.vehicles, key=lambda v: (-v.capacity[0], v.key)))


@dataclass(frozen=True)
class DayDemand:
    """A coming day's forecast own-van orders at the median and the 80th percentile, and its share per zone."""

    day: date
    p50: int
    p80: int
    zone_shares: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class LevelPlan:
    """One level (p50 or p80) of one day, as the planner found it."""

    orders: int
    vans_needed: int  # the fewest vans that carry every stop; more than the shop's: it is short
    own_vans_carry: int  # stops the shop's own vans carry
    courier_stops: int  # the stops they leave: couriers (or a van more)
    enough: bool = True  # False: even MAX_EXTRA_VANS more vans leave stops (vans_needed is then a lower bound)
    beyond_vans: int = 0  # of the courier stops, those promised outside the vans' hours: no van count serves them


@dataclass(frozen=True)
class DayCapacity:
    day: date
    p50: LevelPlan
    p80: LevelPlan
    own_vans: int
    drivers: int
    slot_caps: tuple[tuple[str, int], ...] = ()  # (slot start, UTC ISO, stops the vans can take in it)

    @property
    def vans_short_p80(self) -> int:
        return max(0, self.p80.vans_needed - self.own_vans)

    @property
    def drivers_needed_p80(self) -> int:
        return self.p80.vans_needed  # one driver per van on the road

    def warning(self) -> str:
        """'Sat 12 Dec: 1 van short at the 80 % level' on a day the shop's vans can't carry, else ''."""
        when = f"{self.day:%a} {_ordinal(self.day.day)}"
        for label, level in (("median", self.p50), ("80 %", self.p80)):
            short = level.vans_needed - self.own_vans
            if short > 0:
                more = "" if level.enough else " or more"
                return f"{when}: {short} van{'s' if short != 1 else ''}{more} short at the {label} level"
        if self.drivers_needed_p80 > self.drivers:
            return f"{when}: {self.drivers_needed_p80 - self.drivers} driver(s) short at the 80 % level"
        return ""


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def sample_day(samples: Sequence[StopSample], demand: int, zone_shares: Sequence[tuple[str, float]], seed: int,
               ) -> list[StopSample]:
    """`demand` stops drawn with replacement from the samples, zone by zone in the given shares (fixed seed)."""
    rng = random.Random(seed)
    by_zone: dict[str, list[StopSample]] = {}
    for sample in samples:
        by_zone.setdefault(sample.zone, []).append(sample)
    shares = [(zone, share) for zone, share in zone_shares if share > 0 and by_zone.get(zone)]
    if not shares or demand <= 0:
        return [rng.choice(samples) for _ in range(max(demand, 0))] if samples else []
    total = sum(share for _, share in shares)
    counts = _largest_remainder([share / total * demand for _, share in shares])
    drawn = []
    for (zone, _), count in zip(shares, counts):
        drawn += [rng.choice(by_zone[zone]) for _ in range(count)]
    return drawn


def _largest_remainder(quotas: list[float]) -> list[int]:
    counts = [int(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: quotas[i] - counts[i], reverse=True)
    for i in order[:round(sum(quotas)) - sum(counts)]:
        counts[i] += 1
    return counts


def day_origin(day: date, timezone: str) -> datetime:
    return datetime.combine(day, clock_time(0), ZoneInfo(timezone)).astimezone(UTC)


def _on_day(day: date, timezone: str) -> Callable[[int], int]:
    """Seconds from local midnight -> seconds from the day's origin (a daylight-saving day is an hour short or long)."""
    zone = ZoneInfo(timezone)
    origin = day_origin(day, timezone)
    midnight = datetime.combine(day, clock_time(0), zone)
    return lambda seconds: int(((midnight + timedelta(seconds=seconds)).astimezone(UTC) - origin).total_seconds())


def build_problem(fleet: Fleet, day: date, stops: Sequence[StopSample], matrix_provider: MatrixProvider,
                  priorities: Sequence[int] = ()) -> Problem:
    """The day as the planner sees it: the shop's vans, and the drawn stops, each optional (what is left is counted;
    a stop of higher priority is left last)."""
    priorities = list(priorities) or [0] * len(stops)
    at = _on_day(day, fleet.timezone)
    depots = tuple(replace(d, opens=at(d.opens), closes=at(d.closes)) for d in fleet.depots)
    vehicles = tuple(replace(v, shift_start=at(v.shift_start), shift_end=at(v.shift_end), driver_break=None if v.driver_break
                             is None else replace(v.driver_break, earliest=at(v.driver_break.earliest),
                                                  latest=at(v.driver_break.latest)))
                     for v in fleet.biggest_first())
    planning_stops = tuple(PlanningStop(
        f"s{i}", s.place, delivery=(s.parcels, s.weight_g), pickup=(0, 0), service=s.service,
        window_start=at(s.window_start), window_end=at(s.window_end), required=False, priority=priorities[i],
        penalty=UNPLANNED_PENALTY_M * (1 + priorities[i]), name=f"forecast stop {i + 1}") for i, s in enumerate(stops))
    places = [d.place for d in depots] + [s.place for s in planning_stops]
    hours = (min(v.shift_start for v in fleet.vehicles) // 3600, -(-max(v.shift_end for v in fleet.vehicles) // 3600))
    matrix = matrix_provider.matrix(places, hours)
    return Problem(depots, vehicles, planning_stops, matrix, day_origin=day_origin(day, fleet.timezone),
                   name=f"forecast day {day.isoformat()}", timezone=fleet.timezone)


# A solver takes a problem and gives (the stops it planned, the vans it used).
Solver = Callable[[Problem], "tuple[set[int], int]"]


def planner_solver(seconds: float, seed: int = 0) -> Solver:
    """The app's own solve path (routing.solve: PyVRP, OR-Tools for breaks, the evaluator's check), in-process."""
    from .solve import solve

    def run(problem: Problem) -> tuple[set[int], int]:
        plan, _ = solve(problem, SolveOptions(seconds=seconds, seed=seed))
        if plan is None:
            return set(), 0
        return {s for route in plan.routes for s in route}, sum(1 for route in plan.routes if route)

    return run


def with_vans(problem: Problem, count: int, own: int) -> Problem:
    """The day with `count` vans: the shop's `own` (biggest first, as built), then extra vans like its biggest one."""
    own_vans = problem.vehicles[:own]
    vans = list(own_vans[:count])
    for extra in range(max(0, count - own)):
        first = own_vans[0]
        vans.append(replace(first, key=f"{first.key}-extra{extra + 1}", name=f"Extra van like {first.name}"))
    return problem.with_vehicles(tuple(vans))


def out_of_reach(problem: Problem) -> set[int]:
    """Stops no van could serve even alone: promised outside every shift (with the drive there and back), or bigger
    than the biggest van. Couriers take them, however many vans there are."""
    duration = problem.matrix.duration
    reach = set()
    for i, stop in enumerate(problem.stops):
        node = problem.stop_node(i)
        for van in problem.vehicles:
            depot = problem.depots[van.depot]
            start, end = max(van.shift_start, depot.opens), min(van.shift_end, depot.closes)
            arrive = max(start + duration[van.depot][node], stop.window_start)
            fits = all(amount <= room for amount, room in zip(problem.amounts(i)[0], van.capacity))
            if fits and arrive <= stop.window_end and arrive + stop.service + duration[node][van.depot] <= end:
                reach.add(i)
                break
    return set(range(len(problem.stops))) - reach


def plan_level(problem: Problem, fleet: Fleet, solver: Solver, max_extra: int = MAX_EXTRA_VANS,
               at_least: int = 1) -> LevelPlan:
    """The fewest vans (never fewer than `at_least`) that carry the stops vans can serve, all but one in fifty a short
    search may leave (couriers take those on any day); and what the shop's own vans leave for couriers."""
    n, own = len(problem.stops), len(fleet.vehicles)
    beyond = len(out_of_reach(problem))
    servable = n - beyond
    if servable == 0:
        return LevelPlan(n, 0, 0, n, beyond_vans=beyond)
    target = servable - int(LEFT_ANYWAY * servable)
    carried = lambda count: len(solver(with_vans(problem, count, own))[0])  # noqa: E731
    planned, used = solver(with_vans(problem, own, own))
    carry = len(planned)
    level = lambda needed, enough=True: LevelPlan(  # noqa: E731
        n, max(needed, at_least), carry, n - carry, enough, beyond)
    if carry >= target:
        needed = used
        while needed > max(1, at_least) and carried(needed - 1) >= target:  # the planner spreads stops over every van
            needed -= 1
        return level(needed)
    # One more van like the biggest at a time, while each one carries more (stops a van more does not take are
    # not about vans: their promise and the shifts or breaks don't meet).
    best = carry
    for count in range(own + 1, own + max_extra + 1):
        more = carried(count)
        if more >= target:
            return level(count)
        if more <= best:
            return level(count - 1)
        best = more
    return level(own + max_extra, enough=False)


def slot_caps(problem: Problem, slots: Sequence[TimeWindow], solver: Solver) -> tuple[tuple[str, int], ...]:
    """Per delivery slot, the stops promised from inside it that the shop's vans carry on the cap day (the forecast's
    80th-percentile day first, then more slot-bound stops than the vans can take, in every slot alike). An order
    holds a slot when its promise starts in it, as the delivery options count them."""
    planned, _ = solver(problem)
    caps = []
    for slot in slots:
        start, end = (int((moment - problem.day_origin).total_seconds()) for moment in (slot.start, slot.end))
        caps.append((to_iso(slot.start), sum(1 for i in planned if start <= problem.stops[i].window_start < end)))
    return tuple(caps)


def extra_slot_stops(samples: Sequence[StopSample], slots: Sequence[TimeWindow], day: date, timezone: str,
                     room: int, seed: int) -> list[StopSample]:
    """For each slot, SATURATION x `room` / slots recent stops promised from inside it (so every slot asks for more
    than the vans can give, alike): the cap day's oversupply."""
    rng, zone = random.Random(seed), ZoneInfo(timezone)
    midnight = datetime.combine(day, clock_time(0), zone)
    per_slot = max(1, math.ceil(SATURATION * room / max(len(slots), 1)))
    extra = []
    for slot in slots:
        start, end = ((moment.astimezone(zone) - midnight).total_seconds() for moment in (slot.start, slot.end))
        inside = [s for s in samples if start <= s.window_start < end]
        extra += [rng.choice(inside) for _ in range(per_slot)] if inside else []
    return extra


def rough_carry(fleet: Fleet, samples: Sequence[StopSample]) -> int:
    """What the vans could hold by parcels alone: how big the slot-cap day is made."""
    mean_parcels = max(1.0, sum(s.parcels for s in samples) / len(samples)) if samples else 1.0
    return int(sum(v.capacity[0] for v in fleet.vehicles) / mean_parcels)


def plan_day(fleet: Fleet, demand: DayDemand, samples: Sequence[StopSample], slots: Sequence[TimeWindow],
             solver: Solver, matrix_provider: MatrixProvider | None = None, seed: int = 7) -> DayCapacity:
    """One coming day: vans at the median and at p80, the couriers' share, the slot caps."""
    matrix_provider = matrix_provider or OfflineMatrixProvider()
    base = seed * 1_000_003 + demand.day.toordinal()
    levels: list[LevelPlan] = []
    for level, orders in enumerate((demand.p50, demand.p80)):
        drawn = sample_day(samples, orders, demand.zone_shares, base + level)
        at_least = levels[0].vans_needed if levels else 1  # the busier day never needs fewer vans
        levels.append(plan_level(build_problem(fleet, demand.day, drawn, matrix_provider), fleet, solver,
                                 at_least=max(1, at_least)))
    caps: tuple[tuple[str, int], ...] = ()
    if slots and samples:
        day_stops = sample_day(samples, demand.p80, demand.zone_shares, base + 1)  # the p80 day, as planned above
        extra = extra_slot_stops(samples, slots, demand.day, fleet.timezone, rough_carry(fleet, samples), base + 2)
        problem = build_problem(fleet, demand.day, day_stops + extra, matrix_provider,
                                priorities=[1] * len(day_stops) + [0] * len(extra))
        caps = slot_caps(problem, slots, solver)
    return DayCapacity(demand.day, levels[0], levels[1], len(fleet.vehicles), fleet.drivers, caps)
