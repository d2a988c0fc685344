"""Rate shopping against the sandbox courier network on 127.0.0.1, through the real Uber Direct adapter."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from controltower.demo.sandbox import Faults, SandboxNetwork
from controltower.demo.sandbox.adapters import sandbox_adapters
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import save_settings
from controltower.domain import UTC, TimeWindow, utcnow

from .conftest import NEAR, add_orders, make_order


def test_one_courier_hanging_and_one_failing_still_shows_the_third(store, shop):
    save_settings(store, replace(shop, quote_timeout_s=0.8))
    now = utcnow()
    promise = TimeWindow(now, now + timedelta(hours=8))
    order_id = add_orders(store, make_order("SB-1", NEAR, window=promise, created=now.astimezone(UTC)))["SB-1"]
    with SandboxNetwork(seed=4, faults=Faults(hang_s=3.0)) as network:
        network.faults.force("timeout", path_contains="/customers/pedal/delivery_quotes")
        network.faults.force("server_error", times=5, path_contains="/customers/metro/delivery_quotes")

        async def compare():
            adapters = list(sandbox_adapters(network.base_url, timeout_s=5.0).values())
            try:
                return await DispatchService(store, adapters=lambda: adapters).compare(order_id)
            finally:
                for adapter in adapters:
                    await adapter.aclose()

        comparison = asyncio.run(compare())
    rows = {row.carrier: row for row in comparison.rows}
    assert rows["sandbox:zippy"].usable and rows["sandbox:zippy"].price.amount_minor > 0
    assert rows["sandbox:zippy"].estimated_delivery is not None
    assert "zippy" in rows["sandbox:zippy"].name.lower()  # told apart from the other sandbox couriers
    assert rows["sandbox:pedal"].error == "no answer within 0.8 s"
    assert rows["sandbox:metro"].error and not rows["sandbox:metro"].usable
    assert comparison.decision.row is not None
