"""What every geocoder offers: an address in, a position with its precision out (or None when it can't be placed)."""
from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from ..domain import Address, GeoPoint


class GeocodingUnavailable(Exception):
    """The service could not be asked (offline, blocked, failing); try another, and don't remember the miss."""


class Geocoder(Protocol):
    name: str
    # True for services whose terms allow only a person's occasional look-ups (Nominatim's public server):
    # those are never used for a batch such as an import.
    interactive_only: bool

    async def geocode(self, address: Address) -> GeoPoint | None:
        """The address's position, or None when the service has no match. Raises GeocodingUnavailable."""
        ...


def address_key(address: Address) -> str:
    """One key per real address however it was typed: case, accents, spacing and punctuation don't matter."""
    parts = [address.street, address.line2, address.city, address.region, address.postcode, address.country]
    text = "|".join(p or "" for p in parts).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^\w|]+", " ", text).replace(" |", "|").replace("| ", "|").strip()
