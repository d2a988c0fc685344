"""Dispatching a real day through the service under the shop's preferences: vans' parcels and shift time, and the reasons the review shows."""
from __future__ import annotations

import asyncio
import os
from datetime import date
from pathlib import Path

from controltower.dispatch.day import estimate_vans_together, van_seconds_left
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


JFK_TERMINALS = ((40.6413, -73.7781), (40.6446, -73.7826))  # two stops 500 m apart, 21 km from the shop


def test_orders_near_each_other_share_the_vans_detour(store, shop):
    estimate = estimate_vans_together(store.reader(), shop, date(2026, 11, 25), {1: (JFK_TERMINALS[0], 1), 2: (JFK_TERMINALS[1], 1)})
    single = estimate_vans_together(store.reader(), shop, date(2026, 11, 25), {1: (JFK_TERMINALS[0], 1)})
    assert estimate.unfit == {}
    # Together: one round trip and a short hop, not two round trips.
    assert single.together.amount_minor < estimate.together.amount_minor < 1.2 * single.together.amount_minor
    assert sum(c.amount_minor for c in estimate.cost.values()) == estimate.together.amount_minor
    assert all(cost < single.together for cost in estimate.cost.values())  # each is cheaper than going alone


def test_the_days_van_orders_are_priced_together_and_the_review_says_so(store, shop):
    save_preferences(store, Preferences(prefer_own_fleet=True))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    _, plan, chosen, ids = plan_for(store, make_order("J1", JFK_TERMINALS[0], window=today),
                                    make_order("J2", JFK_TERMINALS[1], window=today))
    assert chosen["J1"].carrier == chosen["J2"].carrier == "own_fleet"
    alone = {ref: next(r.price for r in plan.comparisons[ids[ref]].rows if r.carrier == "own_fleet") for ref in ids}
    together = chosen["J1"].cost + chosen["J2"].cost
    assert together.amount_minor < 0.6 * (alone["J1"] + alone["J2"]).amount_minor
    assert plan.allocation.notes == (f"Own vans: {together.format()} for 2 orders priced together (one by one they came to "
                                     f"{(alone['J1'] + alone['J2']).format()}); the routes are re-planned when you confirm.",)


def test_an_order_no_single_van_has_room_for_goes_another_way(store, shop):
    # 75 parcels fit in the two vans' 80 together, but only one 25-parcel order fits in each 40-parcel van.
    save_preferences(store, Preferences(prefer_own_fleet=True))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    _, plan, chosen, ids = plan_for(store, *(make_order(f"B{n}", NEAR, window=today, parcels=25) for n in (1, 2, 3)))
    assert sorted(c.carrier for c in chosen.values()) == ["own_fleet", "own_fleet", "zippy"]
    by_zippy = next(ref for ref, c in chosen.items() if c.carrier == "zippy")
    assert plan.reason(ids[by_zippy]).endswith("Note: own van left out: no single van has room for its 25 parcel(s).")


def test_priced_together_a_second_order_fits_the_driver_time_that_alone_it_did_not(store, shop):
    # One van until 13:30: at 10:00 it has 210 minutes, and a round trip to JFK takes about 190. Alone, each JFK
    # order needs a round trip; next to the first, the second is a short hop.
    save_preferences(store, Preferences(prefer_own_fleet=True))
    with store.transaction() as conn:
        conn.execute("UPDATE vehicles SET shift_end = '13:30'")
        conn.execute("UPDATE vehicles SET active = 0 WHERE id = 2")
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    _, plan, chosen, ids = plan_for(store, make_order("J1", JFK_TERMINALS[0], window=today),
                                    make_order("J2", JFK_TERMINALS[1], window=today))
    alone = {ref: next(r for r in plan.comparisons[ids[ref]].rows if r.carrier == "own_fleet") for ref in ids}
    assert all(row.keeps_promise for row in alone.values())
    assert {ref: c.carrier for ref, c in chosen.items()} == {"J1": "own_fleet", "J2": "own_fleet"}
    assert plan.allocation.notes[0].startswith("Own vans: ") and "for 2 orders priced together" in plan.allocation.notes[0]


def test_the_dispatch_area_shows_why_the_day_sends_an_order_another_way(qtbot, store, shop):
    from PySide6.QtCore import QThreadPool

    from controltower.ui.dispatch import DispatchView
    from controltower.ui.dispatch.review import DayReviewDialog

    save_preferences(store, Preferences(prefer_own_fleet=True))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    add_orders(store, *(make_order(f"B{n}", NEAR, window=today, parcels=25) for n in (1, 2, 3)))
    service = DispatchService(store, adapters=lambda: [QuotingCarrier("zippy", {"now": 2500}, name="Zippy")], clock=lambda: NOW)
    view = DispatchView(service)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.planReady, timeout=15000):
        view.refresh()
    try:
        recommended = {view.table.item(r, 0).text(): view.table.item(r, 4) for r in range(view.table.rowCount())}
        by_zippy = next(ref for ref, item in recommended.items() if item.text() == "Zippy")
        assert recommended[by_zippy].toolTip().endswith("no single van has room for its 25 parcel(s).")
        order_id = next(o.id for o in view.orders if o.order_ref == by_zippy)
        with qtbot.waitSignal(view.comparisonShown, timeout=15000):
            view.select_order(order_id)
        # Alone the order would go by van; the panel says why the day sends it with Zippy instead.
        reason = view.panel.reason.text()
        assert reason.startswith("Recommended: Own van")
        assert "\nIn the day's plan: Zippy now is the cheapest that keeps the promise ($25.00" in reason
        assert "Own vans: " in view.status.text()
        view.review_day()
        dialog = view.review_dialog
        assert isinstance(dialog, DayReviewDialog) and "priced together" in dialog.summary.text()
        if os.environ.get("CT_SCREENSHOT_DIR"):
            dialog.grab().save(str(Path(os.environ["CT_SCREENSHOT_DIR"]) / "dispatch-day-review.png"))
        dialog.close()
    finally:
        view.cancel_background()
        QThreadPool.globalInstance().waitForDone(15000)
