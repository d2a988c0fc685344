"""Shippo's tracking `eta` becomes the shipment's ETA (issue 18): the published track's `eta` (a midnight "Z", so a
day) is by the end of that day in the shop's zone, and a newer estimate on a later poll replaces it."""
from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from controltower.carriers.base import AdapterConfig
from controltower.carriers.shippo import parse
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.domain import Shipment, ShipmentStatus
from controltower.kernel.events import EventHub
from controltower.store.shipments import create_shipment, get_shipment
from controltower.sync import SyncEngine
from tests.carriers.published import PublishedCarrier, payload

from .helpers import FAST

pytestmark = pytest.mark.anyio
TRACKING = dataclasses.replace(FAST, track=True, cadence_scale=1000, sweep_s=0.05)
REF = "txn_70f:usps:9205590164917312751089"


def test_the_tracks_eta_rides_on_its_newest_event():
    events = parse.tracking_events(payload("shippo", "track"))
    newest = max(events, key=lambda e: e.event_time)
    assert (newest.eta, newest.eta_day) == (None, date(2026, 3, 4))
    assert all(e.eta_day is None for e in events if e is not newest)
    timed = dict(payload("shippo", "track"), eta="2026-03-05T17:30:00-08:00")
    assert max(parse.tracking_events(timed), key=lambda e: e.event_time).eta == datetime(2026, 3, 6, 1, 30, tzinfo=ZoneInfo("UTC"))


async def test_a_tracking_poll_sets_the_shipments_eta(store, order_ids):
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(order_ids[0], "shippo", ShipmentStatus.BOOKED,
                                                     tracking_number="9205590164917312751089", external_id=REF))
    moving = copy.deepcopy(payload("shippo", "track"))  # on its way: the published track before its delivery
    moving["tracking_history"] = moving["tracking_history"][:2]
    moving["tracking_status"] = dict(moving["tracking_history"][1], object_id="ts_9f0")
    later = dict(copy.deepcopy(moving), eta="2026-03-05T00:00:00Z")  # the carrier moved its estimate a day on
    carrier = PublishedCarrier({"GET /tracks/usps/9205590164917312751089": [(200, moving), (200, later)]})
    config = AdapterConfig("shippo", {"api_token": "shippo_test_published"}, {"poll_interval_s": 0})
    async with ShippoAdapter(config, transport=carrier.transport) as adapter:
        engine = SyncEngine(store, {"shippo": adapter}, EventHub(), TRACKING, seed=1)
        engine.start()
        try:
            await engine.tracking.refresh_all()
            first = get_shipment(store.conn, shipment_id).eta
            await engine.tracking.refresh_all()
            second = get_shipment(store.conn, shipment_id).eta
        finally:
            await engine.stop()
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert first == datetime(2026, 3, 4, 23, 59, 59, tzinfo=los_angeles)
    assert second == datetime(2026, 3, 5, 23, 59, 59, tzinfo=los_angeles)
