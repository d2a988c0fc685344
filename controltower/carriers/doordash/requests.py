"""Our ShipmentRequest -> DoorDash Drive v2 JSON bodies (one-line addresses, E.164 phones, cents)."""
from __future__ import annotations

import re

from ..base import ShipmentRequest
from ..units import rfc3339

_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9\-._~]")


def external_delivery_id(our_reference: str) -> str:
    """Our reference in DoorDash's allowed characters: it is the delivery's key in every later call."""
    return _NOT_ALLOWED.sub("-", our_reference)


def delivery(request: ShipmentRequest) -> dict:
    """The body for POST /quotes and POST /deliveries (the same shape)."""
    body = {
        "external_delivery_id": external_delivery_id(request.our_reference),
        "pickup_address": request.pickup.one_line(),
        "pickup_business_name": request.pickup_contact.company or request.pickup_contact.name,
        "pickup_phone_number": request.pickup_contact.phone,
        "dropoff_address": request.dropoff.one_line(),
        "dropoff_contact_given_name": request.dropoff_contact.name,
        "dropoff_phone_number": request.dropoff_contact.phone,
        "order_value": request.value.amount_minor,
        "currency": request.value.currency,
        "action_if_undeliverable": "return_to_pickup",
        "dropoff_options": {"proof_of_delivery": "photo_required"},
    }
    if request.dropoff_instructions:
        body["dropoff_instructions"] = request.dropoff_instructions
    if request.ready_at:
        body["pickup_time"] = rfc3339(request.ready_at)
    if request.dropoff_location:
        body["dropoff_location"] = {"lat": request.dropoff_location.lat, "lng": request.dropoff_location.lon}
    return body
