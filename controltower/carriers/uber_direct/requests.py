"""Our ShipmentRequest -> Uber Direct's JSON bodies (addresses as JSON strings, money in cents, RFC 3339 times)."""
from __future__ import annotations

import json

from ...domain.models import Address
from ..base import ShipmentRequest
from ..units import rfc3339

# Uber's manifest sizes by what a courier can carry; chosen from weight (Uber does not take grams).
_SIZES = ((2000, "small"), (10000, "medium"), (20000, "large"))


def address(place: Address) -> str:
    """Uber wants the address as a JSON-encoded string, not an object."""
    street = [line for line in (place.street, place.line2) if line]
    return json.dumps({"street_address": street, "city": place.city, "state": place.region,
                       "zip_code": place.postcode, "country": place.country})


def size_for(weight_g: int) -> str:
    return next((size for limit, size in _SIZES if weight_g <= limit), "xlarge")


def _places(request: ShipmentRequest) -> dict:
    body = {
        "pickup_address": address(request.pickup), "dropoff_address": address(request.dropoff),
        "pickup_phone_number": request.pickup_contact.phone, "dropoff_phone_number": request.dropoff_contact.phone,
        "manifest_total_value": request.value.amount_minor,
    }
    if request.pickup_location:
        body.update(pickup_latitude=request.pickup_location.lat, pickup_longitude=request.pickup_location.lon)
    if request.dropoff_location:
        body.update(dropoff_latitude=request.dropoff_location.lat, dropoff_longitude=request.dropoff_location.lon)
    if request.ready_at:
        body["pickup_ready_dt"] = rfc3339(request.ready_at)
    if request.deliver_by:
        body["dropoff_deadline_dt"] = rfc3339(request.deliver_by)
    return body


def quote(request: ShipmentRequest) -> dict:
    return _places(request)


def delivery(request: ShipmentRequest, idempotency_key: str) -> dict:
    body = _places(request)
    body.update({
        "pickup_name": request.pickup_contact.company or request.pickup_contact.name,
        "dropoff_name": request.dropoff_contact.name,
        "manifest_items": [
            {"name": p.description, "quantity": p.quantity, "size": size_for(p.weight_g),
             "price": p.value.amount_minor if p.value else 0, "weight": p.weight_g}
            for p in request.parcels
        ],
        "manifest_reference": request.order_ref,
        "external_id": request.our_reference,  # found again by our reference when listing deliveries
        "idempotency_key": idempotency_key,
        "undeliverable_action": "return",
    })
    if request.quote_id:
        body["quote_id"] = request.quote_id
    if request.dropoff_instructions:
        body["dropoff_notes"] = request.dropoff_instructions
    return body


def token_form(client_id: str, client_secret: str) -> dict[str, str]:
    return {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials",
            "scope": "eats.deliveries"}
