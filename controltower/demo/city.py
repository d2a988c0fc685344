"""Portland, Oregon as the demo city: real east-side streets on the city's address grid.

Portland numbers its east-side avenues from the Willamette, and house numbers on the
east-west streets follow the avenue (2400 SE Hawthorne Blvd is at SE 24th Ave), so a
street address here maps to a believable position without any geocoder.
"""
from __future__ import annotations

from dataclasses import dataclass

CITY, REGION, COUNTRY, TIMEZONE, CURRENCY = "Portland", "OR", "US", "America/Los_Angeles", "USD"

# East-west streets: (name, latitude).
EAST_WEST = [
    ("NE Killingsworth St", 45.5627), ("NE Alberta St", 45.5590), ("NE Prescott St", 45.5556),
    ("NE Fremont St", 45.5485), ("NE Knott St", 45.5415), ("NE Broadway", 45.5350), ("NE Halsey St", 45.5330),
    ("NE Glisan St", 45.5265), ("SE Stark St", 45.5192), ("SE Morrison St", 45.5175), ("SE Belmont St", 45.5165),
    ("SE Hawthorne Blvd", 45.5122), ("SE Clinton St", 45.5030), ("SE Division St", 45.5048),
    ("SE Powell Blvd", 45.4975), ("SE Holgate Blvd", 45.4900), ("SE Steele St", 45.4830), ("SE Woodstock Blvd", 45.4790),
]
_FIRST_AVENUE_LON, _LON_PER_AVENUE = -122.6665, 0.0011055
_BURNSIDE_LAT, _LAT_PER_100 = 45.5230, 0.00072

# Postcode areas as (min_lat, max_lat, max_avenue, postcode): the first match wins.
_POSTCODES = [
    (45.545, 90, 33, "97211"), (45.545, 90, 60, "97218"), (45.545, 90, 999, "97220"),
    (45.523, 45.545, 15, "97232"), (45.523, 45.545, 33, "97212"), (45.523, 45.545, 60, "97213"), (45.523, 45.545, 999, "97220"),
    (45.500, 45.523, 15, "97214"), (45.500, 45.523, 45, "97214"), (45.500, 45.523, 60, "97215"), (45.500, 45.523, 999, "97216"),
    (0, 45.500, 33, "97202"), (0, 45.500, 60, "97206"), (0, 45.500, 999, "97266"),
]


@dataclass(frozen=True)
class StreetAddress:
    street: str
    postcode: str
    lat: float
    lon: float


def avenue_name(number: int, quadrant: str) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{quadrant} {number}{suffix} Ave"


def postcode_for(lat: float, avenue: int) -> str:
    for low, high, max_avenue, code in _POSTCODES:
        if low <= lat < high and avenue <= max_avenue:
            return code
    return "97214"


def address_on_street(street_index: int, avenue: int, odd: bool) -> StreetAddress:
    """A house on an east-west street near the given avenue."""
    name, lat = EAST_WEST[street_index % len(EAST_WEST)]
    number = avenue * 100 + (1 if odd else 2) * 2 + (avenue * 7) % 40 * 2
    lon = _FIRST_AVENUE_LON + (avenue + (number % 100) / 100) * _LON_PER_AVENUE
    lat += 0.00012 if odd else -0.00012
    return StreetAddress(f"{number} {name}", postcode_for(lat, avenue), round(lat, 6), round(lon, 6))


def address_on_avenue(avenue: int, blocks_from_burnside: float) -> StreetAddress:
    """A house on a numbered avenue, north (NE) or south (SE) of Burnside."""
    quadrant = "NE" if blocks_from_burnside >= 0 else "SE"
    number = int(abs(blocks_from_burnside) * 100) // 2 * 2 + (1 if avenue % 2 else 0)
    lat = _BURNSIDE_LAT + blocks_from_burnside * _LAT_PER_100
    lon = _FIRST_AVENUE_LON + avenue * _LON_PER_AVENUE + (0.00010 if number % 2 else -0.00010)
    return StreetAddress(f"{number} {avenue_name(avenue, quadrant)}", postcode_for(lat, avenue), round(lat, 6), round(lon, 6))


FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Isabella", "Ethan", "Mia", "Aiden", "Harper",
    "Jackson", "Amelia", "Sebastián", "Evelyn", "Kenji", "Abigail", "Omar", "Chloé", "Daniel", "Priya", "Samuel",
    "Zoë", "Hannah", "Wei", "Grace", "Diego", "Nora", "Tomás", "Leah", "Malik", "Ingrid", "Rafael", "Aaliyah", "Finn",
    "Mei", "Jonah", "Lucía", "Ravi", "Elise", "Theo", "Ximena", "Caleb", "Hana", "Marcus", "Freya", "Andre", "Siobhan",
]
LAST_NAMES = [
    "Nguyen", "Smith", "Johnson", "García", "Martinez", "Brown", "Lee", "Kim", "Patel", "Anderson", "Thompson", "White",
    "López", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "Wright", "Scott", "Torres", "Hill",
    "O'Brien", "Nakamura", "Schmidt", "Olsen", "Chen", "Reyes", "Murphy", "Cohen", "Okafor", "Larsen", "Dubois",
    "Müller", "Kowalski", "Haddad", "Sato", "Fitzgerald", "Morales", "Price", "Bennett", "Ramírez", "Yamada", "Singh",
]
PRODUCTS = [
    ("PLT-MONST-M", "Monstera deliciosa, medium", 4800, 4200), ("PLT-FIDDLE-L", "Fiddle-leaf fig, large", 8900, 9500),
    ("POT-CER-20", "Glazed ceramic pot 20 cm", 3400, 2600), ("SOIL-ORG-10", "Organic potting mix 10 L", 1600, 5200),
    ("PLT-SNAKE-S", "Snake plant, small", 2400, 1500), ("KIT-HERB", "Kitchen herb kit", 2900, 1800),
    ("TOOL-PRUNER", "Bypass pruner", 3200, 400), ("PLT-OLIVE-XL", "Olive tree, extra large", 14900, 18000),
    ("GIFT-CARD-50", "Gift wrap and card", 600, 100), ("CAN-SOY-L", "Soy candle, cedar", 2800, 700),
    ("PLT-POTHOS-H", "Golden pothos, hanging", 2600, 1600), ("FERT-LIQ-1", "Liquid fertiliser 1 L", 1400, 1100),
]
NOTES = ["", "", "", "", "Leave with the neighbour at No. 12 if out", "Gate code 4410", "Please call on arrival",
         "Fragile: glazed pot", "Back door, by the garage", "Dog in yard — friendly", "Ring twice, hard of hearing"]
