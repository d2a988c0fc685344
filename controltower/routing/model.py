"""The day's routing problem and its plans as plain dataclasses, in integer units (seconds, metres)."""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Times are integer seconds from the problem's day origin; distances are integer metres. The benchmark
# reader uses tenths of a Solomon unit for both, which is why nothing here assumes a unit beyond "integer".


@dataclass(frozen=True)
class Place:
    """A point on the map; `x`/`y` are longitude/latitude for real days, plane coordinates for benchmarks."""

    x: float
    y: float


@dataclass(frozen=True)
class PlanningDepot:
    key: str
    place: Place
    opens: int = 0
    closes: int = 24 * 3600
    name: str = ""


@dataclass(frozen=True)
class DriverBreak:
    """A break of `duration` that must start inside [earliest, latest], taken between stops (never mid-service)."""

    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class PlanningVehicle:
    key: str
    depot: int  # index into Problem.depots
    capacity: tuple[int, ...]  # one figure per load dimension, e.g. (parcels, grams)
    shift_start: int
    shift_end: int
    driver_break: DriverBreak | None = None
    skills: frozenset[str] = frozenset()
    name: str = ""


@dataclass(frozen=True)
class PlanningStop:
    key: str
    place: Place
    delivery: tuple[int, ...] = ()  # loaded at the depot, dropped here
    pickup: tuple[int, ...] = ()  # collected here (returns), carried back to the depot
    service: int = 0
    window_start: int = 0
    window_end: int = 10**9
    required_skills: frozenset[str] = frozenset()
    priority: int = 0  # higher goes first when the day is over-full
    required: bool = True
    penalty: int = 0  # cost of leaving an optional stop unplanned
    locked_vehicle: int | None = None  # index into Problem.vehicles: the stop stays on that vehicle
    locked_order: int | None = None  # locked stops of one vehicle keep this relative order
    name: str = ""


@dataclass(frozen=True)
class TravelMatrix:
    """Distances and durations between places; index order is depots, then stops."""

    distance: list[list[int]]
    duration: list[list[int]]
    source: str = "offline"
    warning: str = ""

    def __len__(self) -> int:
        return len(self.distance)

    def __reduce__(self):
        # Sent to the solver process as two flat byte strings: pickling 2 x n^2 Python ints holds the GIL
        # (and so the window) for a tenth of a second at 400 stops; packing them is one quick C loop.
        return (_unpack_matrix, (len(self.distance), self._packed, self.source, self.warning))

    @cached_property
    def _packed(self) -> tuple[bytes, bytes]:
        def flat(rows: list[list[int]]) -> bytes:
            packed = array("q")
            for row in rows:  # row by row, so the GIL is never held for long
                packed.extend(row)
            return packed.tobytes()

        return flat(self.distance), flat(self.duration)


def _unpack_matrix(n: int, packed: tuple[bytes, bytes], source: str, warning: str) -> "TravelMatrix":
    def rows(data: bytes) -> list[list[int]]:
        flat = array("q")
        flat.frombytes(data)
        values = flat.tolist()
        return [values[i * n:(i + 1) * n] for i in range(n)]

    return TravelMatrix(rows(packed[0]), rows(packed[1]), source, warning)


