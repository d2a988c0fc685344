"""Carrier times that are local clocks labelled "Z" (issue 18, item 2), decided per carrier and field, from the
published payloads (tests/carriers/published/): EasyPost's tracking `datetime` is the clock at its
`tracking_location` (UTC when the location is empty, as EasyPost documents); Shippo's `status_date` is the clock
at its `location`, else the shop's; EasyPost's delivery estimate is the clock where the parcel arrives. A time
with a real offset is kept as written, and Uber Direct and DoorDash send real UTC (their tests are unchanged)."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from controltower.carriers.base import AdapterConfig
from controltower.carriers.easypost import parse as easypost_parse
from controltower.carriers.easypost.client import EasyPostAdapter
from controltower.carriers.local_time import wall_clock, zone_of_place, zone_of_text
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.sync.accounts import adapter_config

from .published import PublishedCarrier, payload

pytestmark = pytest.mark.anyio
UTC = timezone.utc


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def _easypost_events(shipment: dict):
    carrier = PublishedCarrier({"GET /shipments/shp_0a1b2c": (200, shipment)})
    async with EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZTK_published"}), transport=carrier.transport) as adapter:
        return await adapter.track("shp_0a1b2c")


async def _shippo_events(track: dict, shop_zone: str = ""):
    carrier = PublishedCarrier({"GET /tracks/usps/9205590164917312751089": (200, track)})
    config = AdapterConfig("shippo", {"api_token": "shippo_test_published"}, {"poll_interval_s": 0}, local_zone=shop_zone)
    async with ShippoAdapter(config, transport=carrier.transport) as adapter:
        return await adapter.track("txn_70f:usps:9205590164917312751089")


async def test_easypost_scan_time_is_the_clock_where_it_was_scanned():
    """The published tracker: the label scan in HOUSTON TX at "08:25:26Z" is 08:25 in Houston (CST), 14:25 UTC;
    the first detail has no location, so its time is UTC as EasyPost documents."""
    first, houston = await _easypost_events(payload("easypost", "shipment_tracked"))
    assert first.event_time == at(2026, 2, 6, 19, 48, 26)
    assert houston.event_time == at(2026, 2, 7, 14, 25, 26)


async def test_easypost_time_with_a_real_offset_is_kept():
    shipment = copy.deepcopy(payload("easypost", "shipment_tracked"))
    shipment["tracker"]["tracking_details"][1]["datetime"] = "2026-02-07T08:25:26-05:00"
    _, houston = await _easypost_events(shipment)
    assert houston.event_time == at(2026, 2, 7, 13, 25, 26)


async def test_shippo_scan_times_read_in_their_location_else_the_shops_zone():
    """The published track (Las Vegas NV, March before the clocks change): delivered at "15:31:56Z" is 15:31 in
    Las Vegas (PST), 23:31 UTC. The label entry has no location: in a Helsinki shop it is read as Helsinki's clock,
    with no shop zone as UTC."""
    events = {e.carrier_event_id: e.event_time for e in await _shippo_events(payload("shippo", "track"), "Europe/Helsinki")}
    assert events["ev_a2"] == at(2026, 3, 3, 17, 12)
    assert events["ev_a3"] == at(2026, 3, 4, 23, 31, 56)
    assert events["ev_a1"] == at(2026, 3, 2, 15, 0)  # 17:00 Helsinki (EET, +2)
    without_shop = {e.carrier_event_id: e.event_time for e in await _shippo_events(payload("shippo", "track"))}
    assert without_shop["ev_a1"] == at(2026, 3, 2, 17, 0)


async def test_shippo_berkeley_out_for_delivery_at_9_29_is_9_29_in_california():
    track = copy.deepcopy(payload("shippo", "track"))
    entry = track["tracking_history"][1]
    entry.update(status_date="2026-07-14T09:29:00Z", location={"city": "Berkeley", "state": "CA", "zip": "94704", "country": "US"})
    events = {e.carrier_event_id: e.event_time for e in await _shippo_events(track, "America/New_York")}
    assert events["ev_a2"].astimezone(zone_of_place("CA")).strftime("%H:%M") == "09:29"
    assert events["ev_a2"] == at(2026, 7, 14, 16, 29)  # PDT, -7


def test_easypost_first_overnight_estimate_is_08_30_where_it_arrives():
    """FedEx First Overnight by 08:30: est_delivery_date "…T08:30:00Z" to CHARLESTON SC is 08:30 there (EST);
    est_delivery_date_local / time_local say it outright; with no destination the shop's zone is the guess."""
    tracker = copy.deepcopy(payload("easypost", "shipment_tracked")["tracker"])
    tracker["est_delivery_date"] = "2026-03-06T08:30:00Z"
    assert easypost_parse.delivery_estimate(tracker) == (at(2026, 3, 6, 13, 30), None)
    tracker["carrier_detail"].update(est_delivery_date_local="2026-03-06", est_delivery_time_local="08:30:00",
                                     destination_location="LOS ANGELES CA, 90001")
    assert easypost_parse.delivery_estimate(tracker) == (at(2026, 3, 6, 16, 30), None)
    tracker["carrier_detail"].update(est_delivery_date_local=None, est_delivery_time_local=None, destination_location=None)
    assert easypost_parse.delivery_estimate(tracker, zone_of_place(country="FI")) == (at(2026, 3, 6, 6, 30), None)
    tracker["est_delivery_date"] = "2026-03-06T00:00:00Z"  # a day with no time stays a day
    assert easypost_parse.delivery_estimate(tracker, zone_of_place(country="FI")) == (None, datetime(2026, 3, 6).date())


def test_places_to_zones():
    assert str(zone_of_place("TX", "US")) == "America/Chicago"
    assert str(zone_of_place("bc", "Canada")) == "America/Vancouver"
    assert str(zone_of_place(None, "FI")) == "Europe/Helsinki"
    assert zone_of_place(None, "US") is None  # several zones and no state: no guess
    assert str(zone_of_text("CHARLESTON SC, 29401")) == "America/New_York"
    assert wall_clock("2026-01-10T10:00:00+01:00", zone_of_place("CA")) == at(2026, 1, 10, 9, 0)
    assert wall_clock("2026-01-10T10:00:00", zone_of_place("CA")) == at(2026, 1, 10, 18, 0)


def test_the_sync_gives_each_adapter_the_shops_zone(store):
    store.set_setting("shop.timezone", "America/Los_Angeles")
    assert adapter_config(store, "shippo").local_zone == "America/Los_Angeles"
    assert adapter_config(store, "easypost").local_zone == "America/Los_Angeles"
