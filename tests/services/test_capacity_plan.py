"""The capacity plan: a coming day drawn from the forecast, planned with the real route planner, asks for the vans it
needs; its slot caps close slots in the delivery options."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from capacity_shop import NOW, SHOP, TOMORROW, make_one_van_shop, report_with
from controltower.dispatch.options import DeliveryRequest, delivery_options, load_fleet_capacity
from controltower.dispatch.settings import load_settings
from controltower.domain import UTC, Address, DeliveryOption, GeoPoint, Money, Order, Shipment, TimeWindow
from controltower.services.capacity import CapacityService, compute_plan
from controltower.store import orders as order_store
from controltower.store import shipments as shipment_store


@pytest.fixture
def one_van_shop(store):
    return make_one_van_shop(store)


def plan_for(store, p50: float, p80: float):
    capacity = CapacityService(store, seconds_per_solve=1.0)
    return compute_plan(capacity.inputs(report_with(TOMORROW, p50, p80), NOW))


@time_machine.travel(NOW, tick=False)
def test_a_day_raised_past_one_vans_parcels_asks_for_one_more_van(one_van_shop):
    quiet = plan_for(one_van_shop, 6, 8).days[0]
    assert (quiet.day, quiet.p50.orders, quiet.p80.orders) == (TOMORROW, 6, 8)  # every recent order went by van
    assert (quiet.p50.vans_needed, quiet.p80.vans_needed, quiet.p80.courier_stops) == (1, 1, 0)
    assert quiet.warning() == ""

    busy = plan_for(one_van_shop, 8, 15).days[0]  # 15 one-parcel stops: more than the van's 10 parcels
    assert (busy.p50.vans_needed, busy.p80.vans_needed) == (1, 2)
    assert busy.p80.own_vans_carry == 10 and busy.p80.courier_stops == 5
    assert busy.warning() == "Wed 25th: 1 van short at the 80 % level"
    assert busy.drivers_needed_p80 == 2


@time_machine.travel(NOW, tick=False)
def test_the_couriers_cost_is_their_usual_price_times_the_stops_left(one_van_shop):
    with one_van_shop.transaction() as conn:
        conn.execute("INSERT INTO carrier_accounts(code, name, kind) VALUES ('sandbox:zippy', 'Zippy', 'courier')")
        for i, cost in enumerate((900, 1100, 1300)):
            order_id = order_store.upsert_orders(conn, [Order(
                f"#C{i}", "Courier customer", Address("1 Side St", "Portland", "97214"), DeliveryOption.SAME_DAY,
                NOW - timedelta(days=2), location=GeoPoint(*SHOP))]).ids[f"#C{i}"]
            shipment_store.create_shipment(conn, Shipment(order_id=order_id, carrier="sandbox:zippy",
                                                          cost=Money(cost), created_at=NOW - timedelta(days=2)))
    plan = plan_for(one_van_shop, 8, 15)
    assert plan.courier_cost_minor == 1100
    assert plan.courier_cost(plan.days[0]) == 1100 * plan.days[0].p80.courier_stops
    assert plan.van_share == pytest.approx(40 / 43)


@time_machine.travel(NOW, tick=False)
def test_saved_slot_caps_close_a_slot_in_the_delivery_options(one_van_shop):
    capacity = CapacityService(one_van_shop, seconds_per_solve=1.0)
    plan = compute_plan(capacity.inputs(report_with(TOMORROW, 8, 15), NOW))
    caps = dict(plan.days[0].slot_caps)
    first_slot = datetime(2026, 11, 25, 10, tzinfo=UTC).isoformat()
    assert 0 < caps[first_slot] <= 10  # the van's parcels bound every slot
    capacity.save(plan)
    assert capacity.latest() == plan  # the plan is kept for the forecast area

    settings = load_settings(one_van_shop)
    fleet = load_fleet_capacity(one_van_shop.reader(), settings, TOMORROW)
    slot = TimeWindow(datetime(2026, 11, 25, 10, tzinfo=UTC), datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert fleet.left(slot) == caps[first_slot]  # 1 van x 8 a slot is the rule of thumb; the plan's cap is used

    # Fill the slot up to its cap: the delivery options then mark it full.
    with one_van_shop.transaction() as conn:
        orders = [Order(f"#S{i}", "Slot customer", Address("2 Main St", "Portland", "97214"), DeliveryOption.SCHEDULED,
                        NOW, location=GeoPoint(*SHOP), promised_window=slot) for i in range(caps[first_slot])]
        order_store.upsert_orders(conn, orders)
    fleet = load_fleet_capacity(one_van_shop.reader(), settings, TOMORROW)
    request = DeliveryRequest(NOW, "97214", *SHOP)
    scheduled = {o.promised_window.start: o for o in delivery_options(settings, request, fleet)
                 if o.option is DeliveryOption.SCHEDULED}
    assert not scheduled[slot.start].available and scheduled[slot.start].note == "slot full"
    assert scheduled[slot.start + timedelta(hours=2)].available


@time_machine.travel(NOW, tick=False)
def test_a_shop_without_a_depot_or_van_gets_a_plan_that_says_what_to_add(store):
    from controltower.services.forecast_refresh import refresh_forecast_and_plan

    result = refresh_forecast_and_plan(store.path, NOW, days=3)
    assert result.endswith("no van plan: Add a depot (where the vans load) before planning vans for the forecast.")
    plan = CapacityService(store).latest()
    assert plan.days == () and plan.made_at == NOW  # kept, so the job does not try again before the next close
