"""Our ShipmentRequest -> Shippo's JSON bodies (addresses, parcels in grams and centimetres, metadata)."""
from __future__ import annotations

from ...domain.models import Address
from ..base import Contact, ShipmentRequest


def address(place: Address, contact: Contact) -> dict:
    return {
        "name": contact.name, "company": contact.company, "street1": place.street, "street2": place.line2,
        "city": place.city, "state": place.region, "zip": place.postcode, "country": place.country,
        "phone": contact.phone, "email": contact.email,
    }


def parcels(request: ShipmentRequest) -> list[dict]:
    # Shippo takes metric units as given, so nothing is lost converting.
    return [
        {"length": str(p.length_cm), "width": str(p.width_cm), "height": str(p.height_cm), "distance_unit": "cm",
         "weight": str(p.weight_g), "mass_unit": "g"}
        for p in request.parcels for _ in range(p.quantity)
    ]


def create_shipment(request: ShipmentRequest, *, is_return: bool = False) -> dict:
    """POST /shipments body, answered synchronously with its rates. `metadata` carries our reference."""
    body = {
        "address_from": address(request.pickup, request.pickup_contact),
        "address_to": address(request.dropoff, request.dropoff_contact),
        "parcels": parcels(request),
        "metadata": request.our_reference,
        "extra": {"reference_1": request.order_ref[:35]},
        "async": False,
    }
    if is_return:
        # Shippo's return labels keep the outbound addresses and flip them: customer -> shop.
        body["address_from"], body["address_to"] = body["address_to"], body["address_from"]
        body["extra"]["is_return"] = True
    return body


def transaction(rate_id: str, our_reference: str) -> dict:
    return {"rate": rate_id, "label_file_type": "PDF", "async": False, "metadata": our_reference}


def carrier_token(provider: str) -> str:
    """Shippo's tracking path names carriers by token: "USPS" -> "usps", "DHL Express" -> "dhl_express"."""
    return provider.strip().lower().replace(" ", "_")


def booking_ref(transaction_id: str, carrier: str, tracking_number: str) -> str:
    """Our tracking_ref for Shippo holds all later calls need: refunds by transaction, tracking by carrier+number."""
    return f"{transaction_id}:{carrier}:{tracking_number}"


def split_booking_ref(ref: str) -> tuple[str, str, str]:
    parts = ref.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a Shippo booking reference: {ref!r}")
    return parts[0], parts[1], parts[2]
