"""Dispatching the day under the shop's preferences, on both paths (CP-SAT and the greedy past 400 orders), with each order's reason."""
from __future__ import annotations

import random

import pytest

from controltower.dispatch.allocate import NO_WAY, allocate, problem_from_rows
from controltower.dispatch.policy import Preferences
from controltower.dispatch.rates import OVER_PROMISE, OnTimeRecord, WayRow
from controltower.domain import Money

from .conftest import local
from .test_allocate import brute_force

PROMISED = local("2026-11-25T18:00")
NAMES = {"own_fleet": "Own van", "zippy": "Zippy", "pedal": "Pedal", "parcelco": "ParcelCo"}
PATHS = pytest.mark.parametrize("exact_limit", [400, 0], ids=["cp-sat", "greedy"])


def way(carrier, price, *, on_time=(0, 0), late=False):
    kind = "own_fleet" if carrier == "own_fleet" else "courier"
    return WayRow(carrier, NAMES[carrier], kind, "van" if kind == "own_fleet" else "std", Money(price), PROMISED, PROMISED,
                  OnTimeRecord(*on_time), (OVER_PROMISE,) if late else ())


def day(ways_by_order, parcels=None, van_capacity=100, preferences=Preferences(), van_seconds=None, van_time_s=None):
    parcels = parcels or {o: 1 for o in ways_by_order}
    return problem_from_rows(ways_by_order, parcels, van_capacity, preferences=preferences, van_seconds=van_seconds,
                             van_time_s=van_time_s)


def carriers(allocation):
    return {o: c.carrier for o, c in allocation.chosen.items()}


@PATHS
def test_excluded_carriers_and_the_reliability_floor_hold_for_the_whole_day(exact_limit):
    preferences = Preferences(excluded_carriers=frozenset({"zippy"}), reliability_floor=0.9)
    problem = day({
        1: [way("zippy", 300), way("pedal", 400, on_time=(6, 10)), way("parcelco", 900)],
        2: [way("zippy", 300)],  # only the excluded carrier quoted
        3: [way("pedal", 500, on_time=(6, 10))],  # every carrier under the floor: it stays, with a note
        4: [way("parcelco", 200, late=True)],
    }, preferences=preferences)
    allocation = allocate(problem, exact_limit=exact_limit)
    assert carriers(allocation) == {1: "parcelco", 3: "pedal"}
    assert allocation.reasons[1] == ("ParcelCo std is the cheapest that keeps the promise ($9.00). "
                                     "Note: Zippy excluded by your settings; Pedal below your 90% on-time floor.")
    assert allocation.reasons[2] == "Every carrier that quoted is excluded by your settings."
    assert allocation.reasons[3].endswith("Note: all carriers are below your 90% on-time floor.")
    assert allocation.unplaced == {2: NO_WAY, 4: NO_WAY}
    assert allocation.reasons[4] == "No way keeps the promise; choose one by hand."


@PATHS
def test_prefer_own_vans_puts_as_many_orders_on_the_vans_as_fit_then_costs_least(exact_limit):
    # The vans cost more than Zippy everywhere; 5 parcels of room for orders of 1, 2, 3 and 1 parcels.
    ways = {o: [way("own_fleet", 600 + 10 * o), way("zippy", 400)] for o in range(1, 5)}
    parcels = {1: 1, 2: 2, 3: 3, 4: 1}
    cheapest = allocate(day(ways, parcels, van_capacity=5), exact_limit=exact_limit)
    assert set(carriers(cheapest).values()) == {"zippy"}  # without the preference, cost decides

    problem = day(ways, parcels, van_capacity=5, preferences=Preferences(prefer_own_fleet=True))
    allocation = allocate(problem, exact_limit=exact_limit)
    assert carriers(allocation) == {1: "own_fleet", 2: "own_fleet", 3: "zippy", 4: "own_fleet"}  # 3 orders is the most that fit
    assert brute_force(problem, tiers=True) == (0, -3, 0, allocation.total.amount_minor)
    assert allocation.reasons[1] == ("Own van keeps the promise and you prefer own vans ($6.10; cheapest was Zippy std at $4.00).")
    assert allocation.reasons[3] == ("Zippy std is the cheapest that keeps the promise ($4.00; next is Own van at $6.30). "
                                     "You prefer own vans, but the vans have no room left for its parcels.")


@PATHS
def test_van_driver_time_caps_the_day(exact_limit):
    ways = {o: [way("own_fleet", 200), way("zippy", 900)] for o in range(1, 5)}
    seconds = {1: 1800, 2: 1200, 3: 2400, 4: 600}
    problem = day(ways, van_seconds=seconds, van_time_s=3600, preferences=Preferences(prefer_own_fleet=True))
    allocation = allocate(problem, exact_limit=exact_limit)
    on_vans = [o for o, c in allocation.chosen.items() if c.carrier == "own_fleet"]
    assert sum(seconds[o] for o in on_vans) <= 3600 and len(on_vans) == 3  # 600 + 1200 + 1800
    assert allocation.reasons[3].endswith("You prefer own vans, but the drivers have no time left in their shifts.")


