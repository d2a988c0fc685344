"""ShipmentRequest to JSON and back, so an outbox entry holds everything needed to resend its write."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from ..carriers.base import Contact, Parcel, ShipmentRequest
from ..domain import Money
from ..domain.models import Address, GeoPoint, GeoPrecision
from ..domain.timeutil import from_iso, to_iso


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def request_to_json(request: ShipmentRequest) -> dict:
    return _plain(request)


def _money(value: dict | None) -> Money | None:
    return None if value is None else Money(int(value["amount_minor"]), value["currency"])


def _geo(value: dict | None) -> GeoPoint | None:
    if value is None:
        return None
    return GeoPoint(value["lat"], value["lon"], GeoPrecision(value.get("precision", "rooftop")), value.get("confidence", 1.0))


def request_from_json(data: dict) -> ShipmentRequest:
    parcels = tuple(Parcel(**{**p, "value": _money(p.get("value"))}) for p in data["parcels"])
    return ShipmentRequest(
        our_reference=data["our_reference"], order_ref=data["order_ref"],
        pickup=Address(**data["pickup"]), pickup_contact=Contact(**data["pickup_contact"]),
        dropoff=Address(**data["dropoff"]), dropoff_contact=Contact(**data["dropoff_contact"]),
        parcels=parcels, ready_at=from_iso(data.get("ready_at")), deliver_by=from_iso(data.get("deliver_by")),
        value=_money(data.get("value")) or Money(0), service=data.get("service", ""), quote_id=data.get("quote_id", ""),
        pickup_location=_geo(data.get("pickup_location")), dropoff_location=_geo(data.get("dropoff_location")),
        dropoff_instructions=data.get("dropoff_instructions", ""), is_return=bool(data.get("is_return", False)),
    )
