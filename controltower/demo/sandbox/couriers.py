"""The sandbox's courier companies: each with its own prices, speed and reliability."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CourierCompany:
    code: str                 # the customer id in the URL selects the company: /v1/customers/<code>/...
    name: str
    base_fee_cents: int
    per_km_cents: int
    speed_kmh: float          # average door-to-door speed in town
    pickup_minutes: float     # from booking until the courier is at the shop
    failure_rate: float       # share of dropoffs that fail (nobody home, no access)
    delay_rate: float         # share of deliveries that run late
    vehicle_type: str = "car"


COMPANIES: dict[str, CourierCompany] = {
    company.code: company
    for company in (
        CourierCompany("zippy", "Zippy Express", 1290, 110, 28.0, 6.0, 0.02, 0.05, "car"),
        CourierCompany("pedal", "Pedal Post", 690, 60, 14.0, 10.0, 0.05, 0.15, "bicycle"),
        CourierCompany("metro", "Metro Runners", 890, 80, 22.0, 12.0, 0.12, 0.30, "motorbike"),
    )
}
