"""Our ShipmentRequest -> karrio's unified models, and the per-carrier connection settings."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from ...domain.models import Address
from ..base import Contact, CredentialField, ShipmentRequest


@dataclass(frozen=True)
class KarrioCarrier:
    """A karrio carrier we wire: its karrio name, what the user pastes, and whether it can buy labels."""

    name: str
    title: str
    fields: tuple[CredentialField, ...]


_OAUTH = (CredentialField("client_id", "Client ID", secret=False), CredentialField("client_secret", "Client secret"))
CARRIERS: dict[str, KarrioCarrier] = {
    "ups": KarrioCarrier("ups", "UPS", _OAUTH + (CredentialField("account_number", "Account number", secret=False),)),
    "usps": KarrioCarrier("usps", "USPS", _OAUTH + (
        CredentialField("account_number", "Account number", secret=False, required=False),)),
}


def carrier_name(code: str) -> str:
    """"karrio:ups" -> "ups"."""
    _, _, name = code.partition(":")
    if name not in CARRIERS:
        raise KeyError(f"karrio carrier {name!r} is not wired; wired: {', '.join(CARRIERS)}")
    return name


def settings(name: str, credentials: dict[str, str], *, base_url: str = "", test_mode: bool = False):
    """karrio's Settings object for one carrier; `base_url` replaces the carrier's host (tests, sandboxes)."""
    settings_class = importlib.import_module(f"karrio.mappers.{name}.settings").Settings
    if base_url:
        # karrio hard-codes each carrier's host in a property: a subclass points it elsewhere.
        settings_class = type(f"Local{settings_class.__name__}", (settings_class,),
                              {"server_url": property(lambda self: base_url.rstrip("/"))})
    wanted = {f.name for f in CARRIERS[name].fields}
    values = {k: v for k, v in credentials.items() if k in wanted and v}
    return settings_class(**values, test_mode=test_mode, carrier_id=name)


def address(place: Address, contact: Contact):
    from karrio.core.models import Address as KarrioAddress

    return KarrioAddress(
        address_line1=place.street, address_line2=place.line2 or None, city=place.city, postal_code=place.postcode,
        country_code=place.country, state_code=place.region or None, person_name=contact.name,
        company_name=contact.company or None, phone_number=contact.phone or None, email=contact.email or None,
        residential=not contact.company,
    )


def parcels(request: ShipmentRequest) -> list:
    from karrio.core.models import Parcel as KarrioParcel

    return [
        KarrioParcel(weight=p.weight_g / 1000, weight_unit="KG", length=p.length_cm, width=p.width_cm,
                     height=p.height_cm, dimension_unit="CM", description=p.description)
        for p in request.parcels for _ in range(p.quantity)
    ]


def rate_request(request: ShipmentRequest):
    from karrio.core.models import RateRequest

    return RateRequest(shipper=address(request.pickup, request.pickup_contact),
                       recipient=address(request.dropoff, request.dropoff_contact), parcels=parcels(request),
                       services=[request.service] if request.service else [], reference=request.our_reference)


def shipment_request(request: ShipmentRequest, service: str):
    from karrio.core.models import ShipmentRequest as KarrioShipmentRequest

    return KarrioShipmentRequest(
        service=service, shipper=address(request.pickup, request.pickup_contact),
        recipient=address(request.dropoff, request.dropoff_contact), parcels=parcels(request),
        reference=request.our_reference, label_type="PDF",
    )
