"""The shop's phone (issue 17): the setup assistant asks for it, phonenumbers checks it, the shop's settings keep it
in E.164, and it goes to the courier as the pickup phone (the sandbox couriers, like Uber Direct, refuse a pickup
without one)."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
import time_machine

from controltower.demo.sandbox import SandboxNetwork
from controltower.demo.sandbox.adapters import sandbox_adapters
from controltower.dispatch.policy import Preferences, save_preferences
from controltower.dispatch.service import DispatchService
from controltower.dispatch.settings import load_settings, save_settings
from controltower.domain import TimeWindow, utcnow
from controltower.kernel.errors import InputError
from controltower.services.setup import SetupService
from controltower.sync import SyncEngine, SyncPolicy
from controltower.sync.backoff import Backoff

from .conftest import FAR, add_orders, local, make_order

FAST = SyncPolicy(backoff=Backoff(base_s=0.05, cap_s=0.4), tick_s=0.05, flush_s=0.05, track=False, offline_after=2)


def _set_up(store, phone: str, country: str = "US") -> None:
    setup = SetupService(store)
    setup.save_shop(replace(setup.shop(), name="Corner Books", street="200 5th Ave", city="New York",
                            postcode="10010", country=country, lat=40.7411, lon=-73.9897,
                            timezone="America/New_York", phone=phone))


@pytest.mark.parametrize("typed, country, stored", [
    ("(212) 555-0188", "US", "+12125550188"),
    ("+1 212 555 0188", "US", "+12125550188"),
    ("040 1234567", "FI", "+358401234567"),
])
def test_the_phone_is_kept_in_e164_with_the_shops_settings(store, typed, country, stored):
    _set_up(store, typed, country)
    assert load_settings(store.reader()).shop_phone == stored
    assert SetupService(store).shop().phone == stored  # the assistant and Settings show it again


@pytest.mark.parametrize("typed, said", [
    ("", "The shop needs a phone number"),
    ("555", "is not a valid phone number for US"),
    ("call us", "is not a phone number"),
])
def test_a_missing_or_wrong_phone_is_refused_and_nothing_is_saved(store, typed, said):
    with pytest.raises(InputError, match=said):
        _set_up(store, typed)
    assert SetupService(store).shop().name == ""


@time_machine.travel(local("2026-11-25T10:00"), tick=True)
def test_the_courier_gets_the_shops_phone_as_the_pickup_phone(store, shop):
    save_settings(store, replace(shop, shop_phone="", quote_timeout_s=3.0))  # a shop set up before the phone was asked
    _set_up(store, "(212) 555-0188")
    save_preferences(store, Preferences(excluded_carriers=frozenset({"own_fleet"})))
    now = utcnow()
    add_orders(store, make_order("P1", FAR, window=TimeWindow(now, now + timedelta(hours=6)), created=now))
    with SandboxNetwork(seed=6) as network:
        async def dispatch_and_send():
            adapters = sandbox_adapters(network.base_url, timeout_s=3.0)
            service = DispatchService(store, adapters=lambda: list(adapters.values()))
            plan = await service.plan_day()
            await asyncio.to_thread(service.confirm, plan.allocation.chosen.values())
            engine = SyncEngine(store, adapters, policy=FAST, seed=1)
            engine.start()
            try:
                await engine.run_until_idle()
            finally:
                await engine.stop()
                for adapter in adapters.values():
                    await adapter.aclose()

        asyncio.run(dispatch_and_send())
        bookings = network.bookings()
    assert [b["pickup_phone_number"] for b in bookings] == ["+12125550188"], store.query("SELECT last_error FROM outbox")
