"""Dispatching a real day through the service under the shop's preferences: vans' parcels and shift time, and the reasons the review shows."""
from __future__ import annotations

import asyncio
from datetime import date

from controltower.dispatch.day import van_seconds_left
from controltower.dispatch.policy import Preferences, save_preferences
from controltower.dispatch.service import DispatchService

from .conftest import FAR, NEAR, QuotingCarrier, add_orders, local, make_order, window

NOW = local("2026-11-25T10:00")


def plan_for(store, *orders, carriers=None):
    ids = add_orders(store, *orders)
    service = DispatchService(store, adapters=lambda: carriers or [QuotingCarrier("zippy", {"now": 2500}, name="Zippy")],
                              clock=lambda: NOW)
    plan = asyncio.run(service.plan_day())
    return service, plan, {ref: plan.allocation.chosen.get(i) for ref, i in ids.items()}, ids


def test_shift_time_left_counts_breaks_planned_routes_and_the_clock(store, shop):
    day = date(2026, 11, 25)
    # Two vans 09:00-18:00 with a 30-minute break; at 10:00 each has 8 hours of its shift left.
    assert van_seconds_left(store.reader(), shop, day, NOW) == 2 * 8 * 3600
    with store.transaction() as conn:
        conn.execute("INSERT INTO routes(plan_date, vehicle_id, duration_s, created_at) VALUES ('2026-11-25', 1, ?, '')", (7 * 3600,))
    assert van_seconds_left(store.reader(), shop, day, NOW) == 90 * 60 + 8 * 3600


def test_prefer_own_vans_sends_the_far_order_by_van_and_says_so(store, shop):
    save_preferences(store, Preferences(prefer_own_fleet=True))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    _, plan, chosen, ids = plan_for(store, make_order("D1", NEAR, window=today), make_order("D2", FAR, window=today))
    assert {ref: c.carrier for ref, c in chosen.items()} == {"D1": "own_fleet", "D2": "own_fleet"}
    assert plan.reason(ids["D2"]).startswith("Own van keeps the promise and you prefer own vans (")
    assert "cheapest was Zippy now at $25.00" in plan.reason(ids["D2"])
    assert plan.reason(ids["D1"]).startswith("Own van is the cheapest that keeps the promise")


def test_vans_without_shift_time_left_send_the_order_by_carrier(store, shop):
    save_preferences(store, Preferences(prefer_own_fleet=True))
    with store.transaction() as conn:  # the drivers go home at 10:40: no time for a round trip to JFK
        conn.execute("UPDATE vehicles SET shift_end = '10:40'")
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    _, plan, chosen, ids = plan_for(store, make_order("D2", FAR, window=today))
    assert chosen["D2"].carrier == "zippy"
    assert plan.reason(ids["D2"]).endswith("You prefer own vans, but the drivers have no time left in their shifts.")


def test_review_shows_each_orders_reason_and_the_days_notes(qtbot, store, shop):
    from controltower.ui.dispatch.review import COLUMNS, DayReviewDialog

    save_preferences(store, Preferences(second_carrier="pedal", second_carrier_share=0.5))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    carriers = [QuotingCarrier("zippy", {"now": 900}, name="Zippy"), QuotingCarrier("pedal", {"now": 1100}, name="Pedal")]
    service, plan, chosen, ids = plan_for(store, make_order("D2", FAR, window=today), make_order("D3", FAR, window=today),
                                          carriers=carriers)
    assert sorted(c.carrier for c in chosen.values()) == ["pedal", "zippy"]
    dialog = DayReviewDialog(plan, service)
    qtbot.addWidget(dialog)
    why = COLUMNS.index("Why")
    shown = {dialog.table.item(r, 0).text(): dialog.table.item(r, why).text() for r in range(dialog.table.rowCount())}
    on_pedal = next(ref for ref, c in chosen.items() if c.carrier == "pedal")
    assert shown[on_pedal] == "Pedal now keeps 50% of bookings with your second carrier (1 of 2 today; $11.00 vs $9.00 for Zippy now)."
    assert plan.allocation.notes == ()
