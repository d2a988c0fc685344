"""Van speeds per road class and hour of day: the rush-hour profile the shop can adjust, kept in its settings."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Mapping

# The road classes a van drives on, in the order the road graph stores them (its class codes are indexes here).
ROAD_CLASSES = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service", "road", "pedestrian",
)
CLASS_CODE = {name: code for code, name in enumerate(ROAD_CLASSES)}

# Average van speeds with the road free (night), in km/h: town averages with junctions and lights, not the limits.
FREE_FLOW_KMH = {
    "motorway": 90, "motorway_link": 50, "trunk": 70, "trunk_link": 45, "primary": 45, "primary_link": 35,
    "secondary": 40, "secondary_link": 30, "tertiary": 35, "tertiary_link": 30, "unclassified": 30,
    "residential": 25, "living_street": 10, "service": 15, "road": 25, "pedestrian": 8,
}
# How much of the rush a class feels: main roads all of it, side streets half, yards and lanes a quarter.
RUSH_SHARE = {name: 1.0 for name in ROAD_CLASSES} | {
    "unclassified": 0.5, "residential": 0.5, "road": 0.5, "living_street": 0.25, "service": 0.25, "pedestrian": 0.25,
}
# Share of the free-flow speed left on main roads in each hour of the day: the morning (7-9) and evening (16-18) rush
# are slowest; side streets feel less of it (RUSH_SHARE).
# The same shape as the straight-line estimate's city speeds (routing.matrix.CITY_SPEED_KMH / 32).
RUSH_HOUR_FACTORS = (
    1.0, 1.0, 1.0, 1.0, 1.0, 0.94, 0.81, 0.62, 0.56, 0.69, 0.78, 0.78,
    0.75, 0.75, 0.78, 0.72, 0.62, 0.56, 0.66, 0.78, 0.88, 0.94, 1.0, 1.0,
)
TRAFFIC_LIGHT_S = 10  # the average wait at a traffic light (half of them green, a 40 s red)
SETTING_KEY = "area.speed_profile"


@dataclass(frozen=True)
class SpeedProfile:
    """Free-flow km/h per road class, and per hour of the day the share of it a van gets on main roads (1.0 = empty
    roads; side streets lose part of what main roads lose, RUSH_SHARE)."""

    free_flow_kmh: Mapping[str, float] = field(default_factory=lambda: dict(FREE_FLOW_KMH))
    hourly_factors: tuple[float, ...] = RUSH_HOUR_FACTORS

    def __post_init__(self) -> None:
        if len(self.hourly_factors) != 24:
            raise ValueError(f"A speed profile has 24 hourly factors, not {len(self.hourly_factors)}.")
        if not all(0.05 <= f <= 1.5 for f in self.hourly_factors):
            raise ValueError("Each hour's share of the free-flow speed must be between 0.05 and 1.5.")
        unknown = set(self.free_flow_kmh) - set(ROAD_CLASSES)
        if unknown:
            raise ValueError(f"Unknown road class in the speed profile: {', '.join(sorted(unknown))}.")
        if not all(1 <= v <= 150 for v in self.free_flow_kmh.values()):
            raise ValueError("Road speeds must be between 1 and 150 km/h.")

    def class_kmh(self, hours: int | tuple[int, int] | None = None) -> list[float]:
        """km/h indexed by class code, free-flow or at those hours (the slowest of a span)."""
        return [self.kmh(name, hours) for name in ROAD_CLASSES]

    def factor(self, hours: int | tuple[int, int]) -> float:
        """The share of free flow for an hour, or the slowest of the hours [first, last) a plan drives in."""
        if isinstance(hours, int):
            return self.hourly_factors[hours % 24]
        first, last = hours
        last = max(last, first + 1)
        return min(self.hourly_factors[h % 24] for h in range(first, last))

    def kmh(self, road_class: str, hours: int | tuple[int, int] | None = None) -> float:
        """km/h on one road class: free-flow, or at those hours (the slowest of a span), as much slower as the
        class feels the rush."""
        free = float(self.free_flow_kmh.get(road_class, FREE_FLOW_KMH[road_class]))
        if hours is None:
            return free
        return free * (1 - RUSH_SHARE[road_class] * (1 - self.factor(hours)))

    def with_rush(self, slowest: float) -> "SpeedProfile":
        """The same daily shape (the default one if this profile has no rush) with its slowest hour at `slowest`:
        Settings adjusts the rush this way."""
        shape = self.hourly_factors if min(self.hourly_factors) < 1 else RUSH_HOUR_FACTORS
        scale = (1 - slowest) / (1 - min(shape))
        return replace(self, hourly_factors=tuple(round(1 - (1 - f) * scale, 3) for f in shape))

    def to_json(self) -> str:
        return json.dumps({"free_flow_kmh": dict(self.free_flow_kmh), "hourly_factors": list(self.hourly_factors)})

    @classmethod
    def from_json(cls, text: str) -> "SpeedProfile":
        data = json.loads(text)
        return cls({str(k): float(v) for k, v in data.get("free_flow_kmh", {}).items()},
                   tuple(float(f) for f in data.get("hourly_factors", RUSH_HOUR_FACTORS)))


def load_speed_profile(db) -> SpeedProfile:
    """The shop's profile from its settings, or the default rush-hour profile when none is saved."""
    text = db.get_setting(SETTING_KEY)
    return SpeedProfile.from_json(text) if text else SpeedProfile()


def save_speed_profile(db, profile: SpeedProfile) -> None:
    db.set_setting(SETTING_KEY, profile.to_json())
