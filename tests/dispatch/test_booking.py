"""Dispatching the day through the service: review, confirm through the outbox, partial failure, retries book nothing twice."""
from __future__ import annotations

import asyncio

from controltower.dispatch.booking import ALREADY, BOOKED, FAILED, QUEUED
from controltower.dispatch.service import DispatchService
from controltower.domain import DeliveryOption, Money

from .conftest import FAR, NEAR, QuotingCarrier, add_orders, local, make_order, window


def service_for(store, carriers):
    return DispatchService(store, adapters=lambda: carriers, clock=lambda: local("2026-11-25T10:00"))


def counts(store):
    return {table: store.scalar(f"SELECT count(*) FROM {table}") for table in ("shipments", "outbox", "stops", "dispatch_bookings")}


def test_dispatch_the_day_then_a_retried_confirm_books_nothing_twice(store, shop):
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    ids = add_orders(store, make_order("D1", NEAR, window=today), make_order("D2", FAR, window=today),
                     make_order("D3", NEAR, window=today, option=DeliveryOption.PICKUP))
    service = service_for(store, [QuotingCarrier("zippy", {"now": 2500})])
    plan = asyncio.run(service.plan_day())
    chosen = {plan.comparisons[i].order.order_ref: c.carrier for i, c in plan.allocation.chosen.items()}
    # Near: the van is cheaper than the courier; far (JFK): the van's round trip costs more than Zippy.
    assert chosen == {"D1": "own_fleet", "D2": "zippy", "D3": "pickup"}
    before = counts(store)
    first = service.confirm(plan.allocation.chosen.values())
    assert sorted(line.outcome for line in first.lines) == sorted([BOOKED, QUEUED, BOOKED])
    after_first = counts(store)
    assert after_first["outbox"] == before["outbox"] + 1  # only the carrier goes through the outbox
    assert after_first["shipments"] == before["shipments"] + 3
    assert after_first["stops"] == before["stops"] + 1  # the van's stop
    outbox = store.query("SELECT carrier, operation, state FROM outbox")
    assert [tuple(r) for r in outbox] == [("zippy", "book", "pending")]

    retry = service.confirm(plan.allocation.chosen.values())
    assert [line.outcome for line in retry.lines] == [ALREADY] * 3
    assert counts(store) == after_first
    assert retry.summary() == "3 already booked."
    assert {o.id for o in service.awaiting_decision()}.isdisjoint(ids.values())


def test_partial_failure_gives_a_clear_list_and_the_rest_is_booked(store, shop):
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    ids = add_orders(store, make_order("P1", NEAR, window=today), make_order("P2", NEAR, window=today))
    service = service_for(store, [])
    plan = asyncio.run(service.plan_day())
    with store.transaction() as conn:  # someone cancels P2 while the plan is being reviewed
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (ids["P2"],))
    report = service.confirm(plan.allocation.chosen.values())
    by_ref = {line.order_ref: line for line in report.lines}
    assert by_ref["P1"].outcome == BOOKED
    assert by_ref["P2"].outcome == FAILED and by_ref["P2"].message == "the order is cancelled"
    assert report.summary() == "1 booked, 1 failed."
    # Booking the same order again by another way is refused while it has a live shipment.
    comparison = asyncio.run(service.compare(ids["P1"]))
    again = service.book(comparison, next(r for r in comparison.rows if r.carrier == "pickup"))
    assert again.lines[0].outcome == FAILED and "already has a shipment with own_fleet" in again.lines[0].message


def test_the_van_stop_goes_where_the_insertion_was_priced(store, shop):
    north, further = (40.7600, -73.9897), (40.7800, -73.9897)  # straight up 5th Avenue from the shop
    ids = add_orders(store, make_order("A", north), make_order("B", further))
    with store.transaction() as conn:
        conn.execute("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (3, '2026-11-25', 1, '2026-11-25T00:00:00+00:00')")
        conn.execute("INSERT INTO stops(order_id, route_id, sequence) VALUES (?, 3, 1), (?, 3, 2)", (ids["A"], ids["B"]))
        conn.execute("UPDATE vehicles SET active = 0 WHERE id = 2")
    new = add_orders(store, make_order("MID", (40.7700, -73.9897),
                                       window=window("2026-11-25T12:00", "2026-11-25T18:00")))["MID"]
    service = service_for(store, [])
    comparison = asyncio.run(service.compare(new))
    assert comparison.decision.carrier == "own_fleet"
    assert "route 3 (Van 1) after stop 1" in comparison.decision.row.detail
    service.book(comparison)
    sequence = [r["order_ref"] for r in store.query(
        "SELECT o.order_ref FROM stops s JOIN orders o ON o.id = s.order_id WHERE s.route_id = 3 ORDER BY s.sequence")]
    assert sequence == ["A", "MID", "B"]


