"""Distances on the Earth's surface: one great-circle formula for zones, the sandbox and the demo."""
from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; good enough for zones and for a fallback travel time."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


# Beyond this from the shop, a position is more likely a wrong match (a typo, a same-named town) than a customer.
FAR_FROM_SHOP_KM = 100.0
# Below this a geocoder's own confidence is a guess: the pin needs a person's check.
CONFIDENCE_FLOOR = 0.5


def km_too_far(lat: float, lon: float, shop_lat: float, shop_lon: float, area_km: float = 0.0) -> float | None:
    """How far the position is from the shop when that is past the shop's area (FAR_FROM_SHOP_KM or its widest
    zone), else None; None too when the shop has no position yet (0, 0)."""
    if not (shop_lat or shop_lon):
        return None
    distance = haversine_km(shop_lat, shop_lon, lat, lon)
    return distance if distance > max(FAR_FROM_SHOP_KM, area_km) else None
