"""A small shop in New York with one zone, two vans and a depot, for the dispatch tests."""
from __future__ import annotations

from datetime import datetime

import asyncio
from datetime import timedelta

import pytest

from controltower.carriers.base import AdapterConfig, Capability, CarrierAdapter

from controltower.dispatch.settings import ShopSettings, Zone, save_settings
from controltower.domain import UTC, Address, CarrierKind, DeliveryOption, GeoPoint, Money, Order, Quote, TimeWindow
from controltower.store.orders import upsert_orders

SHOP = (40.7410, -73.9897)  # Flatiron, Manhattan
NEAR = (40.7527, -73.9772)  # Grand Central, ~1.7 km
FAR = (40.6413, -73.7781)  # JFK, ~21 km


def shop_settings(**changes) -> ShopSettings:
    base = ShopSettings(
        shop_name="Corner Books", shop_street="200 5th Ave", shop_city="New York", shop_postcode="10010",
        shop_phone="+12125550100", timezone="America/New_York", shop_lat=SHOP[0], shop_lon=SHOP[1],
        zones=(Zone("Manhattan core", radius_km=6.0), Zone("Brooklyn north", postcodes=("112*",), surcharge_minor=200)),
    )
    from dataclasses import replace

    return replace(base, **changes)


def local(text: str) -> datetime:
    """A New York wall-clock time as an aware moment."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York"))


def make_order(ref: str, where=NEAR, *, option=DeliveryOption.SAME_DAY, window=None, parcels=1, value=4000,
               created=None) -> Order:
    created = created or local("2026-11-25T09:00")
    return Order(ref, f"Customer {ref}", Address("1 Main St", "New York", "10017"), option, created.astimezone(UTC),
                 phone="+12125550123", email=f"{ref.lower()}@example.com",
                 location=GeoPoint(*where) if where else None, promised_window=window, parcels=parcels,
                 weight_g=1200 * parcels, value=Money(value))


@pytest.fixture
def shop(store):
    settings = shop_settings()
    save_settings(store, settings)
    with store.transaction() as conn:
        conn.execute("INSERT INTO depots(id, name, lat, lon) VALUES (1, 'Shop', ?, ?)", SHOP)
        conn.execute("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, depot_id) "
                     "VALUES (1, 'Van 1', 40, 500000, '09:00', '18:00', 1)")
        conn.execute("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, depot_id) "
                     "VALUES (2, 'Van 2', 40, 500000, '09:00', '18:00', 1)")
    return settings


def add_orders(store, *orders: Order) -> dict[str, int]:
    with store.transaction() as conn:
        return upsert_orders(conn, orders).ids


def window(start: str, end: str) -> TimeWindow:
    return TimeWindow(local(start).astimezone(UTC), local(end).astimezone(UTC))


class QuotingCarrier(CarrierAdapter):
    """A carrier that answers after `delay` seconds with fixed prices, or fails the way it is told to."""

    name = "Quick Parcel"
    kind = CarrierKind.PARCEL
    capabilities = frozenset({Capability.QUOTE})

    def __init__(self, code: str | AdapterConfig, prices: dict[str, int] | None = None, delay: float = 0.0,
                 error: Exception | None = None, eta_hours: float = 3, name: str = "", kind: CarrierKind | None = None) -> None:
        super().__init__(code if isinstance(code, AdapterConfig) else AdapterConfig(code))
        self.name = name or self.config.settings.get("name", type(self).name)
        self.kind = kind or type(self).kind
        prices = prices if prices is not None else dict(self.config.settings.get("prices", {}))
        self.prices, self.delay, self.error, self.eta_hours = prices, delay, error, eta_hours

    async def quote(self, request):
        await asyncio.sleep(self.delay)
        if self.error:
            raise self.error
        eta = local("2026-11-25T10:00") + timedelta(hours=self.eta_hours)
        return [Quote(self.config.code, service, Money(price), estimated_delivery=eta.astimezone(UTC),
                      expires_at=local("2026-11-25T10:15").astimezone(UTC)) for service, price in self.prices.items()]