@dataclass(frozen=True)
class Problem:
    depots: tuple[PlanningDepot, ...]
    vehicles: tuple[PlanningVehicle, ...]
    stops: tuple[PlanningStop, ...]
    matrix: TravelMatrix
    day_origin: datetime | None = None  # what time 0 means, tz-aware; None for abstract benchmarks
    name: str = ""
    timezone: str = "UTC"  # the shop's zone, for the times a person reads (reasons)
    planned_at: int | None = None  # when the plan is made (seconds from day_origin): windows and shifts before it are over

    def __post_init__(self) -> None:
        if len(self.matrix) != len(self.depots) + len(self.stops):
            raise ValueError(f"matrix has {len(self.matrix)} rows for {len(self.depots)} depots and {len(self.stops)} stops")
        dims = {len(v.capacity) for v in self.vehicles}
        if len(dims) > 1:
            raise ValueError("every vehicle needs the same load dimensions")

    @property
    def dimensions(self) -> int:
        return len(self.vehicles[0].capacity) if self.vehicles else 0

    def stop_node(self, stop: int) -> int:
        """Matrix index of a stop."""
        return len(self.depots) + stop

    def depot_node(self, vehicle: int) -> int:
        return self.vehicles[vehicle].depot

    def amounts(self, stop: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(delivery, pickup) padded to the problem's dimensions."""
        return self._amounts[stop]

    @cached_property
    def _amounts(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        n = self.dimensions
        pad = lambda v: tuple(v) + (0,) * (n - len(v))  # noqa: E731
        return [(pad(s.delivery), pad(s.pickup)) for s in self.stops]

    def has_side_constraints(self) -> bool:
        """Breaks or locked sequences: constraints only the OR-Tools engine models exactly."""
        return any(v.driver_break for v in self.vehicles) or any(s.locked_order is not None for s in self.stops)

    def locked_sequence(self, vehicle: int) -> list[int]:
        """The stops locked to a vehicle with an order, in that order."""
        ordered = [(s.locked_order, i) for i, s in enumerate(self.stops)
                   if s.locked_vehicle == vehicle and s.locked_order is not None]
        return [i for _, i in sorted(ordered)]

    def clock(self, seconds: int) -> datetime | None:
        return None if self.day_origin is None else self.day_origin + timedelta(seconds=seconds)

    def local_time(self, seconds: int) -> str:
        """HH:MM in the shop's zone (seconds as they are for abstract problems)."""
        moment = self.clock(seconds)
        return str(seconds) if moment is None else moment.astimezone(ZoneInfo(self.timezone)).strftime("%H:%M")

    def time_left(self, vehicle: int) -> int:
        """Seconds the vehicle can still work: its shift inside its depot's hours, from now on (never negative)."""
        van = self.vehicles[vehicle]
        depot = self.depots[van.depot]
        start = max(van.shift_start, depot.opens, self.planned_at if self.planned_at is not None else van.shift_start)
        return max(0, min(van.shift_end, depot.closes) - start)

    def with_vehicles(self, vehicles: tuple[PlanningVehicle, ...]) -> "Problem":
        return replace(self, vehicles=vehicles)


@dataclass(frozen=True)
class Plan:
    """Stops (indices into Problem.stops) per vehicle in visit order; one list per vehicle, empty if unused."""

    routes: tuple[tuple[int, ...], ...]
    engine: str = ""
    found_after: float = 0.0  # seconds into the solve

    @staticmethod
    def empty(problem: Problem) -> "Plan":
        return Plan(tuple(() for _ in problem.vehicles))

    def unplanned(self, problem: Problem) -> list[int]:
        planned = {s for route in self.routes for s in route}
        return [i for i in range(len(problem.stops)) if i not in planned]

    def vehicle_of(self, stop: int) -> int | None:
        for v, route in enumerate(self.routes):
            if stop in route:
                return v
        return None

    def moved(self, stop: int, vehicle: int, position: int) -> "Plan":
        """The plan with one stop taken from where it is and put at `position` on `vehicle`."""
        routes = [list(r) for r in self.routes]
        for r in routes:
            if stop in r:
                r.remove(stop)
        position = max(0, min(position, len(routes[vehicle])))
        routes[vehicle].insert(position, stop)
        return replace(self, routes=tuple(tuple(r) for r in routes), engine="manual")

    def without(self, stop: int) -> "Plan":
        return replace(self, routes=tuple(tuple(s for s in r if s != stop) for r in self.routes), engine="manual")


@dataclass(frozen=True)
class SolveOptions:
    seconds: float = 5.0
    seed: int = 0
    engine: str = "auto"  # auto, pyvrp, ortools
    deadline: float | None = None  # absolute time.monotonic() by which to return (overrides seconds)
    workers: int | None = None  # searches on as many cores sharing the best plan; None: one per core (at most 4)
    extra: dict = field(default_factory=dict)
