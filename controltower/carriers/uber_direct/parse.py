"""Uber Direct's JSON -> our Quotes, Bookings, TrackingEvents and typed errors."""
from __future__ import annotations

import base64

from ...domain import Quote, ShipmentStatus, TrackingEvent
from ..base import (
    AuthFailed, BadAddress, Booking, BookingNotFound, CancelResult, CarrierDown, CarrierError, RateLimited,
    RequestRejected, ServiceUnavailable,
)
from ..http import ErrorInfo
from ..status import map_status
from ..units import minor_money, parse_time

CODE = "uber_direct"
S = ShipmentStatus

# Delivery.status: Uber's full documented vocabulary ("ongoing" is a list filter, not a status).
STATUS_MAP: dict[str, ShipmentStatus] = {
    "pending": S.BOOKED,  # accepted, no courier yet
    "pickup": S.BOOKED,  # courier on the way to the shop
    "pickup_complete": S.PICKED_UP,
    "dropoff": S.OUT_FOR_DELIVERY,  # courier on the way to the customer
    "delivered": S.DELIVERED,
    "canceled": S.CANCELLED,
    "returned": S.RETURNING,  # undeliverable: a return delivery brings it back (RETURNED when that one is delivered)
}

# Uber's documented error codes -> our error types (HTTP status alone is not enough: 400 covers many).
ERROR_CODES: dict[str, type[CarrierError]] = {
    "address_undeliverable": BadAddress,
    "address_undeliverable_limited_couriers": BadAddress,
    "expired_quote": RequestRejected, "used_quote": RequestRejected, "mismatched_price_quote": RequestRejected,
    "missing_payment": AuthFailed, "customer_suspended": AuthFailed, "customer_blocked": AuthFailed,
    "customer_not_found": AuthFailed, "unauthorized": AuthFailed,
    "delivery_not_found": BookingNotFound,
    "customer_limited": RateLimited,
    # Temporary: no courier free right now. Retried later (on a create the HTTP layer makes any 5xx uncertain).
    "couriers_busy": CarrierDown, "robo_couriers_busy": CarrierDown,
    "service_unavailable": CarrierDown,
    "internal_server_error": CarrierDown,
}


# invalid_params names the wrong field in `metadata`: these are about where to go, not how we asked.
ADDRESS_FIELDS = frozenset({"pickup_address", "dropoff_address", "pickup_latitude", "pickup_longitude",
                            "dropoff_latitude", "dropoff_longitude"})
ADDRESS_DETAILS = ("geocod", "address", "location")  # Uber's free-text param_details for an address it cannot place


def error_info(body) -> ErrorInfo:
    """{"code": "invalid_params", "message": ..., "kind": "error", "metadata": {"dropoff_phone_number": "... not valid."}}

    The metadata says which field is wrong; it is kept in the message ("dropoff phone number is not valid")
    and its field names in `fields`, so the user sees what to fix and classify can tell an address from a phone.
    """
    if not isinstance(body, dict):
        return ErrorInfo(str(body)[:500] if body else "")
    message = str(body.get("message", ""))
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    details = {str(k): str(v) for k, v in metadata.items() if k != "delivery_id" and v}
    if details:
        message = f"{message} ({'; '.join(details.values())})"
    return ErrorInfo(message, str(body.get("code", "")), fields=tuple(details), detail="; ".join(details.values()))


def classify(status: int, info: ErrorInfo) -> type[CarrierError] | None:
    if info.code in ERROR_CODES:
        return ERROR_CODES[info.code]
    if info.code.startswith("invalid_params"):
        about_address = bool(ADDRESS_FIELDS & set(info.fields)) or (
            "param_details" in info.fields and any(word in info.detail.lower() for word in ADDRESS_DETAILS))
        return BadAddress if about_address else RequestRejected
    return None


def quote(body: dict, carrier: str = CODE) -> Quote:
    return Quote(
        carrier=carrier, service="on_demand", price=minor_money(body["fee"], body.get("currency_type")),
        estimated_delivery=parse_time(body.get("dropoff_eta")), expires_at=parse_time(body.get("expires")),
        external_id=body["id"],
    )


def booking(delivery: dict, our_reference: str, carrier: str = CODE) -> Booking:
    status = delivery["status"]
    return Booking(
        carrier=carrier, our_reference=delivery.get("external_id") or our_reference, external_id=delivery["id"],
        tracking_number=delivery["id"], service="on_demand",
        cost=minor_money(delivery["fee"], delivery.get("currency")) if delivery.get("fee") is not None else None,
        status=map_status(STATUS_MAP, status, CODE), tracking_url=delivery.get("tracking_url") or "",
        estimated_pickup=parse_time(delivery.get("pickup_eta")), estimated_delivery=parse_time(delivery.get("dropoff_eta")),
        raw_status=status,
    )


def tracking_event(delivery: dict, carrier: str = CODE) -> TrackingEvent:
    """Uber keeps no history: each poll gives the current status, one event per status reached."""
    status = delivery["status"]
    location = ((delivery.get("courier") or {}).get("location")) or {}
    when = parse_time(delivery.get("updated")) or parse_time(delivery.get("created"))
    if when is None:
        raise ValueError("delivery without an updated time")
    notes = []
    if delivery.get("courier_imminent"):
        notes.append("courier about a minute away")
    if delivery.get("undeliverable_reason"):
        notes.append(f"undeliverable: {delivery['undeliverable_reason']}")
    return TrackingEvent(
        carrier=carrier, tracking_number=delivery["id"], status=map_status(STATUS_MAP, status, CODE), event_time=when,
        raw_code=status, raw_text="; ".join(notes), carrier_event_id=f"{delivery['id']}:{status}",
        lat=location.get("lat"), lon=location.get("lng"),
    )


RETURN_RELATIONSHIPS = {"return", "returned"}  # the spec's enum says "return", its description "returned"


def return_delivery_id(delivery: dict) -> str:
    """The return leg's id. Uber's spec, SDK types and fixtures give `related_deliveries` as ONE object;
    a list is accepted too in case Uber ever sends several."""
    related = delivery.get("related_deliveries") or []
    for item in [related] if isinstance(related, dict) else related:
        if isinstance(item, dict) and item.get("relationship") in RETURN_RELATIONSHIPS and item.get("id") != delivery.get("id"):
            return item["id"]
    return ""


def proof_document(document: str) -> bytes:
    """The POD image; Uber's SDK fixture sends it as a data URL ("data:image/png;base64,…"), the spec as bare base64."""
    if document.startswith("data:"):
        document = document.partition(",")[2]
    return base64.b64decode(document, validate=True)


def returned_event(original: dict, return_delivery: dict, carrier: str = CODE) -> TrackingEvent | None:
    """The original shipment is RETURNED once its return delivery is delivered back to the shop."""
    if return_delivery.get("status") != "delivered":
        return None
    when = parse_time(return_delivery.get("updated"))
    return TrackingEvent(carrier=carrier, tracking_number=original["id"], status=S.RETURNED, event_time=when,
                         raw_code="returned/delivered", raw_text=f"return delivery {return_delivery['id']} delivered",
                         carrier_event_id=f"{return_delivery['id']}:delivered")


def cancel_result(delivery: dict) -> CancelResult:
    status = delivery.get("status", "")
    return CancelResult(external_id=delivery["id"], cancelled=status == "canceled", raw_status=status,
                        status=map_status(STATUS_MAP, status, CODE))
