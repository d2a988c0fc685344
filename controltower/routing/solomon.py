"""Reads Solomon-format VRPTW instance files into a Problem in integer tenths (the DIMACS convention)."""
from __future__ import annotations

import math
from pathlib import Path

from .matrix import euclidean_tenths
from .model import Place, PlanningDepot, PlanningStop, PlanningVehicle, Problem


class InstanceError(ValueError):
    """The file is not a readable Solomon instance."""


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(x) for x in line.split()]
    except ValueError:
        return None


def read_solomon(path: str | Path) -> Problem:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InstanceError(f"{path} is empty")
    name = lines[0]
    rows = [nums for ln in lines[1:] if (nums := _numbers(ln))]
    fleet_rows = [r for r in rows if len(r) == 2]
    customer_rows = [r for r in rows if len(r) == 7]
    if not fleet_rows or not customer_rows:
        raise InstanceError(f"{path} has no VEHICLE or CUSTOMER section")
    fleet, capacity = int(fleet_rows[0][0]), int(fleet_rows[0][1])
    customer_rows.sort(key=lambda r: r[0])
    depot_row, customers = customer_rows[0], customer_rows[1:]
    if int(depot_row[0]) != 0:
        raise InstanceError(f"{path}: the first customer row must be the depot 0")
    ids = [int(r[0]) for r in customers]
    if ids != list(range(1, len(customers) + 1)):
        raise InstanceError(f"{path}: customers must be numbered 1..n")

    # Early bounds round up and late bounds down, so decimal files are never planned looser than written.
    up = lambda v: int(math.ceil(10 * v - 1e-9))  # noqa: E731
    down = lambda v: int(math.floor(10 * v + 1e-9))  # noqa: E731
    depot = PlanningDepot("0", Place(depot_row[1], depot_row[2]), up(depot_row[4]), down(depot_row[5]), "depot")
    stops = tuple(
        PlanningStop(str(int(r[0])), Place(r[1], r[2]), delivery=(int(r[3]),), pickup=(0,), service=up(r[6]),
                     window_start=up(r[4]), window_end=down(r[5]))
        for r in customers
    )
    vehicles = tuple(
        PlanningVehicle(str(i + 1), 0, (capacity,), depot.opens, depot.closes) for i in range(fleet)
    )
    matrix = euclidean_tenths([depot.place] + [s.place for s in stops])
    return Problem((depot,), vehicles, stops, matrix, name=name)
