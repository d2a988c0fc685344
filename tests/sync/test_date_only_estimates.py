"""Date-only delivery estimates kept as dates (issue 18, item 2): Shippo's `eta` and EasyPost's `est_delivery_date` /
rate `delivery_date` at midnight "Z" name a day, not 00:00 UTC. Read as UTC they land a day early west of Greenwich
(16:00 the day before in Los Angeles); they mean "by the end of that day" in the shop's zone, in every zone.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from controltower.carriers.base import AdapterConfig
from controltower.carriers.easypost.client import EasyPostAdapter
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.carriers.units import parse_estimate
from controltower.dispatch.rates import CarrierAnswer, compare
from controltower.domain import CarrierKind
from controltower.sync.engine import booking_eta
from tests.carriers.published import PublishedCarrier, payload
from tests.carriers.samples import shipment_request
from tests.dispatch.conftest import make_order, shop_settings

ZONES = ["America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Tokyo"]


def end_of(day: str, zone: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=ZoneInfo(zone))


def test_a_midnight_utc_or_bare_date_is_a_day_and_a_real_time_stays_a_time():
    assert parse_estimate("2026-03-04T00:00:00Z") == (None, date(2026, 3, 4))
    assert parse_estimate("2026-03-04T00:00:00+00:00") == (None, date(2026, 3, 4))
    assert parse_estimate("2026-03-04") == (None, date(2026, 3, 4))
    assert parse_estimate("2026-03-04T17:00:00Z") == (datetime.fromisoformat("2026-03-04T17:00:00+00:00"), None)
    assert parse_estimate("2026-03-04T00:00:00-08:00")[1] is None  # a local midnight with its offset is a time
    assert parse_estimate(None) == (None, None) and parse_estimate("soon") == (None, None)


def _shippo_booking():
    carrier = PublishedCarrier({"POST /shipments": (201, payload("shippo", "shipment_create")),
                                "POST /transactions": (201, payload("shippo", "transaction")),
                                "GET /transactions/txn_70f": (200, payload("shippo", "transaction")),
                                "GET /rates/rate_usps_pri": (200, payload("shippo", "rate_usps_priority"))})

    async def book():
        config = AdapterConfig("shippo", {"api_token": "shippo_test_published"}, {"poll_interval_s": 0})
        async with ShippoAdapter(config, transport=carrier.transport) as adapter:
            return await adapter.book(shipment_request("CT-2-cd34ef56", service="USPS:usps_priority"), "key")

    return asyncio.run(book())


@pytest.mark.parametrize("zone", ZONES)
def test_shippo_published_eta_is_by_the_end_of_that_day_in_the_shops_zone(store, zone):
    """Planted bug caught: the old parse_time reading "2026-03-04T00:00:00Z" as a moment (03-03 16:00 in Los Angeles)."""
    booking = _shippo_booking()
    assert booking.delivery_day == date(2026, 3, 4) and booking.estimated_delivery is None
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES ('shop.timezone', ?)", (zone,))
        eta = booking_eta(conn, booking)
    assert eta == end_of("2026-03-04", zone)
    assert eta.astimezone(ZoneInfo(zone)).date() == date(2026, 3, 4)


@pytest.mark.parametrize("zone", ZONES)
def test_easypost_tracker_and_rate_dates_at_midnight_z_stay_on_their_day(store, zone):
    """EasyPost's published shipment with its tracker's `est_delivery_date` and a rate's `delivery_date` set to a
    midnight "Z" (the published recording has them null). Planted bugs caught: the old parse_time (a day early
    west of UTC), and the end of the day taken in UTC instead of the shop's zone."""
    bought = payload("easypost", "shipment_buy")
    bought["tracker"]["est_delivery_date"] = "2026-03-04T00:00:00Z"
    created = payload("easypost", "shipment_create")
    created["rates"][0]["delivery_date"] = "2026-03-04T00:00:00Z"
    carrier = PublishedCarrier({"POST /shipments": (201, created), f"POST /shipments/{created['id']}/buy": (200, bought)})

    async def run():
        async with EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZTK_published"}), transport=carrier.transport) as ep:
            return (await ep.quote(shipment_request()),
                    await ep.book(shipment_request("CT-1-ab12cd34", service="USPS:GroundAdvantage"), "key"))

    quotes, booking = asyncio.run(run())
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES ('shop.timezone', ?)", (zone,))
        assert booking_eta(conn, booking) == end_of("2026-03-04", zone)
    rows = compare(make_order("D1"), [CarrierAnswer("easypost", "EasyPost", CarrierKind.PARCEL, tuple(quotes))],
                   shop_settings(timezone=zone), datetime.fromisoformat("2026-03-02T16:46:20+00:00"))
    dated = next(r for r in rows if r.quote.external_id.endswith(created["rates"][0]["id"]))
    assert dated.estimated_delivery == end_of("2026-03-04", zone)
    assert dated.detail == ""  # the carrier's own day, not an estimate from days in transit


def test_the_recorded_booking_keeps_the_day_in_los_angeles(store):
    """Through the engine's own step that stores a booking. Planted bug caught: storing `booking.estimated_delivery`
    as it comes (no ETA at all for a date-only estimate)."""
    from types import SimpleNamespace

    from controltower.domain import Shipment, ShipmentStatus
    from controltower.store.orders import upsert_orders
    from controltower.store.shipments import create_shipment, get_shipment
    from controltower.sync.engine import _record_booking

    booking = _shippo_booking()
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES ('shop.timezone', 'America/Los_Angeles')")
        order_id = upsert_orders(conn, [make_order("D2")]).ids["D2"]
        shipment_id = create_shipment(conn, Shipment(order_id, "shippo", ShipmentStatus.QUOTED))
        _record_booking(conn, SimpleNamespace(id=0, shipment_id=shipment_id, carrier="shippo"), booking)
        assert get_shipment(conn, shipment_id).eta == end_of("2026-03-04", "America/Los_Angeles")
