"""Dispatch runs on the shop's one zone (store.shop_clock): an evening re-attempt in Los Angeles lands on the shop's
next day, even where the saved delivery settings still carry an old "UTC" from before the zone was set."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import time_machine

from controltower.dispatch.returns import REATTEMPT, stops_for_plan
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import SETTINGS_KEY, load_settings
from controltower.domain import Shipment, ShipmentStatus
from controltower.store import shop_clock
from controltower.store.shipments import create_shipment, set_status

from .conftest import add_orders, make_order

LA_EVENING = datetime(2026, 11, 25, 3, 10, tzinfo=timezone.utc)  # 19:10 on Tuesday 24 Nov in Los Angeles


def test_an_evening_reattempt_in_los_angeles_lands_on_the_shops_next_day(store, shop):
    old_copy = json.loads(shop.to_json()) | {"timezone": "UTC"}  # saved by a build that kept the zone here too
    store.set_setting(SETTINGS_KEY, json.dumps(old_copy))
    store.set_setting(shop_clock.SETTING, "America/Los_Angeles")  # the shop's zone, set once (Settings)
    order_id = add_orders(store, make_order("LA-1"))["LA-1"]
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(order_id, "own_fleet", ShipmentStatus.BOOKED))
        set_status(conn, shipment_id, ShipmentStatus.FAILED_ATTEMPT, reason="nobody home")

    with time_machine.travel(LA_EVENING, tick=False):
        service = DispatchService(store, adapters=lambda: [])
        done = service.resolve_failed_attempt(order_id, REATTEMPT)

    assert done.startswith("Re-attempt planned on 2026-11-25")  # the UTC date would make it the 26th
    assert [s["order_ref"] for s in stops_for_plan(store.conn, date(2026, 11, 25))] == ["LA-1"]
    order = store.query("SELECT delivery_date, promised_start FROM orders WHERE id = ?", (order_id,))[0]
    assert (order["delivery_date"], order["promised_start"]) == ("2026-11-25", "2026-11-25T18:00:00+00:00")  # 10:00 PST
    body = store.scalar("SELECT body FROM notifications WHERE order_id = ? AND channel = 'sms'", (order_id,))
    assert "We will try again on Wednesday 25 November." in body


def test_delivery_settings_carry_the_shops_one_zone_and_save_a_change_to_it(store, shop, monkeypatch):
    monkeypatch.setattr(shop_clock, "computer_zone", lambda: shop_clock.ZoneInfo("Europe/Berlin"))
    assert load_settings(store).timezone == "America/New_York"  # the conftest shop saved New York
    store.set_setting(shop_clock.SETTING, "")  # cleared: the computer's zone, for dispatch as for everything else
    assert load_settings(store).timezone == "Europe/Berlin" == shop_clock.shop_zone_name(store.conn)
    assert "timezone" not in json.loads(store.get_setting(SETTINGS_KEY))  # no second copy of the zone
