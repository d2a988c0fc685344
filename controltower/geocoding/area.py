"""Offline geocoding at house level from the shop's area package (its address index): no server, no network."""
from __future__ import annotations

import asyncio
from pathlib import Path

from ..area.addresses import AddressIndex
from ..domain import Address, GeoPoint


class AreaAddressGeocoder:
    """The address index of the shop's area (controltower.area.addresses); None for an address outside the area."""

    name = "area"
    interactive_only = False

    def __init__(self, index_path: Path) -> None:
        self.index_path = Path(index_path)

    async def geocode(self, address: Address) -> GeoPoint | None:
        # Opening reads the street names (a country's take a second): not on the event loop.
        index = await asyncio.to_thread(AddressIndex.open, self.index_path)
        return index.locate(address)
