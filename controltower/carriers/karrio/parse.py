"""karrio's unified results -> our Quotes, Bookings, TrackingEvents; karrio messages -> typed errors."""
from __future__ import annotations

import base64
from dataclasses import replace
from datetime import tzinfo

from ...domain import Money, Quote, ShipmentStatus, TrackingEvent
from ..base import (
    AuthFailed, BadAddress, Booking, CarrierDown, CarrierError, Label, MalformedResponse, RateLimited, RequestRejected,
    ServiceUnavailable,
)
from ..local_time import wall_clock, zone_of_text
from ..status import map_status
from ..units import parse_estimate, parse_time

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
_SERVICE_WORDS = ("service", "no rates", "not offered", "not available for")
# Codes from the carriers' own publications (karrio's recorded UPS/USPS answers): the code decides before any word.
_CODES: dict[str, type[CarrierError]] = {
    "250001": AuthFailed, "250002": AuthFailed, "250003": AuthFailed,  # UPS: invalid access license / authentication
    "invalid_client": AuthFailed, "invalid_grant": AuthFailed, "unauthorized_client": AuthFailed,  # USPS OAuth (RFC 6749)
    "TV1002": RequestRejected,  # UPS: invalid inquiry number
}


def _field(message) -> str:
    """The field a karrio message names (USPS error.errors[].source.parameter, or a `field` detail), if any."""
    details = message.details if isinstance(getattr(message, "details", None), dict) else {}
    source = details.get("source") if isinstance(details.get("source"), dict) else {}
    return str(source.get("parameter") or source.get("pointer") or details.get("field") or "")


def _text(message) -> str:
    text = f"{message.code or ''} {message.message or ''}".strip()
    field = _field(message)
    return f"{text} (field: {field})" if field else text


def error_for(code: str, messages: list) -> CarrierError:
    """The typed error for karrio's error messages: by the carrier's code where it is known, else by its words
    (karrio hides HTTP statuses). The field a message names is kept in the text."""
    text = "; ".join(_text(m) for m in messages) or "no answer we could read"
    lowered = text.lower()
    known = next((_CODES[str(m.code)] for m in messages if str(m.code) in _CODES), None)
    if any(m.code == "SHIPPING_SDK_INTERNAL_ERROR" for m in messages):  # karrio could not read the answer
        cls = MalformedResponse
    elif known is not None:
        cls = known
    elif any(word in lowered for word in _AUTH_WORDS):
        cls = AuthFailed
    elif "address" in lowered or "postal" in lowered or "zip" in lowered:
        cls = BadAddress
    elif "rate limit" in lowered or "too many" in lowered:
        cls = RateLimited
    elif any(word in lowered for word in _DOWN_WORDS):
        cls = CarrierDown
    elif any(word in lowered for word in _SERVICE_WORDS):
        cls = ServiceUnavailable
    elif messages:
        cls = RequestRejected  # the carrier refused what we sent: another carrier would not fix it
    else:
        cls = MalformedResponse
    return cls(code, f"{code} said: {text}", carrier_message=text, code=str(messages[0].code or "") if messages else "")


def errors_only(messages: list) -> list:
    return [m for m in messages if (m.level or "error") == "error"]


def quotes(code: str, rates: list) -> list[Quote]:
    """karrio's rates as Quotes; UPS and USPS give days in transit (karrio's transit_days) more often than a date."""
    result = []
    for rate in rates:
        moment, day = parse_estimate(rate.estimated_delivery) if rate.estimated_delivery else (None, None)
        result.append(Quote(carrier=code, service=rate.service,
                            price=Money.parse(str(rate.total_charge), rate.currency or "USD"),
                            estimated_delivery=moment, delivery_day=day, transit_days=rate.transit_days))
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


def tracking_events(code: str, details: list, local_zone: tzinfo | None = None) -> list[TrackingEvent]:
    """karrio's events as ours. karrio builds `timestamp` from the carrier's local date and time and labels it "Z"
    (UPS activity date/time, USPS eventTimestamp; USPS's GMTTimestamp is dropped): it is read as the clock where
    the event happened (the state in its location), else in `local_zone` (the shop's)."""
    events = []
    for detail in details:
        parcel = []
        for event in detail.events or []:
            zone = zone_of_text(event.location) or local_zone
            when = wall_clock(event.timestamp, zone) or wall_clock(f"{event.date}T00:00:00", zone)
            if when is None:
                raise ValueError(f"karrio event without a date: {event}")
            raw_status = event.status or "unknown"
            parcel.append(TrackingEvent(
                carrier=code, tracking_number=detail.tracking_number, status=map_status(STATUS_MAP, raw_status, code),
                event_time=when, raw_code=f"{event.code or ''}/{raw_status}", raw_text=event.description or "",
                location=event.location or "",
            ))
        # The carrier's current estimate (UPS deliveryDate DEL, a day) rides on the parcel's newest event.
        eta, eta_day = parse_estimate(detail.estimated_delivery) if detail.estimated_delivery else (None, None)
        if parcel and (eta or eta_day):
            newest = max(range(len(parcel)), key=lambda i: parcel[i].event_time)
            parcel[newest] = replace(parcel[newest], eta=eta, eta_day=eta_day)
        events.extend(parcel)
    return sorted(events, key=lambda e: e.event_time)
