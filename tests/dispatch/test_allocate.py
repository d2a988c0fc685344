"""Dispatch the day: the cheapest allocation that keeps every promise, checked against brute force."""
from __future__ import annotations

import itertools
import math
import random

from controltower.dispatch.allocate import NO_ROOM, NO_WAY, AllocationProblem, Choice, allocate, problem_from_rows
from controltower.dispatch.rates import OVER_PROMISE, WayRow
from controltower.domain import Money

from .conftest import local


def brute_force(problem: AllocationProblem, tiers: bool = False) -> tuple[int, ...]:
    """(orders left unplaced, total cost) of the best allocation, by trying every combination. With `tiers`:
    (unplaced, minus van orders when preferred, bookings the second carrier is short of its share, cost)."""
    orders = list(problem.choices)
    prefs = problem.preferences
    best = None
    for combo in itertools.product(*[(*problem.choices[o], None) for o in orders]):
        picked = [c for c in combo if c is not None]
        if sum(c.van_parcels for c in picked) > problem.van_capacity:
            continue
        if problem.van_seconds is not None and sum(c.van_seconds for c in picked) > problem.van_seconds:
            continue
        if any(sum(1 for c in picked if c.carrier == k) > limit for k, limit in problem.carrier_limits.items()):
            continue
        cost = sum(c.cost.amount_minor for c in picked)
        if tiers:
            vans = sum(1 for c in picked if c.carrier == "own_fleet") if prefs.prefer_own_fleet else 0
            bookings = [c for c in picked if c.carrier not in ("own_fleet", "pickup")]
            kept = sum(1 for c in bookings if c.carrier == prefs.second_carrier)
            short = max(0, math.ceil(round(prefs.second_carrier_share * len(bookings), 9)) - kept) if prefs.second_carrier else 0
            score = (len(orders) - len(picked), -vans, short, cost)
        else:
            score = (len(orders) - len(picked), cost)
        best = score if best is None or score < best else best
    return best


def crafted_day(seed: int) -> AllocationProblem:
    rng = random.Random(seed)
    choices = {}
    for order_id in range(1, 7):
        parcels = rng.randint(1, 3)
        ways = [Choice(order_id, "own_fleet", "van", Money(rng.randint(200, 900)), parcels)]
        ways += [Choice(order_id, carrier, "std", Money(rng.randint(400, 1500)))
                 for carrier in ("zippy", "pedal", "parcelco") if rng.random() < 0.7]
        choices[order_id] = tuple(ways)
    return AllocationProblem(choices, van_capacity=6, carrier_limits={"zippy": 2})


def test_exact_allocation_matches_brute_force_on_small_days():
    for seed in range(8):
        problem = crafted_day(seed)
        allocation = allocate(problem)
        assert allocation.method == "exact" and allocation.proven_optimal
        assert (len(allocation.unplaced), allocation.total.amount_minor) == brute_force(problem), seed
        assert sum(c.van_parcels for c in allocation.chosen.values()) <= problem.van_capacity


def test_heuristic_fallback_keeps_capacity_and_every_promise():
    for seed in range(8):
        problem = crafted_day(seed)
        allocation = allocate(problem, exact_limit=0)
        assert allocation.method == "heuristic"
        assert sum(c.van_parcels for c in allocation.chosen.values()) <= problem.van_capacity
        assert sum(1 for c in allocation.chosen.values() if c.carrier == "zippy") <= 2
        for order_id, choice in allocation.chosen.items():
            assert choice in problem.choices[order_id]
        unplaced, optimum = brute_force(problem)
        assert len(allocation.unplaced) >= unplaced
        if len(allocation.unplaced) == unplaced:
            assert allocation.total.amount_minor >= optimum


def test_van_full_moves_the_cheapest_to_move_order_to_a_carrier():
    problem = AllocationProblem({
        1: (Choice(1, "own_fleet", "van", Money(300), 2), Choice(1, "zippy", "std", Money(1500))),
        2: (Choice(2, "own_fleet", "van", Money(400), 2), Choice(2, "zippy", "std", Money(600))),
        3: (Choice(3, "zippy", "std", Money(700)),),
        4: (),
    }, van_capacity=2)
    allocation = allocate(problem)
    assert {o: c.carrier for o, c in allocation.chosen.items()} == {1: "own_fleet", 2: "zippy", 3: "zippy"}
    assert allocation.total == Money(300 + 600 + 700)
    assert allocation.unplaced == {4: NO_WAY}
    # With Zippy capped at one order, order 2 or 3 cannot go anywhere.
    capped = allocate(AllocationProblem(problem.choices, 2, {"zippy": 1}))
    assert list(capped.unplaced.values()).count(NO_ROOM) == 1


def test_problem_keeps_only_ways_that_keep_the_promise():
    promised = local("2026-11-25T18:00")
    rows = [WayRow("own_fleet", "Own van", "own_fleet", "van", Money(500), promised, promised),
            WayRow("late", "Late", "parcel", "std", Money(100), promised, promised, flags=(OVER_PROMISE,)),
            WayRow("down", "Down", "parcel", "", None, promised, None, error="timeout")]
    problem = problem_from_rows({9: rows}, {9: 3}, van_capacity=10)
    assert problem.choices[9] == (Choice(9, "own_fleet", "van", Money(500), 3),)
