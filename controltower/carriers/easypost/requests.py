"""Our ShipmentRequest -> EasyPost's JSON bodies (addresses, parcel in ounces and inches, reference)."""
from __future__ import annotations

from ...domain.models import Address
from ..base import Contact, ShipmentRequest
from ..units import cm_to_inches, grams_to_oz


def address(place: Address, contact: Contact) -> dict:
    return {
        "name": contact.name, "company": contact.company or None, "street1": place.street,
        "street2": place.line2 or None, "city": place.city, "state": place.region or None,
        "zip": place.postcode, "country": place.country, "phone": contact.phone or None,
        "email": contact.email or None,
    }


def parcel(request: ShipmentRequest) -> dict:
    """EasyPost rates one parcel per shipment: the request's parcels as one box of their total weight."""
    biggest = max(request.parcels, key=lambda p: p.length_cm * p.width_cm * p.height_cm)
    return {
        "weight": max(grams_to_oz(request.total_weight_g), 0.1),
        "length": cm_to_inches(biggest.length_cm), "width": cm_to_inches(biggest.width_cm),
        "height": cm_to_inches(biggest.height_cm),
    }


def create_shipment(request: ShipmentRequest, *, is_return: bool = False) -> dict:
    """POST /shipments body. For a return EasyPost swaps the addresses itself, so we send the outbound way round."""
    to_place, to_contact, from_place, from_contact = (
        request.dropoff, request.dropoff_contact, request.pickup, request.pickup_contact)
    if is_return:
        to_place, to_contact, from_place, from_contact = from_place, from_contact, to_place, to_contact
    body = {
        "to_address": address(to_place, to_contact),
        "from_address": address(from_place, from_contact),
        "parcel": parcel(request),
        "reference": request.our_reference,
        "options": {"print_custom_1": request.order_ref, "label_format": "PDF"},
    }
    if is_return:
        body["is_return"] = True
    return {"shipment": body}


def buy(rate_id: str) -> dict:
    return {"rate": {"id": rate_id}}


def split_quote_id(quote_id: str) -> tuple[str, str]:
    """Our quote ids are "shp_…/rate_…": the shipment to buy and the rate to buy it at."""
    shipment_id, _, rate_id = quote_id.partition("/")
    if not shipment_id or not rate_id:
        raise ValueError(f"not an EasyPost quote id: {quote_id!r}")
    return shipment_id, rate_id
