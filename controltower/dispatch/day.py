"""The day's allocation problem from its comparisons: what the vans can still take (parcels and driver time) and each order's load.

The vans are one pool: the allocation keeps the chosen van orders within the parcels and shift time left
on all active vans together; which van takes which stop is the route planner's job after confirm (it may
still leave a stop out if one van's share doesn't fit, and says why).
"""
from __future__ import annotations

import sqlite3
from datetime import date, datetime

from .allocate import AllocationProblem, problem_from_rows
from .options import local_moment
from .policy import Preferences
from .settings import ShopSettings


def van_parcels_left(conn: sqlite3.Connection, plan_date: date) -> int:
    """Parcels the active vans can still take on the day (capacity less what their routes already carry)."""
    capacity = conn.execute("SELECT coalesce(sum(capacity_parcels), 0) FROM vehicles WHERE active = 1").fetchone()[0]
    loaded = conn.execute("SELECT coalesce(sum(o.parcels), 0) FROM stops s JOIN routes r ON r.id = s.route_id "
                          "JOIN orders o ON o.id = s.order_id WHERE r.plan_date = ? AND s.status NOT IN ('failed', 'skipped')",
                          (plan_date.isoformat(),)).fetchone()[0]
    return max(capacity - loaded, 0)


def van_seconds_left(conn: sqlite3.Connection, settings: ShopSettings, plan_date: date, now: datetime) -> int:
    """Driver time the active vans can still give on the day: each shift less its break and its planned route,
    and never more than is left of the shift from `now`."""
    total = 0
    for van in conn.execute(
            "SELECT v.shift_start, v.shift_end, v.break_minutes, coalesce(sum(r.duration_s), 0) AS planned FROM vehicles v "
            "LEFT JOIN routes r ON r.vehicle_id = v.id AND r.plan_date = ? WHERE v.active = 1 GROUP BY v.id",
            (plan_date.isoformat(),)):
        start = local_moment(settings, plan_date, van["shift_start"] or settings.opens)
        end = local_moment(settings, plan_date, van["shift_end"] or settings.closes)
        working = (end - start).total_seconds() - van["break_minutes"] * 60 - van["planned"]
        total += int(max(0.0, min(working, (end - max(start, now)).total_seconds())))
    return total


def day_problem(comparisons, preferences: Preferences, settings: ShopSettings, van_parcels: int, van_seconds: int | None,
                carrier_limits: dict[str, int] | None = None) -> AllocationProblem:
    """The allocation problem for `comparisons` (order id -> `service.Comparison`), under the shop's preferences."""
    rows = {i: list(c.rows) for i, c in comparisons.items()}
    parcels = {i: c.order.parcels for i, c in comparisons.items()}
    # The driver time an order adds: its insertion's detour, service and any wait for its window.
    seconds = {i: round(c.insertion.extra_minutes * 60) for i, c in comparisons.items() if c.insertion is not None}
    return problem_from_rows(rows, parcels, van_parcels, carrier_limits, settings.currency, preferences=preferences,
                             van_seconds=seconds, van_time_s=van_seconds)
