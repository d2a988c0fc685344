"""karrio's unified results -> our Quotes, Bookings, TrackingEvents; karrio messages -> typed errors."""
from __future__ import annotations

import base64

from ...domain import Money, Quote, ShipmentStatus, TrackingEvent
from ..base import (
    AuthFailed, BadAddress, Booking, CarrierDown, CarrierError, Label, MalformedResponse, RateLimited, ServiceUnavailable,
)
from ..status import map_status
from ..units import parse_time

S = ShipmentStatus

# karrio's unified TrackingStatus (karrio.core.units.TrackingStatus): every carrier's codes arrive as these.
STATUS_MAP: dict[str, ShipmentStatus] = {
    "pending": S.BOOKED,
    "picked_up": S.PICKED_UP,
    "on_hold": S.EXCEPTION,
    "cancelled": S.CANCELLED,
    "delivered": S.DELIVERED,
    "in_transit": S.IN_TRANSIT,
    "delivery_failed": S.FAILED_ATTEMPT,
    "delivery_delayed": S.IN_TRANSIT,  # a delay is not a place: ETA rules flag lateness
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "ready_for_pickup": S.FAILED_ATTEMPT,  # waiting at a carrier location: the customer must act
    "return_to_sender": S.RETURNING,
    "unknown": S.BOOKED,  # history only
}

_AUTH_WORDS = ("auth", "token", "credential", "unauthorized", "license", "invalid_client", "forbidden", "clientid",
               "client id", "client_id", "invalid client")
_DOWN_WORDS = ("server error", "unavailable", "temporarily", "try again later", "timed out")


def error_for(code: str, messages: list) -> CarrierError:
    """The typed error for karrio's error messages (karrio hides HTTP statuses; words are what is left)."""
    text = "; ".join(f"{m.code or ''} {m.message or ''}".strip() for m in messages) or "no answer we could read"
    lowered = text.lower()
    if any(m.code == "SHIPPING_SDK_INTERNAL_ERROR" for m in messages):  # karrio could not read the answer
        cls = MalformedResponse
    elif any(word in lowered for word in _AUTH_WORDS):
        cls = AuthFailed
    elif "address" in lowered or "postal" in lowered:
        cls = BadAddress
    elif "rate limit" in lowered or "too many" in lowered:
        cls = RateLimited
    elif any(word in lowered for word in _DOWN_WORDS):
        cls = CarrierDown
    elif messages:
        cls = ServiceUnavailable
    else:
        cls = MalformedResponse
    return cls(code, f"{code} said: {text}", carrier_message=text, code=str(messages[0].code or "") if messages else "")


def errors_only(messages: list) -> list:
    return [m for m in messages if (m.level or "error") == "error"]


def quotes(code: str, rates: list) -> list[Quote]:
    result = [
        Quote(carrier=code, service=rate.service, price=Money.parse(str(rate.total_charge), rate.currency or "USD"),
              estimated_delivery=parse_time(rate.estimated_delivery) if rate.estimated_delivery else None)
        for rate in rates
    ]
    return sorted(result, key=lambda q: q.price.amount_minor)


def booking(code: str, details, our_reference: str, service: str) -> Booking:
    label_data = (details.docs.label if details.docs else None) or ""
    rate = details.selected_rate
    return Booking(
        carrier=code, our_reference=our_reference, external_id=f"{details.shipment_identifier}|{details.tracking_number}",
        tracking_number=details.tracking_number, service=service,
        cost=Money.parse(str(rate.total_charge), rate.currency or "USD") if rate and rate.total_charge else None,
        label=Label(details.label_type or "PDF", data=base64.b64decode(label_data)) if label_data else None,
        tracking_url=(details.meta or {}).get("tracking_url", "") if isinstance(details.meta, dict) else "",
    )


def split_ref(tracking_ref: str) -> tuple[str, str]:
    """Our ref is "shipment_identifier|tracking_number"; a bare tracking number works for tracking too."""
    identifier, _, number = tracking_ref.partition("|")
    return identifier, number or identifier


def tracking_events(code: str, details: list) -> list[TrackingEvent]:
    events = []
    for detail in details:
        for event in detail.events or []:
            when = parse_time(event.timestamp) or parse_time(f"{event.date}T00:00:00")
            if when is None:
                raise ValueError(f"karrio event without a date: {event}")
            raw_status = event.status or "unknown"
            events.append(TrackingEvent(
                carrier=code, tracking_number=detail.tracking_number, status=map_status(STATUS_MAP, raw_status, code),
                event_time=when, raw_code=f"{event.code or ''}/{raw_status}", raw_text=event.description or "",
                location=event.location or "",
            ))
    return sorted(events, key=lambda e: e.event_time)
