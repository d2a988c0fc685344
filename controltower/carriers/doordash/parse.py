"""DoorDash Drive's JSON -> our Quotes, Bookings, TrackingEvents and typed errors."""
from __future__ import annotations

from datetime import datetime, timedelta

from ...domain import Quote, ShipmentStatus, TrackingEvent
from ..base import BadAddress, Booking, CarrierError, ProofOfDelivery, ServiceUnavailable
from ..http import ErrorInfo
from ..status import map_status
from ..units import minor_money, parse_time

CODE = "doordash"
S = ShipmentStatus
QUOTE_LIFETIME = timedelta(minutes=5)  # a quote must be accepted within five minutes

# delivery_status: DoorDash's documented list, plus `quote` and the return legs of the API enum.
STATUS_MAP: dict[str, ShipmentStatus] = {
    "quote": S.QUOTED,
    "created": S.BOOKED,  # waiting for a Dasher (recurs if a Dasher unassigns)
    "confirmed": S.BOOKED,  # Dasher assigned
    "enroute_to_pickup": S.BOOKED,
    "arrived_at_pickup": S.BOOKED,
    "picked_up": S.PICKED_UP,
    "enroute_to_dropoff": S.OUT_FOR_DELIVERY,
    "arrived_at_dropoff": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "cancelled": S.CANCELLED,
    "enroute_to_return": S.RETURNING,
    "arrived_at_return": S.RETURNING,
    "returned": S.RETURNED,
}


def error_info(body) -> ErrorInfo:
    """{"code": "validation_error", "message": ..., "field_errors": [{"field", "error"}]}"""
    if not isinstance(body, dict):
        return ErrorInfo(str(body)[:500] if body else "")
    message = str(body.get("message", ""))
    fields = [f"{f.get('field')}: {f.get('error')}" for f in body.get("field_errors") or [] if isinstance(f, dict)]
    if fields:
        message = f"{message} ({'; '.join(fields)})"
    return ErrorInfo(message, str(body.get("code", "")))


def classify(status: int, info: ErrorInfo) -> type[CarrierError] | None:
    if status in (400, 422) and "address" in info.message.lower():
        return BadAddress
    if status == 422:
        return ServiceUnavailable  # e.g. outside DoorDash's coverage
    return None


def quote(body: dict, now: datetime, carrier: str = CODE) -> Quote:
    return Quote(
        carrier=carrier, service="on_demand", price=minor_money(body["fee"], body.get("currency")),
        estimated_pickup=parse_time(body.get("pickup_time_estimated")),
        estimated_delivery=parse_time(body.get("dropoff_time_estimated")),
        expires_at=now + QUOTE_LIFETIME, external_id=body["external_delivery_id"],
    )


def booking(delivery: dict, our_reference: str, carrier: str = CODE) -> Booking:
    status = delivery["delivery_status"]
    return Booking(
        carrier=carrier, our_reference=our_reference, external_id=delivery["external_delivery_id"],
        tracking_number=delivery.get("support_reference") or delivery["external_delivery_id"], service="on_demand",
        cost=minor_money(delivery["fee"], delivery.get("currency")) if delivery.get("fee") is not None else None,
        status=map_status(STATUS_MAP, status, CODE), tracking_url=delivery.get("tracking_url") or "",
        estimated_pickup=parse_time(delivery.get("pickup_time_estimated")),
        estimated_delivery=parse_time(delivery.get("dropoff_time_estimated")), raw_status=status,
    )


def _event_time(delivery: dict, status: str, now: datetime) -> datetime:
    if status in ("delivered", "returned"):
        actual = parse_time(delivery.get("dropoff_time_actual"))
    elif status == "picked_up":
        actual = parse_time(delivery.get("pickup_time_actual"))
    else:
        actual = None
    return actual or parse_time(delivery.get("updated_at")) or now


def tracking_event(delivery: dict, now: datetime, carrier: str = CODE) -> TrackingEvent:
    """DoorDash gives the current status only: one event per status reached."""
    status = delivery["delivery_status"]
    location = delivery.get("dasher_location") or {}
    reason = delivery.get("cancellation_reason") or ""
    return TrackingEvent(
        carrier=carrier, tracking_number=delivery["external_delivery_id"], status=map_status(STATUS_MAP, status, CODE),
        event_time=_event_time(delivery, status, now), raw_code=status,
        raw_text=f"cancelled: {reason}" if reason else (f"Dasher {delivery['dasher_name']}" if delivery.get("dasher_name") else ""),
        carrier_event_id=f"{delivery['external_delivery_id']}:{status}", lat=location.get("lat"), lon=location.get("lng"),
    )


def proof(delivery: dict) -> ProofOfDelivery | None:
    url = delivery.get("dropoff_verification_image_url") or delivery.get("dropoff_signature_image_url")
    if not url:
        return None
    kind = "picture" if delivery.get("dropoff_verification_image_url") else "signature"
    return ProofOfDelivery(kind=kind, url=url)
