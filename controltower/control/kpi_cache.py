"""Per-day KPI aggregates kept in memory, so a 30-day panel adds up 60 small rows instead of scanning 100,000 deliveries.

A day is recomputed only when something that feeds it changed: shipments carry `updated_at` (every status,
booking, event and reschedule write sets it), and new exception cases are found by id.
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Callable

Compute = Callable[[sqlite3.Connection, str, str], dict[str, list[dict]]]  # (conn, first day, day after last) -> day -> rows


class DailyCache:
    """`day_column`: the shipments column whose date places a row in a day (None: the rows are not shipments, and
    only the last `fresh_days` days, where their news lands, are recomputed each time)."""

    def __init__(self, compute: Compute, day_column: str | None = None, *, watch_exceptions: bool = False,
                 fresh_days: int | None = None) -> None:
        self.compute = compute
        self.day_column = day_column
        self.watch_exceptions = watch_exceptions
        # Shipment families know exactly which days changed; the others re-read the days where news lands.
        self.fresh_days = (0 if day_column else 2) if fresh_days is None else fresh_days
        self._days: dict[str, list[dict]] = {}
        self._mark: tuple[str | None, int] | None = None
        self._lock = threading.Lock()

    def rows(self, conn: sqlite3.Connection, days: list[str]) -> dict[str, list[dict]]:
        with self._lock:
            if self.day_column:
                self._invalidate(conn)
            if self.fresh_days:
                today = datetime.now(timezone.utc).date()  # buckets are UTC days
                fresh_from = (today - timedelta(days=self.fresh_days - 1)).isoformat()
                for day in [d for d in self._days if d >= fresh_from]:
                    del self._days[day]
            missing = [day for day in days if day not in self._days]
            if missing:
                end = (date.fromisoformat(max(missing)) + timedelta(days=1)).isoformat()
                computed = self.compute(conn, min(missing), end)
                for day in missing:
                    self._days[day] = computed.get(day, [])
            return {day: self._days[day] for day in days}

    def _invalidate(self, conn: sqlite3.Connection) -> None:
        updated, case_id = conn.execute(
            "SELECT (SELECT max(updated_at) FROM shipments), (SELECT COALESCE(max(id), 0) FROM exceptions)").fetchone()
        mark = (updated, case_id if self.watch_exceptions else 0)
        if self._mark is None:
            self._days.clear()
        else:
            previous_updated, previous_case = self._mark
            # '>=': times are stored to the second, so a write in the same second as the mark must count as new.
            dirty = {row[0] for row in conn.execute(
                f"SELECT DISTINCT substr({self.day_column}, 1, 10) FROM shipments WHERE updated_at >= ?", (previous_updated or "",))}
            if self.watch_exceptions:
                dirty |= {row[0] for row in conn.execute(
                    f"SELECT DISTINCT substr(s.{self.day_column}, 1, 10) FROM exceptions e JOIN shipments s ON s.id = e.shipment_id "
                    f"WHERE e.id > ?", (previous_case,))}
            for day in dirty:
                self._days.pop(day, None)
        self._mark = mark


def utc_days(start_iso: str, end_iso: str) -> list[str] | None:
    """The UTC days of [start, end) when both fall on UTC midnight, else None (then the KPI is computed directly)."""
    if not (start_iso.endswith("T00:00:00+00:00") and end_iso.endswith("T00:00:00+00:00")):
        return None
    first, end = date.fromisoformat(start_iso[:10]), date.fromisoformat(end_iso[:10])
    return [(first + timedelta(days=n)).isoformat() for n in range((end - first).days)]
