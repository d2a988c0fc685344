"""The default choice on crafted quotes, and the reason it gives in plain words."""
from __future__ import annotations

from datetime import timedelta

from controltower.dispatch.policy import Preferences, choose, load_preferences, save_preferences
from controltower.dispatch.rates import OVER_BUDGET, OVER_PROMISE, QUOTE_EXPIRED, OnTimeRecord, WayRow
from controltower.domain import Money

from .conftest import local

PROMISED = local("2026-11-25T18:00")


def way(carrier, price, *, hours=2, flags=(), kind="parcel", on_time=(0, 0), name=None, error=""):
    return WayRow(carrier, name or carrier.title(), kind, "ground", Money(price), PROMISED,
                  PROMISED - timedelta(hours=hours), OnTimeRecord(*on_time), tuple(flags), error=error)


ROWS = [
    way("own_fleet", 900, kind="own_fleet", name="Own van"),
    way("zippy", 700, kind="courier", name="Zippy"),
    way("cheapo", 400, hours=-3, flags=(OVER_PROMISE,), name="Cheapo"),
    way("pedal", 800, kind="courier", on_time=(6, 10), name="Pedal"),
]


def test_cheapest_that_keeps_the_promise():
    decision = choose(ROWS)
    assert decision.carrier == "zippy"
    assert decision.reason == "Zippy ground is the cheapest that keeps the promise ($7.00; next is Pedal ground at $8.00)."


def test_prefer_own_fleet_says_what_it_costs():
    decision = choose(ROWS, Preferences(prefer_own_fleet=True))
    assert decision.carrier == "own_fleet"
    assert "you prefer own vans" in decision.reason and "Zippy ground at $7.00" in decision.reason


def test_excluded_carrier_and_reliability_floor():
    decision = choose(ROWS, Preferences(excluded_carriers=frozenset({"zippy"}), reliability_floor=0.9))
    assert decision.carrier == "own_fleet"  # Pedal is 60% on time over 10 deliveries
    assert "Zippy excluded by your settings" in decision.reason
    assert "Pedal below your 90% on-time floor" in decision.reason


def test_keeps_a_share_with_the_second_carrier():
    preferences = Preferences(second_carrier="pedal", second_carrier_share=0.2)
    assert choose(ROWS, preferences, shares={"pedal": 0.1, "zippy": 0.9}).carrier == "pedal"
    decision = choose(ROWS, preferences, shares={"pedal": 0.3, "zippy": 0.7})
    assert decision.carrier == "zippy"


def test_nothing_keeps_the_promise_picks_the_earliest():
    rows = [way("slow", 300, hours=-5, flags=(OVER_PROMISE,)), way("later", 900, hours=-1, flags=(OVER_PROMISE,), name="Later")]
    decision = choose(rows)
    assert decision.carrier == "later"
    assert decision.reason.startswith("No way keeps the promise; Later ground arrives earliest ($9.00)")


def test_expired_errors_and_over_budget_are_passed_over():
    rows = [way("stale", 100, flags=(QUOTE_EXPIRED,)), way("dear", 2000, flags=(OVER_BUDGET,)), way("ok", 2500),
            WayRow("down", "Down", "parcel", "", None, PROMISED, None, error="no answer within 8 s")]
    assert choose(rows).carrier == "ok"
    assert choose(rows[:1]).row is None


def test_preferences_round_trip(store):
    preferences = Preferences(True, frozenset({"metro"}), 0.85, "pedal", 0.25)
    save_preferences(store, preferences)
    assert load_preferences(store) == preferences
