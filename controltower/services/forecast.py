"""The demand forecast as the app uses it: the latest report, a refresh (heavy: run it off the UI thread, e.g. in a
child process with `refresh_store`), the holiday and event calendar, and repeat rules on orders.

    core.forecast.latest()                      # ForecastReport | None: the newest refresh, read from the store
    core.forecast.refresh(now)                  # fits every series with its backtest (seconds): never on the UI thread
    core.forecast.calendar(start, end)          # holidays, peaks, closures, promotions, each with its last lift
    core.forecast.add_closure(day, "Stock-take"); core.forecast.add_promotion(day, "Spring sale")
    core.forecast.set_repeat_rule(order_id, "FREQ=WEEKLY;BYDAY=FR")
Events published on the hub: 'forecast.changed' (report made_at) after a refresh, 'forecast.calendar' after a
closure or promotion changes (the next refresh takes it in).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from ..dispatch.settings import load_settings
from ..domain.timeutil import from_iso, utcnow
from ..forecast import calendar as shop_calendar
from ..forecast import reports
from ..forecast.build import events_between, make_report
from ..forecast.history import daily_totals
from ..forecast.model import CalendarEvent, ForecastReport, SeriesKey
from ..forecast.recurring import BadRepeatRule, check_rule, next_days
from ..kernel.events import EventHub
from ..store import Database
from ..store import orders as order_store
from ..store.shop_clock import day_in

__all__ = ["ForecastService", "refresh_store", "BadRepeatRule", "SeriesKey"]


class ForecastService:
    """Reads use the calling thread's own reader (safe from a worker); writes are one transaction each."""

    def __init__(self, db: Database, hub: EventHub | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.hub, self.clock = db, hub, clock

    # ---------------------------------------------------------------- the forecast
    def latest(self) -> ForecastReport | None:
        """The newest stored forecast (None before the first refresh). Cheap: a JSON read."""
        return reports.latest_report(self.db.reader())

    def made_at(self) -> datetime | None:
        return reports.made_at(self.db.reader())

    def refresh(self, now: datetime | None = None, horizon_days: int = 28) -> ForecastReport:
        """Make and store a new forecast from the store as it is now. Heavy (every series with its backtest):
        call it from a worker or child process, never the UI thread."""
        report = make_report(self.db.reader(), now or self.clock(), horizon_days)
        with self.db.transaction() as conn:
            reports.save_report(conn, report)
        self._publish("forecast.changed", made_at=report.made_at.isoformat())
        return report

    # ---------------------------------------------------------------- the calendar
    def calendar(self, start: date | None = None, end: date | None = None) -> list[CalendarEvent]:
        """Holidays, peaks and the shop's closures and promotions from start to end (default: the next 8 weeks),
        each with the lift it had the last time it fell in the history."""
        conn = self.db.reader()
        settings = load_settings(conn)
        today = day_in(settings.tz, self.clock())
        start, end = start or today, end or today + timedelta(days=55)
        first, totals = daily_totals(conn, today, since=min(start, today) - timedelta(days=2 * 365 + 60))
        events = events_between(conn, settings, first, end)
        measured = shop_calendar.measure_lifts(events, first, totals)
        return [e for e in measured if start <= e.day <= end]

    def add_closure(self, day: date, name: str = "Closed") -> int:
        return self._add_day(day, "closure", name)

    def add_promotion(self, day: date, name: str = "Promotion") -> int:
        return self._add_day(day, "promotion", name)

    def remove_shop_day(self, day_id: int) -> bool:
        with self.db.transaction() as conn:
            removed = shop_calendar.remove_shop_day(conn, day_id)
        self._publish("forecast.calendar", id=day_id)
        return removed

    def _add_day(self, day: date, kind: str, name: str) -> int:
        with self.db.transaction() as conn:
            day_id = shop_calendar.add_shop_day(conn, day, kind, name, self.clock())
        self._publish("forecast.calendar", id=day_id)
        return day_id

    # ---------------------------------------------------------------- recurring deliveries
    def set_repeat_rule(self, order_id: int, rule: str) -> str:
        """Make an order repeat (RFC 5545 RRULE text, '' to stop); BadRepeatRule says what to type. Returns the rule
        as saved."""
        order = order_store.get_order(self.db.reader(), order_id)
        if order is None:
            raise BadRepeatRule(f"order {order_id} is not in the store")
        start = order.promised_window.start if order.promised_window else order.created_at
        cleaned = check_rule(rule, start)
        with self.db.transaction() as conn:
            order_store.set_repeat_rule(conn, order_id, cleaned)
        self._publish("orders.changed", ids=[order_id])
        return cleaned

    def next_deliveries(self, order_id: int, count: int = 5) -> list[date]:
        """The order's next repeat days from today, closures skipped ([] for a one-off order)."""
        conn = self.db.reader()
        repeating = {o.id: o for o in order_store.repeating_orders(conn)}
        order = repeating.get(order_id)
        if order is None:
            return []
        settings = load_settings(conn)
        today = day_in(settings.tz, self.clock())
        closed = {e.day for e in self.calendar(today, today + timedelta(days=400)) if e.closed}
        return next_days(order.repeat_rule, from_iso(order.promised_start or order.created_at), settings.tz, today,
                         count, closed)

    def _publish(self, topic: str, **payload) -> None:
        if self.hub is not None:
            self.hub.publish(topic, **payload)


def refresh_store(path: str | Path, now: datetime | None = None, horizon_days: int = 28) -> dict:
    """Open the store at `path`, refresh its forecast and close it: the entry point for a child process (the
    background refresh). Returns a small summary (made_at, seconds, method of the total)."""
    db = Database(Path(path))
    try:
        report = ForecastService(db).refresh(now, horizon_days)
        return {"made_at": report.made_at.isoformat(), "fit_seconds": report.fit_seconds,
                "method": report.total.method, "series": 1 + len(report.by_series)}
    finally:
        db.close()