def test_cp_sat_matches_brute_force_with_every_preference():
    for seed in range(6):
        rng = random.Random(seed)
        ways = {}
        for o in range(1, 7):
            options = [way("own_fleet", rng.randint(200, 900))]
            options += [way(c, rng.randint(300, 1200)) for c in ("zippy", "pedal", "parcelco") if rng.random() < 0.7]
            ways[o] = options
        parcels = {o: rng.randint(1, 3) for o in ways}
        preferences = Preferences(prefer_own_fleet=seed % 2 == 0, second_carrier="pedal", second_carrier_share=0.4)
        problem = day(ways, parcels, van_capacity=5, preferences=preferences)
        allocation = allocate(problem)
        assert allocation.method == "exact" and allocation.proven_optimal
        bookings = [c for c in allocation.chosen.values() if c.carrier != "own_fleet"]
        kept = sum(1 for c in bookings if c.carrier == "pedal")
        vans = sum(1 for c in allocation.chosen.values() if c.carrier == "own_fleet") if preferences.prefer_own_fleet else 0
        short = max(0, -(-2 * len(bookings) // 5) - kept)
        assert (len(allocation.unplaced), -vans, short, allocation.total.amount_minor) == brute_force(problem, tiers=True), seed


@PATHS
def test_second_carrier_keeps_its_share_of_the_days_bookings(exact_limit):
    # Zippy is cheaper for all ten orders; Pedal, the second carrier, is to keep 20% of the bookings.
    ways = {o: [way("zippy", 500), way("pedal", 500 + 10 * o)] for o in range(1, 11)}
    problem = day(ways, preferences=Preferences(second_carrier="pedal", second_carrier_share=0.2))
    allocation = allocate(problem, exact_limit=exact_limit)
    assert [o for o, c in carriers(allocation).items() if c == "pedal"] == [1, 2]  # the two cheapest to move
    assert allocation.total == Money(10 * 500 + 10 + 20)
    assert allocation.reasons[1] == ("Pedal std keeps 20% of bookings with your second carrier "
                                     "(2 of 10 today; $5.10 vs $5.00 for Zippy std).")
    assert allocation.reasons[3].startswith("Zippy std is the cheapest that keeps the promise")
    assert allocation.notes == ()


@PATHS
def test_a_share_the_day_cannot_give_is_kept_as_far_as_it_goes_and_says_why(exact_limit):
    # Pedal keeps the promise for one order of ten: 1 booking of 10 is under the 30% asked for.
    ways = {o: [way("zippy", 500)] + ([way("pedal", 700)] if o == 4 else [way("pedal", 400, late=True)]) for o in range(1, 11)}
    problem = day(ways, preferences=Preferences(second_carrier="pedal", second_carrier_share=0.3))
    allocation = allocate(problem, exact_limit=exact_limit)
    assert carriers(allocation)[4] == "pedal" and len(allocation.chosen) == 10
    assert allocation.notes == ("Pedal has 1 of today's 10 carrier bookings (10%), under the 30% you keep with your "
                                "second carrier: it keeps the promise for only 1 of today's orders.",)
    assert allocation.reasons[4] == ("Pedal std keeps as many bookings as it can with your second carrier "
                                     "(1 of 10 carrier bookings today, under your 30%; $7.00 vs $5.00 for Zippy std).")


@PATHS
def test_own_vans_come_before_the_share(exact_limit):
    # Preferring vans, the vans take what they can and the share counts the carrier bookings left.
    ways = {o: [way("own_fleet", 900), way("zippy", 300), way("pedal", 350)] for o in range(1, 7)}
    preferences = Preferences(prefer_own_fleet=True, second_carrier="pedal", second_carrier_share=0.5)
    allocation = allocate(day(ways, van_capacity=2, preferences=preferences), exact_limit=exact_limit)
    assert sorted(carriers(allocation).values()) == ["own_fleet"] * 2 + ["pedal"] * 2 + ["zippy"] * 2


@PATHS
def test_a_carrier_at_its_daily_limit_is_named_in_the_reason(exact_limit):
    ways = {o: [way("zippy", 300), way("pedal", 450 + o), way("own_fleet", 900)] for o in range(1, 4)}
    problem = day(ways)
    problem = type(problem)(problem.choices, problem.van_capacity, {"zippy": 1}, preferences=problem.preferences)
    allocation = allocate(problem, exact_limit=exact_limit)
    assert sorted(carriers(allocation).values()) == ["pedal", "pedal", "zippy"]
    on_pedal = [o for o, c in carriers(allocation).items() if c == "pedal"]
    assert allocation.reasons[on_pedal[0]] == (f"Pedal std is the cheapest way with room (${4.50 + on_pedal[0] / 100:.2f}): "
                                               "Zippy takes at most 1 order a day.")
