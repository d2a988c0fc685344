"""The demo's cities: Helsinki on the real houses and streets of the shipped OpenStreetMap extract (the app's demo),
and Portland on its avenue grid (straight lines, no extract: the tests' long-standing day)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import city as portland
from .city import StreetAddress

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
HELSINKI_FOLDER = RESOURCES / "areas" / "helsinki"


@dataclass(frozen=True)
class DemoCity:
    key: str
    name: str
    region: str  # for the holiday calendar ("" where the country has one)
    country: str
    timezone: str
    currency: str
    shop: dict  # name, street, postcode, lat, lon, phone
    vans: tuple  # (name, driver, parcels, grams, skills)
    driver_phone: str
    customer_phone: Callable[[random.Random], str]
    parcel_services: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    pick_address: Callable[[random.Random], StreetAddress]
    extract: Path | None = None  # the OpenStreetMap extract whose area package the demo uses


def _portland_address(rng: random.Random) -> StreetAddress:
    avenue = max(1, min(92, int(rng.gauss(30, 18))))
    if rng.random() < 0.55:
        return portland.address_on_street(rng.randrange(len(portland.EAST_WEST)), avenue, rng.random() < 0.5)
    return portland.address_on_avenue(avenue, rng.uniform(-40, 52))


PORTLAND = DemoCity(
    key="portland", name=portland.CITY, region=portland.REGION, country=portland.COUNTRY, timezone=portland.TIMEZONE,
    currency=portland.CURRENCY,
    shop={"name": "Rose City Plants & Home", "street": "2325 SE Hawthorne Blvd", "postcode": "97214",
          "lat": 45.51225, "lon": -122.64105, "phone": "+1 503-555-0100"},
    vans=(("Van 1 · Ford Transit", "Maria Alvarez", 60, 900_000, ""),
          ("Van 2 · Sprinter (chilled)", "Dev Raman", 80, 1_200_000, "fridge"),
          ("Bike 3 · e-cargo", "Sam Whitaker", 14, 120_000, "")),
    driver_phone="+1 503-555-0150", customer_phone=lambda rng: f"+1 503-555-{rng.randrange(100, 199):04d}",
    parcel_services=("USPS Ground Advantage", "UPS Ground"),
    first_names=tuple(portland.FIRST_NAMES), last_names=tuple(portland.LAST_NAMES), pick_address=_portland_address,
)


@lru_cache(maxsize=1)
def helsinki_houses() -> tuple[StreetAddress, ...]:
    """The extract's houses (tools/demo_addresses.py wrote them from it): real numbers on real streets."""
    lines = (HELSINKI_FOLDER / "demo_addresses.tsv").read_text(encoding="utf-8").splitlines()[1:]
    houses = []
    for line in lines:
        street, number, postcode, lat, lon = line.split("\t")
        houses.append(StreetAddress(f"{street} {number}", postcode, float(lat), float(lon)))
    return tuple(houses)


def _helsinki_address(rng: random.Random) -> StreetAddress:
    return rng.choice(helsinki_houses())


HELSINKI = DemoCity(
    key="helsinki", name="Helsinki", region="", country="FI", timezone="Europe/Helsinki", currency="EUR",
    # A real house of the extract (Bulevardi 10, 00120 Helsinki) as the shop: its depot is where the vans leave from.
    shop={"name": "Kamppi Plants & Home", "street": "Bulevardi 10", "postcode": "00120",
          "lat": 60.165510, "lon": 24.940970, "phone": "+358 9 4245 0100"},
    vans=(("Van 1 · Toyota Proace", "Aino Virtanen", 50, 800_000, ""),
          ("Van 2 · Sprinter (chilled)", "Mikko Korhonen", 70, 1_100_000, "fridge"),
          ("Bike 3 · e-cargo", "Sara Lindqvist", 14, 120_000, "")),
    driver_phone="+358 40 555 0150", customer_phone=lambda rng: f"+358 40 555 0{rng.randrange(100, 199):03d}",
    parcel_services=("Posti Parcel", "DHL Express"),
    first_names=("Aino", "Eetu", "Helmi", "Juho", "Sofia", "Leevi", "Emma", "Onni", "Aada", "Elias", "Lumi", "Väinö",
                 "Ilona", "Oskari", "Venla", "Mikael", "Ella", "Noah", "Saara", "Amir", "Fatima", "Li", "Anna", "Björn",
                 "Linnea", "Jussi", "Iida", "Kalle", "Maryam", "Tuomas"),
    last_names=("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
                "Järvinen", "Lehtonen", "Lindqvist", "Nyström", "Saarinen", "Salminen", "Ahmed", "Nguyen", "Öhman",
                "Karjalainen", "Lindholm", "Rantanen", "Kallio", "Ylönen", "Smith", "Ivanova"),
    pick_address=_helsinki_address, extract=HELSINKI_FOLDER / "Helsinki.osm.pbf",
)

CITIES = {c.key: c for c in (HELSINKI, PORTLAND)}
APP_DEMO_CITY = "helsinki"  # what `controltower --demo` opens: real streets, offline
