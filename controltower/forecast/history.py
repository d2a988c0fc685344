"""Orders per shop day, delivery zone and delivery option: from the orders themselves and the compact demand_days table.

demand_days (owned here) holds counts without orders: the demo's two years, or a shop's past counts. A day that has
real orders in the store is counted from them instead, so imported past orders count and nothing counts twice.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

import numpy as np

from ..dispatch.settings import ShopSettings
from ..store import orders as order_store
from .model import SeriesKey

Cell = tuple[str, str]  # (zone, option)


def write_days(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, int]]) -> None:
    """Store (day ISO, zone, option, orders) counts in bulk; a day, zone and option given again replaces the count."""
    conn.executemany("INSERT OR REPLACE INTO demand_days(day, zone, option, orders) VALUES (?, ?, ?, ?)", rows)


def zone_name(settings: ShopSettings, lat: float | None, lon: float | None, postcode: str) -> str:
    """The zone an order counts in, as dispatch finds it (dispatch.options.zone_of): by position, by postcode list,
    and an order not yet placed on the map in the shop's own postcode by the shop's position."""
    postcode = postcode or ""
    if (lat is None or lon is None) and postcode.strip() and (settings.shop_lat or settings.shop_lon) and \
            postcode.replace(" ", "").upper() == settings.shop_postcode.replace(" ", "").upper():
        lat, lon = settings.shop_lat, settings.shop_lon
    zone = settings.zone_for(lat, lon, postcode)
    return zone.name if zone is not None else SeriesKey.OUTSIDE


@dataclass
class History:
    """Counts per (zone, option) on consecutive days first..last (numpy int arrays, one value per day)."""

    first: date
    last: date
    cells: dict[Cell, np.ndarray] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1 if self.last >= self.first else 0

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def series(self, key: SeriesKey) -> np.ndarray:
        """The daily counts of a series (zone and/or option None = all of them)."""
        total = np.zeros(self.days, dtype=float)
        for (zone, option), counts in self.cells.items():
            if (key.zone is None or key.zone == zone) and (key.option is None or key.option == option):
                total += counts
        return total

    def zones(self) -> list[str]:
        return sorted({zone for zone, _ in self.cells})

    def options_of(self, zone: str) -> list[str]:
        return sorted({option for z, option in self.cells if z == zone})


def load_history(conn: sqlite3.Connection, settings: ShopSettings, until: date, since: date | None = None) -> History:
    """Complete days before `until` (the shop's today): demand_days, and the orders table wherever it has that day."""
    since_iso = since.isoformat() if since else None
    from_orders: dict[str, dict[Cell, int]] = defaultdict(lambda: defaultdict(int))
    for day, option, lat, lon, postcode in order_store.demand_rows(conn, since_iso):
        if day < until.isoformat():
            from_orders[day][(zone_name(settings, lat, lon, postcode), option)] += 1
    stored: dict[str, dict[Cell, int]] = defaultdict(dict)
    for day, zone, option, orders in conn.execute(
            "SELECT day, zone, option, orders FROM demand_days WHERE day >= ? AND day < ?",
            (since_iso or "0000-00-00", until.isoformat())):
        if day not in from_orders:
            stored[day][(zone, option)] = orders
    by_day = {**stored, **from_orders}
    if not by_day:
        return History(until, until - timedelta(days=1))
    first = date.fromisoformat(min(by_day))
    last = until - timedelta(days=1)
    n = (last - first).days + 1
    cells: dict[Cell, np.ndarray] = {}
    for day, counts in by_day.items():
        index = (date.fromisoformat(day) - first).days
        for cell, orders in counts.items():
            cells.setdefault(cell, np.zeros(n, dtype=np.int64))[index] = orders
    return History(first, last, cells)


def daily_totals(conn: sqlite3.Connection, until: date, since: date) -> tuple[date, np.ndarray]:
    """All orders per day from `since` to the day before `until`, counted in SQL (no zones): cheap enough for a
    window to ask, where load_history reads every order."""
    by_day = {day: orders for day, orders in conn.execute(
        "SELECT day, sum(orders) FROM demand_days WHERE day >= ? AND day < ? GROUP BY day",
        (since.isoformat(), until.isoformat()))}
    by_day.update(dict(order_store.orders_per_day(conn, since.isoformat(), until.isoformat())))
    counts = np.zeros(max((until - since).days, 0), dtype=np.int64)
    for day, orders in by_day.items():
        counts[(date.fromisoformat(day) - since).days] = orders
    return since, counts


def known_orders(conn: sqlite3.Connection, settings: ShopSettings, start: date, end: date) -> dict[date, dict[Cell, int]]:
    """Orders already placed for shop days start..end (inclusive): known demand."""
    known: dict[date, dict[Cell, int]] = defaultdict(lambda: defaultdict(int))
    for day, option, lat, lon, postcode in order_store.demand_rows(conn, start.isoformat()):
        if day <= end.isoformat():
            known[date.fromisoformat(day)][(zone_name(settings, lat, lon, postcode), option)] += 1
    return known