def test_quotes_are_kept_and_the_comparison_prints_as_json(store, shop):
    order_id = add_orders(store, make_order("J1", NEAR, window=window("2026-11-25T12:00", "2026-11-25T18:00")))["J1"]
    service = service_for(store, [QuotingCarrier("zippy", {"now": 650})])
    entries = asyncio.run(service.compare(order_id)).to_json()
    chosen = [e for e in entries if e["chosen"]]
    assert len(chosen) == 1 and chosen[0]["carrier"] == "zippy" and chosen[0]["price"] == "6.50"
    assert "cheapest that keeps the promise" in chosen[0]["reason"]
    van = next(e for e in entries if e["carrier"] == "own_fleet")
    assert van["reason"].endswith("dearer than Quick Parcel")
    assert store.scalar("SELECT price_minor FROM quotes WHERE order_id = ?", (order_id,)) == Money(650).amount_minor


def test_a_silent_carrier_costs_the_day_one_timeout_not_one_per_order(store, shop):
    from dataclasses import replace as changed

    from controltower.dispatch.settings import save_settings

    save_settings(store, changed(shop, quote_timeout_s=0.2))
    today = window("2026-11-25T12:00", "2026-11-25T18:00")
    add_orders(store, *[make_order(f"S{n}", NEAR, window=today) for n in range(5)])

    class CountingCarrier(QuotingCarrier):
        asked = 0

        async def quote(self, request):
            type(self).asked += 1
            return await super().quote(request)

    slow = CountingCarrier("slowpoke", {"ground": 100}, delay=5.0, name="Slowpoke")
    service = service_for(store, [slow, QuotingCarrier("zippy", {"now": 2500})])
    plan = asyncio.run(service.plan_day(concurrency=1))
    assert CountingCarrier.asked == 1
    errors = [next(r.error for r in c.rows if r.carrier == "slowpoke") for c in plan.comparisons.values()]
    assert errors.count("no answer within 0.2 s") == 1
    assert errors.count("no answer within 0.2 s earlier in this run; not asked again") == 4


def test_a_fresh_comparison_is_reused_for_a_few_minutes(store, shop):
    order_id = add_orders(store, make_order("C1", NEAR, window=window("2026-11-25T12:00", "2026-11-25T18:00")))["C1"]

    class CountingCarrier(QuotingCarrier):
        asked = 0

        async def quote(self, request):
            type(self).asked += 1
            return await super().quote(request)

    moments = iter([local("2026-11-25T10:00"), local("2026-11-25T10:03"), local("2026-11-25T10:04"), local("2026-11-25T10:10")])
    service = DispatchService(store, adapters=lambda: [CountingCarrier("zippy", {"now": 900})], clock=lambda: next(moments))
    first = asyncio.run(service.compare(order_id))
    assert asyncio.run(service.compare(order_id)).rows is first.rows  # 10:03: reused
    asyncio.run(service.compare(order_id, fresh=True))  # 10:04: the user asked for fresh quotes
    assert CountingCarrier.asked == 2
    asyncio.run(service.compare(order_id))  # 10:10: more than five minutes after the last
    assert CountingCarrier.asked == 3


def test_after_a_booking_is_cancelled_the_order_can_be_dispatched_again(store, shop):
    from controltower.domain import ShipmentStatus
    from controltower.store.shipments import set_status

    order_id = add_orders(store, make_order("R1", NEAR, window=window("2026-11-25T12:00", "2026-11-25T18:00")))["R1"]
    service = service_for(store, [QuotingCarrier("zippy", {"now": 600})])
    comparison = asyncio.run(service.compare(order_id))
    first = service.book(comparison)
    assert first.lines[0].outcome == QUEUED
    assert service.book(comparison).lines[0].outcome == ALREADY  # a double click books nothing twice
    with store.transaction() as conn:
        set_status(conn, first.lines[0].shipment_id, ShipmentStatus.CANCELLED, reason="customer changed the address")
    again = service.book(comparison)
    assert again.lines[0].outcome == QUEUED and again.lines[0].shipment_id != first.lines[0].shipment_id
    assert store.scalar("SELECT count(*) FROM dispatch_bookings WHERE order_id = ?", (order_id,)) == 2
