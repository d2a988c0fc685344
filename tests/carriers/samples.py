"""Sample shipment requests the carrier tests share."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from controltower.carriers.base import Contact, Parcel, ShipmentRequest
from controltower.domain import Money
from controltower.domain.models import Address, GeoPoint

SHOP = Address("417 Montgomery St", "San Francisco", "94104", "US", region="CA")
CUSTOMER = Address("1455 Market St", "San Francisco", "94103", "US", line2="Apt 5", region="CA")
NOWHERE = Address("1 Nowhere Rd", "Atlantis", "00000", "US", region="CA")
READY = datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)


def shipment_request(reference: str = "CT-1001-1", *, dropoff: Address = CUSTOMER, **changes) -> ShipmentRequest:
    values = dict(
        our_reference=reference, order_ref="1001", pickup=SHOP, pickup_contact=Contact("Corner Shop", "+14155550100"),
        dropoff=dropoff, dropoff_contact=Contact("Ada Lovelace", "+14155550199", "ada@example.com"),
        parcels=(Parcel(1200, 30, 20, 10, "Books", Money(4500)),), ready_at=READY,
        deliver_by=READY + timedelta(hours=3), value=Money(4500),
        pickup_location=GeoPoint(37.7936, -122.4034), dropoff_location=GeoPoint(37.7749, -122.4194),
    )
    values.update(changes)
    return ShipmentRequest(**values)
