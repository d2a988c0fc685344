"""Confirm to carrier and back: the dispatch goes through the sync engine to the sandbox couriers, once, however often it is confirmed."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from controltower.demo.sandbox import SandboxNetwork
from controltower.demo.sandbox.adapters import sandbox_adapters
from controltower.dispatch.booking import ALREADY, QUEUED
from controltower.dispatch.policy import Preferences, save_preferences
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import save_settings
from controltower.domain import ShipmentStatus, TimeWindow, utcnow
from controltower.store.shipments import get_shipment
from controltower.sync import SyncEngine, SyncPolicy
from controltower.sync.backoff import Backoff

from .conftest import FAR, NEAR, add_orders, make_order

FAST = SyncPolicy(backoff=Backoff(base_s=0.05, cap_s=0.4), tick_s=0.05, flush_s=0.05, track=False, offline_after=2)


def test_confirmed_twice_booked_once_at_the_courier(store, shop):
    save_settings(store, replace(shop, quote_timeout_s=3.0))
    save_preferences(store, Preferences(excluded_carriers=frozenset({"own_fleet"})))  # the vans are off today
    now = utcnow()
    promise = TimeWindow(now, now + timedelta(hours=6))
    add_orders(store, *[make_order(f"E{n}", where, window=promise, created=now) for n, where in enumerate((FAR, NEAR, FAR))])
    with SandboxNetwork(seed=6) as network:
        async def dispatch_and_send():
            adapters = sandbox_adapters(network.base_url, timeout_s=3.0)
            service = DispatchService(store, adapters=lambda: list(adapters.values()))
            plan = await service.plan_day()
            first = await asyncio.to_thread(service.confirm, plan.allocation.chosen.values())
            engine = SyncEngine(store, adapters, policy=FAST, seed=1)
            engine.start()
            try:
                await engine.run_until_idle()
                second = await asyncio.to_thread(service.confirm, plan.allocation.chosen.values())
                await engine.run_until_idle()
            finally:
                await engine.stop()
                for adapter in adapters.values():
                    await adapter.aclose()
            return first, second

        first, second = asyncio.run(dispatch_and_send())
        bookings = network.bookings()
    assert [line.outcome for line in first.lines] == [QUEUED] * 3
    assert [line.outcome for line in second.lines] == [ALREADY] * 3
    assert len(bookings) == 3  # the couriers saw each order once
    for line in first.lines:
        shipment = get_shipment(store.conn, line.shipment_id)
        assert shipment.status is ShipmentStatus.BOOKED and shipment.external_id in {b["id"] for b in bookings}
        assert line.carrier.startswith("sandbox:")
