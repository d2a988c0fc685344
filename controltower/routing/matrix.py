"""Travel-time matrices: the offline great-circle estimate, the area's road graph, an optional OSRM table server, and
the benchmark plane."""
from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from .model import Place, TravelMatrix

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
# km/h by hour of day for a van in town: slow in the morning and evening rush, quicker at night.
CITY_SPEED_KMH = (
    32, 32, 32, 32, 32, 30, 26, 20, 18, 22, 25, 25,
    24, 24, 25, 23, 20, 18, 21, 25, 28, 30, 32, 32,
)


class MatrixProvider(Protocol):
    def matrix(self, places: Sequence[Place], hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        """Distances (m) and durations (s) between all places, for travel between the given hours of day."""


def haversine_m(places: Sequence[Place]) -> np.ndarray:
    """Great-circle distances in metres; Place.x is longitude, Place.y latitude."""
    lon = np.radians(np.array([p.x for p in places], dtype=float))
    lat = np.radians(np.array([p.y for p in places], dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@dataclass(frozen=True)
class OfflineMatrixProvider:
    """Great-circle distance times a circuity factor, driven at the slowest speed of the hours planned.

    The slowest hour is used so the promised ETAs are kept even in the rush; a plan made at night is not
    sold to customers as faster than the afternoon traffic allows.
    """

    circuity: float = 1.35
    speed_kmh: tuple[int, ...] = CITY_SPEED_KMH

    def speed_for(self, hours: tuple[int, int]) -> float:
        first, last = max(0, hours[0]), min(24, max(hours[1], hours[0] + 1))
        return float(min(self.speed_kmh[h % 24] for h in range(first, last)))

    def matrix(self, places: Sequence[Place], hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        road = haversine_m(places) * self.circuity
        speed_ms = self.speed_for(hours) / 3.6
        distance = np.rint(road).astype(np.int64)
        duration = np.ceil(road / speed_ms).astype(np.int64)
        return TravelMatrix(distance.tolist(), duration.tolist(), source="offline")


@dataclass(frozen=True)
class NotedMatrixProvider:
    """Another provider's matrices with a sentence for the user added (why they are not what the shop set up)."""

    inner: MatrixProvider
    note: str

    def matrix(self, places: Sequence[Place], hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        found = self.inner.matrix(places, hours)
        return TravelMatrix(found.distance, found.duration, found.source,
                            warning=" ".join(text for text in (self.note, found.warning) if text))


class RoadMatrixProvider:
    """Travel by the shop's street network (the area package's road graph) at the speeds of its rush-hour profile,
    for the slowest hour planned (as the straight-line estimate does, so ETAs hold in the rush). Stops outside the
    area are planned on the straight-line estimate, with a warning; pairs no road joins are estimated in a line."""

    def __init__(self, graph, profile=None, fallback: MatrixProvider | None = None) -> None:
        self.graph = graph  # area.graph.RoadGraph
        self.profile = profile  # area.speeds.SpeedProfile, the default one when None
        self.fallback = fallback or OfflineMatrixProvider()

    def matrix(self, places: Sequence[Place], hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        from ..area.graph import OutsideArea

        try:
            road = self.graph.matrix([(p.y, p.x) for p in places], hours, self.profile)
        except OutsideArea as exc:
            log.warning("road matrix refused: %s", exc)
            offline = self.fallback.matrix(places, hours)
            return TravelMatrix(offline.distance, offline.duration, source="offline",
                                warning=f"{exc} Travel times are straight-line estimates.")
        return TravelMatrix(road.distance_m.tolist(), road.duration_s.tolist(), source="road",
                            warning=" ".join(road.notes))


def euclidean_tenths(places: Sequence[Place]) -> TravelMatrix:
    """The VRPTW benchmark's arcs: Euclidean distance truncated to one decimal, in integer tenths."""
    xy = np.array([(p.x, p.y) for p in places], dtype=float)
    diff = xy[:, None, :] - xy[None, :, :]
    tenths = np.floor(10 * np.sqrt((diff**2).sum(axis=2)) + 1e-9).astype(np.int64)
    rows = tenths.tolist()
    return TravelMatrix(rows, rows, source="euclidean")


class MatrixCache(Protocol):
    def get(self, key: str) -> TravelMatrix | None: ...

    def put(self, key: str, matrix: TravelMatrix) -> None: ...


class OsrmMatrixProvider:
    """OSRM's table service at a URL the user sets; cached, and falling back to the offline estimate with a warning."""

    def __init__(self, base_url: str, cache: MatrixCache | None = None, fallback: MatrixProvider | None = None,
                 timeout: float = 10.0, profile: str = "driving") -> None:
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.fallback = fallback or OfflineMatrixProvider()
        self.timeout = timeout
        self.profile = profile

    def cache_key(self, places: Sequence[Place]) -> str:
        text = json.dumps([self.base_url, self.profile, [(round(p.x, 6), round(p.y, 6)) for p in places]])
        return "osrm:" + hashlib.sha256(text.encode()).hexdigest()

    def matrix(self, places: Sequence[Place], hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        key = self.cache_key(places)
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            return cached
        try:
            result = self._fetch(places)
        except Exception as exc:  # any failure: plan offline, and say so
            log.warning("routing server failed, using the offline estimate: %s", exc)
            offline = self.fallback.matrix(places, hours)
            return TravelMatrix(offline.distance, offline.duration, source="offline",
                                warning=f"The routing server at {self.base_url} did not answer ({exc}); "
                                        "travel times are offline estimates.")
        if self.cache is not None:
            self.cache.put(key, result)
        return result

    def _fetch(self, places: Sequence[Place]) -> TravelMatrix:
        import httpx

        coords = ";".join(f"{p.x:.6f},{p.y:.6f}" for p in places)
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        response = httpx.get(url, params={"annotations": "distance,duration"}, timeout=self.timeout)
        response.raise_for_status()
        body = response.json()
        if body.get("code") != "Ok":
            raise RuntimeError(f"server said {body.get('code')}: {body.get('message', '')}")
        n = len(places)
        durations, distances = body.get("durations"), body.get("distances")
        if durations is None or distances is None or len(durations) != n or len(distances) != n:
            raise RuntimeError("the answer has no full distance and duration table")
        big = 10**7  # unreachable pairs come back as null
        dur = [[big if v is None else int(math.ceil(v)) for v in row] for row in durations]
        dist = [[big if v is None else int(round(v)) for v in row] for row in distances]
        return TravelMatrix(dist, dur, source="osrm")
