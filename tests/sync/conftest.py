"""Sync tests: asyncio through anyio's pytest plugin, a store with orders, shipment requests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from controltower.carriers.base import Contact, Parcel, ShipmentRequest
from controltower.domain import DeliveryOption, Money, Order
from controltower.domain.models import Address, GeoPoint
from controltower.store.orders import get_order_id, upsert_orders

SHOP = Address("1 Main St", "Springfield", "10001", "US", region="NY")


@pytest.fixture
def anyio_backend():
    return "asyncio"


def make_orders(db, count: int, prefix: str = "ORD") -> list[int]:
    orders = [Order(order_ref=f"{prefix}-{n}", customer_name=f"Customer {n}", address=Address(f"{n} Elm St", "Springfield", "10002"),
                    delivery_option=DeliveryOption.SAME_DAY, created_at=datetime(2026, 11, 25, 9, tzinfo=timezone.utc),
                    phone="+15555550101", value=Money(2500)) for n in range(count)]
    with db.transaction() as conn:
        upsert_orders(conn, orders)
        return [get_order_id(conn, o.order_ref) for o in orders]


def same_day_request(order_ref: str = "ORD-0", n: int = 0) -> ShipmentRequest:
    return ShipmentRequest(
        our_reference="set-by-enqueue", order_ref=order_ref, pickup=SHOP, pickup_contact=Contact("Corner Shop", "+15555550100"),
        dropoff=Address(f"{n} Elm St", "Springfield", "10002"), dropoff_contact=Contact(f"Customer {n}", "+15555550101"),
        parcels=(Parcel(1500, description="Groceries", value=Money(2500)),), value=Money(2500),
        pickup_location=GeoPoint(40.73, -73.99), dropoff_location=GeoPoint(40.75 + n % 7 * 0.004, -73.97),
    )


@pytest.fixture
def order_ids(store):
    return make_orders(store, 5)
