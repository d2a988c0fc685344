"""KPIs over a period, each with the previous period, a daily trend and its definition; scorecards per carrier and driver."""
from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Callable

from ..domain import Money
from ..domain.carriers import carrier_row_name
from ..domain.timeutil import UTC, from_iso, to_iso, utcnow
from ..store import Database, carrier_accounts
from ..store.shop_clock import day_in, day_start, shop_day, shop_zone
from .kpi_cache import DailyCache, DayStore
from .open_exceptions import open_at

_HOUR = 3600.0
ROWS_VERSION = 2  # of every family's stored day rows (kpi_days.version); the SQL text and the shop's zone are part of it
# 2: days are the shop's calendar days (1 kept UTC days)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, with the label the panel shows."""

    start: datetime
    end: datetime
    label: str = ""

    @classmethod
    def last_days(cls, days: int, now: datetime | None = None, *, zone: tzinfo) -> "Period":
        """The last `days` days in `zone` (the shop's: KpiService.last_days) including today (1 = today)."""
        now = (now or utcnow()).astimezone(zone)
        tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0), zone)
        label = "Today" if days == 1 else f"Last {days} days"
        return cls((tomorrow - timedelta(days=days)).astimezone(UTC), tomorrow.astimezone(UTC), label)

    @classmethod
    def custom(cls, start: datetime, end: datetime) -> "Period":
        return cls(start.astimezone(UTC), end.astimezone(UTC), f"{start:%d %b} to {end:%d %b}")

    def previous(self) -> "Period":
        length = self.end - self.start
        return Period(self.start - length, self.start, "previous period")

    @property
    def hourly(self) -> bool:
        return self.end - self.start <= timedelta(days=1)

    def buckets(self, zone: tzinfo = UTC) -> list[str]:
        """Trend bucket keys: UTC hours for a day or less (prefixes of the stored ISO text), else the calendar days
        in `zone` (the shop's) that the period covers."""
        if not self.hourly:
            first, last = self.start.astimezone(zone).date(), (self.end - timedelta(microseconds=1)).astimezone(zone).date()
            return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        keys, moment = [], self.start
        while moment < self.end:
            keys.append(to_iso(moment)[:13])
            moment += timedelta(hours=1)
        return keys


@dataclass(frozen=True)
class KpiFilter:
    """What clicking a KPI shows: the orders or exceptions behind the number."""

    target: str  # "orders" or "exceptions"
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def order_query(self):
        """The Orders view's query for this filter (by promised date; carriers are not an Orders filter yet)."""
        from ..store.orders import OrderQuery

        last_day = self.until - timedelta(seconds=1) if self.until else None
        return OrderQuery(statuses=self.statuses, date_from=self.since.date().isoformat() if self.since else None,
                          date_to=last_day.date().isoformat() if last_day else None)


@dataclass(frozen=True)
class KpiValue:
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str  # percent, hours, money, count, number, km
    definition: str
    trend: tuple[float | None, ...] = ()
    better: str = "higher"  # which direction is good
    currency: str = "USD"
    filter: KpiFilter = field(default_factory=lambda: KpiFilter("orders"))

    def display(self, value: float | None = "current") -> str:  # type: ignore[assignment]
        value = self.value if value == "current" else value
        if value is None:
            return "–"
        if self.unit == "percent":
            return f"{value * 100:.1f}%"
        if self.unit == "hours":
            return f"{value:.1f} h"
        if self.unit == "money":
            return Money(int(round(value)), self.currency).format()
        if self.unit == "count":
            return f"{int(value):,}"
        if self.unit == "km":
            return f"{value:.1f} km"
        return f"{value:.1f}"

    @property
    def change(self) -> float | None:
        """The difference from the previous period, zero when it would not show at the displayed precision."""
        if self.value is None or self.previous is None:
            return None
        change = self.value - self.previous
        shown = {"percent": 0.0005, "money": 0.5, "count": 0.5}.get(self.unit, 0.05)
        return 0.0 if abs(change) < shown else change

    @property
    def improved(self) -> bool | None:
        change = self.change
        if not change:
            return None
        return (change > 0) == (self.better == "higher")

    def change_text(self) -> str:
        change = self.change
        if change is None:
            return "no earlier data"
        if self.unit == "percent":
            text = f"{change * 100:+.1f} pts"
        elif self.unit == "money":
            text = ("+" if change >= 0 else "-") + Money(int(round(abs(change))), self.currency).format()
        elif self.unit == "count":
            text = f"{int(change):+,}"
        else:
            text = f"{change:+.1f}"
        return f"{text} vs previous period"


@dataclass(frozen=True)
class ScorecardRow:
    """One carrier or own driver over the period."""

    kind: str  # carrier or driver
    name: str
    volume: int
    delivered: int
    on_time_rate: float | None
    first_attempt_rate: float | None
    cost_per_delivery: float | None
    exception_rate: float | None
    quote_accuracy: float | None
    complaints: int
    currency: str = "USD"


@dataclass(frozen=True)
class CostRow:
    group: str  # carrier or option
    name: str
    deliveries: int
    cost_per_delivery: float | None
    cost_per_parcel: float | None


DEFINITIONS = {
    "on_time_rate": "Deliveries completed by the end of the promised window, out of all deliveries with a promise, in the period.",
    "first_attempt_rate": "Deliveries that arrived without any failed attempt before, out of all deliveries in the period.",
    "order_to_door_avg": "Average time from the order being placed to the parcel delivered, for deliveries in the period.",
    "order_to_door_p90": "90 % of deliveries in the period reached the door within this time of the order being placed.",
    "cost_per_delivery": "What carriers and own vans charged, divided by the deliveries in the period (those with a known cost).",
    "cost_per_parcel": "What was charged, divided by the parcels delivered in the period (orders with a known cost).",
    "open_exceptions": "Exception cases open and not snoozed at the end of the period (right now, for a period up to "
                       "today): what the Needs attention queue shows. The trend is the count at the end of each day or hour.",
    "mean_time_to_resolve": "Average time from a case opening to it being resolved, for cases resolved in the period.",
    "failed_attempts": "Delivery attempts that failed in the period (each attempt counts).",
    "returned": "Delivery shipments that came back to the shop in the period.",
    "fleet_utilisation": "Hours the own vans' routes took, out of the shift hours of those vans on those days.",
    "stops_per_hour": "Own-fleet stops completed per hour of route time.",
    "distance_per_stop": "Route kilometres driven per own-fleet stop.",
    "notification_delivery_rate": "Customer messages the provider accepted, out of those sent or failed, queued in the period.",
}


def _ratio(numerator, denominator) -> float | None:
    return None if not denominator or numerator is None else numerator / denominator


def _one_zone_per_call(method):
    """Read the shop's zone once for the whole call (it is asked for per day, hundreds of times a refresh)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        holder = self._one_zone
        if getattr(holder, "zone", None) is not None:  # already inside one
            return method(self, *args, **kwargs)
        holder.zone = shop_zone(self.conn)
        try:
            return method(self, *args, **kwargs)
        finally:
            holder.zone = None
    return wrapper


@functools.lru_cache(maxsize=256)
def _shop_days_of(zone: tzinfo, start_iso: str, end_iso: str) -> tuple[str, ...] | None:
    start, end = from_iso(start_iso).astimezone(zone), from_iso(end_iso).astimezone(zone)
    if start.timetz().replace(tzinfo=None) != time(0) or end.timetz().replace(tzinfo=None) != time(0):
        return None
    return tuple((start.date() + timedelta(days=n)).isoformat() for n in range((end.date() - start.date()).days))


@functools.lru_cache(maxsize=4096)
def _utc_days_of(zone: tzinfo, day: str) -> tuple[str, ...]:
    """The UTC dates the shop's calendar `day` overlaps in `zone` (one in UTC, two elsewhere)."""
    start = datetime.combine(date.fromisoformat(day), time(0), zone)
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), zone) - timedelta(seconds=1)
    first, last = to_iso(start)[:10], to_iso(end)[:10]
    return (first,) if first == last else (first, last)


class KpiService:
    """All KPI numbers for the panels; reads only, so it can run in a worker on its own connection."""

    def __init__(self, db: Database, *, currency: str | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self._one_zone = threading.local()  # per thread: the zone read at the start of a refresh (_one_zone_per_call)
        self.clock = clock  # "now" for the counts of open cases
        self._currency = currency  # None: the shop's (Settings), read at each use so a change shows at once
        self.families: dict[str, DailyCache] = {}  # by name; each keeps its days in memory and in the store
        self.day_store = DayStore()  # shared, so one refusal by a busy store pauses every family's writes
        self._delivered_days = self._family("delivered", "ship_done", self._compute_delivered, self._DELIVERED_SQL)
        self._door_days = self._family("door_histogram", "ship_done", self._compute_door_histogram, self._DOOR_SQL)
        self._score_days = self._family("scorecard", "ship_created", self._compute_scorecard, self._CARRIERS_SQL,
                                        self._DRIVERS_SQL)
        self._fleet_days = self._family("fleet", "fleet", self._compute_fleet, self._FLEET_SQL)

    @property
    def currency(self) -> str:
        """The shop's currency (ISO 4217): costs are shown in it, '€12.65' in a Helsinki shop, not '$12.65'."""
        if self._currency:
            return self._currency
        row = self.db.reader().execute("SELECT value FROM settings WHERE key = 'shop.currency'").fetchone()
        return (row[0] if row else None) or "USD"

    def _family(self, name: str, topic: str, compute, *sql: str) -> DailyCache:
        """A per-day cache over the change-log `topic` (see kpi_cache). Its version is the family's SQL, so rows
        stored by a build with other SQL are never read; bump ROWS_VERSION when Python changes the rows instead."""
        # The zone is part of the version: a day's rows are that zone's day, never read as another zone's.
        version = f"{ROWS_VERSION}.{hashlib.sha1(''.join(sql).encode()).hexdigest()[:12]}.{self._zone_name()}"
        # Shipment families learn of every change to their days; the others also re-read the days where news lands.
        fresh_days = 0 if topic in ("ship_done", "ship_created") else 2
        family = self.families[name] = DailyCache(name, version, topic, compute, fresh_days=fresh_days,
                                                   store=self.day_store, today=lambda: day_in(self.zone(), utcnow()),
                                                   utc_days_of=self._utc_days_of)
        return family

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.reader()

    def _zone_name(self) -> str:
        zone = self.zone()
        return getattr(zone, "key", None) or str(zone)

    def zone(self) -> tzinfo:
        """The shop's zone, whose calendar days the periods cover (store.shop_clock); read once per refresh."""
        held = getattr(self._one_zone, "zone", None)
        return held if held is not None else shop_zone(self.conn)

    def _shop_days(self, start_iso: str, end_iso: str) -> list[str] | None:
        """The shop's calendar days of [start, end) when both are the shop's midnights, else None (then the KPI is
        computed directly): the days the per-day cache keeps."""
        days = _shop_days_of(self.zone(), start_iso, end_iso)
        return None if days is None else list(days)

    def _utc_days_of(self, day: str) -> tuple[str, ...]:
        """The UTC dates the shop's calendar `day` overlaps (one in UTC, two elsewhere)."""
        return _utc_days_of(self.zone(), day)

    def _midnight(self, day: str) -> str:
        """When the shop's calendar `day` begins, as stored UTC text."""
        return to_iso(datetime.combine(date.fromisoformat(day), time(0), self.zone()))

    def _by_shop_day(self, sql: str, start_iso: str, end_iso: str) -> str:
        """`sql` with each `substr(column, 1, width)` bucket read in the shop's calendar (see shop_day_sql)."""
        return _BUCKET.sub(lambda m: f"substr({shop_day_sql(m[1], self.zone(), from_iso(start_iso), from_iso(end_iso))}, "
                                     f"1, {m[2]})", sql)

    def last_days(self, days: int, now: datetime | None = None) -> Period:
        """The shop's last `days` days including today: "Today" at 19:10 in Portland is Portland's day, not UTC's."""
        return Period.last_days(days, now, zone=self.zone())

    def between(self, first: date, last: date) -> Period:
        """The shop's days `first` to `last`, both included."""
        start, end = day_start(self.conn, first), day_start(self.conn, max(last, first) + timedelta(days=1))
        return Period(start, end, f"{first:%d %b} to {max(last, first):%d %b}")

    @_one_zone_per_call
    def panels(self, period: Period) -> list[KpiValue]:
        previous = period.previous()
        span = (to_iso(previous.start), to_iso(period.end))
        width = 13 if period.hourly else 10
        zone = self.zone()
        cut = to_iso(period.start)[:13] if period.hourly else period.start.astimezone(zone).date().isoformat()
        buckets = period.buckets(zone)
        kpis: list[KpiValue] = []

        def add(key, label, unit, rows, numerator, denominator=None, better="higher", filter=None, cut=cut):
            current = [r for r in rows if r["b"] >= cut]
            before = [r for r in rows if r["b"] < cut]

            def value(selected):
                top = sum(numerator(r) or 0 for r in selected)
                if denominator is None:
                    return float(top) if selected or unit == "count" else None
                return _ratio(top, sum(denominator(r) or 0 for r in selected))

            by_bucket = {r["b"]: r for r in current}
            trend = tuple(value([by_bucket[b]]) if b in by_bucket else (0.0 if denominator is None else None) for b in buckets)
            kpis.append(KpiValue(key, label, value(current), value(before) if before or denominator is None else None, unit,
                                 DEFINITIONS[key], trend, better, self.currency,
                                 filter or KpiFilter("orders", **orders_in)))

        delivered = self._delivered(span, width)
        zone = self.zone()  # the filters' days are the shop's (the Orders view filters by the shop's delivery date)
        orders_in = dict(since=period.start.astimezone(zone), until=period.end.astimezone(zone))
        add("on_time_rate", "On time", "percent", delivered, lambda r: r["on_time"], lambda r: r["promised"],
            filter=KpiFilter("orders", ("delivered",), **orders_in))
        add("first_attempt_rate", "First attempt", "percent", delivered, lambda r: r["first_attempt"], lambda r: r["n"],
            filter=KpiFilter("orders", ("delivered",), **orders_in))
        add("order_to_door_avg", "Order to door", "hours", delivered, lambda r: r["door_hours"], lambda r: r["n"], better="lower",
            filter=KpiFilter("orders", ("delivered",), **orders_in))
        p90_now, p90_before = self._p90_door(period, width), self._p90_door(previous, width)
        kpis.append(KpiValue("order_to_door_p90", "Order to door (90%)", p90_now, p90_before, "hours",
                             DEFINITIONS["order_to_door_p90"], (), "lower", self.currency,
                             KpiFilter("orders", ("delivered",), **orders_in)))
        add("cost_per_delivery", "Cost per delivery", "money", delivered, lambda r: r["cost"], lambda r: r["costed"],
            better="lower", filter=KpiFilter("orders", ("delivered",), **orders_in))
        add("cost_per_parcel", "Cost per parcel", "money", delivered, lambda r: r["cost"], lambda r: r["costed_parcels"],
            better="lower", filter=KpiFilter("orders", ("delivered",), **orders_in))
        cases_in = orders_in
        resolved = self._bucketed("time_to_resolve", "case_resolved", self._RESOLVED_SQL, width, span)
        kpis.append(self._open_exceptions(period, buckets, width, span, resolved, KpiFilter("exceptions", **cases_in)))
        add("mean_time_to_resolve", "Time to resolve", "hours", resolved,
            lambda r: r["hours"], lambda r: r["n"], better="lower", filter=KpiFilter("exceptions", **cases_in))
        add("failed_attempts", "Failed attempts", "count", self._bucketed("failed_attempts", "failed_event",
            "SELECT substr(event_time, 1, ?) AS b, count(*) AS n FROM tracking_events WHERE status = 'failed_attempt' "
            "AND event_time >= ? AND event_time < ? GROUP BY b", width, span), lambda r: r["n"], better="lower",
            filter=KpiFilter("orders", ("failed_attempt",), **orders_in))
        add("returned", "Returned", "count", self._bucketed("returned", "ship_done",
            "SELECT substr(status_as_of, 1, ?) AS b, count(*) AS n FROM shipments WHERE status = 'returned' AND kind = 'delivery' "
            "AND status_as_of >= ? AND status_as_of < ? GROUP BY b", width, span), lambda r: r["n"], better="lower",
            filter=KpiFilter("orders", ("returned", "returning"), **orders_in))
        fleet = self._fleet(period, previous)
        fleet_filter = KpiFilter("orders", carriers=("own_fleet",), **orders_in)
        day = shop_day(self.conn, period.start).isoformat()  # routes are bucketed by plan date, a shop day
        add("fleet_utilisation", "Van utilisation", "percent", fleet, lambda r: r["used_h"], lambda r: r["shift_h"],
            filter=fleet_filter, cut=day)
        add("stops_per_hour", "Stops per hour", "number", fleet, lambda r: r["stops"], lambda r: r["used_h"],
            filter=fleet_filter, cut=day)
        add("distance_per_stop", "Distance per stop", "km", fleet, lambda r: r["km"], lambda r: r["stops"], better="lower",
            filter=fleet_filter, cut=day)
        add("notification_delivery_rate", "Messages delivered", "percent", self._bucketed("messages", "message",
            "SELECT substr(created_at, 1, ?) AS b, sum(status = 'sent') AS sent, sum(status IN ('sent', 'failed')) AS tried "
            "FROM notifications WHERE created_at >= ? AND created_at < ? GROUP BY b", width, span),
            lambda r: r["sent"], lambda r: r["tried"], filter=KpiFilter("orders", **orders_in))
        return kpis

    _OPENED_SQL = ("SELECT substr(opened_at, 1, ?) AS b, count(*) AS n FROM exceptions "
                   "WHERE opened_at >= ? AND opened_at < ? GROUP BY b")
    _RESOLVED_SQL = ("SELECT substr(resolved_at, 1, ?) AS b, count(*) AS n, "
                     "sum((julianday(resolved_at) - julianday(opened_at)) * 24) AS hours FROM exceptions "
                     "WHERE resolved_at >= ? AND resolved_at < ? GROUP BY b")

    def _open_exceptions(self, period: Period, buckets: list[str], width: int, span: tuple[str, str], resolved: list,
                         filter: KpiFilter) -> KpiValue:
        """Open exceptions (control.open_exceptions, the queue's own count) at the period's end and the previous one's;
        the trend walks from the count at the period's start through each bucket's openings and resolutions."""
        now = self.clock()
        value, previous = open_at(self.conn, period.end, now), open_at(self.conn, period.start, now)
        opened = {r["b"]: r["n"] for r in self._bucketed("exceptions_opened", "case_opened", self._OPENED_SQL, width, span)}
        closed = {r["b"]: r["n"] for r in resolved}
        now_key = to_iso(now)[:13] if width == 13 else now.astimezone(self.zone()).date().isoformat()
        trend, running = [], previous
        for bucket in buckets:
            running += opened.get(bucket, 0) - closed.get(bucket, 0)
            trend.append(None if bucket > now_key else float(value if bucket == now_key else running))
        return KpiValue("open_exceptions", "Open exceptions", float(value), float(previous), "count",
                        DEFINITIONS["open_exceptions"], tuple(trend), "lower", self.currency, filter)

    def _bucketed(self, name: str, topic: str, sql: str, width: int, span: tuple[str, str]) -> list:
        """A (bucket, measures...) query over the span; by UTC day it is served from the family's daily cache."""
        days = self._shop_days(*span) if width == 10 else None
        if not days:
            return self.conn.execute(self._by_shop_day(sql, *span) if width == 10 else sql, (width, *span)).fetchall()
        family = self.families.get(name)
        if family is None:
            family = self._family(name, topic, lambda conn, first, end: _by_day(conn.execute(
                self._by_shop_day(sql, self._midnight(first), self._midnight(end)),
                (10, self._midnight(first), self._midnight(end)))), sql)
        return [row for rows in family.rows(self.conn, days).values() for row in rows]

    _DELIVERED_SQL = (
        "SELECT substr(s.status_as_of, 1, ?) AS b, count(*) AS n, "
        "sum(COALESCE(s.promised_by, o.promised_end) IS NOT NULL) AS promised, "
        "sum(s.status_as_of <= COALESCE(s.promised_by, o.promised_end)) AS on_time, "
        "sum(NOT EXISTS (SELECT 1 FROM tracking_events t WHERE t.shipment_id = s.id AND t.status = 'failed_attempt')) AS first_attempt, "
        "sum(s.cost_minor) AS cost, count(s.cost_minor) AS costed, sum(CASE WHEN s.cost_minor IS NOT NULL THEN o.parcels END) AS costed_parcels, "
        "sum((julianday(s.status_as_of) - julianday(o.created_at)) * 24) AS door_hours "
        "FROM shipments s JOIN orders o ON o.id = s.order_id "
        "WHERE s.status = 'delivered' AND s.kind = 'delivery' AND s.status_as_of >= ? AND s.status_as_of < ? GROUP BY b")

    def _delivered(self, span: tuple[str, str], width: int) -> list:
        """Per bucket: deliveries, on time, with a promise, first attempt, cost, parcels, order-to-door hours."""
        days = self._shop_days(*span) if width == 10 else None
        if days:
            return [row for rows in self._delivered_days.rows(self.conn, days).values() for row in rows]
        return self.conn.execute(self._by_shop_day(self._DELIVERED_SQL, *span) if width == 10 else self._DELIVERED_SQL,
                                 (width, *span)).fetchall()

    def _compute_delivered(self, conn, first: str, end: str) -> dict[str, list[dict]]:
        start, end = self._midnight(first), self._midnight(end)
        return _by_day(conn.execute(self._by_shop_day(self._DELIVERED_SQL, start, end), (10, start, end)))

    _DOOR_WHERE = ("FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.status = 'delivered' AND s.kind = 'delivery' "
                   "AND s.status_as_of >= ? AND s.status_as_of < ?")

    # Quarter-hour bins of order-to-door time per day; the epsilon keeps exact hours in their own bin.
    _DOOR_SQL = ("SELECT substr(s.status_as_of, 1, 10) AS b, "
                 "CAST((julianday(s.status_as_of) - julianday(o.created_at)) * 96 + 1e-6 AS INTEGER) "
                 f"AS bin, count(*) AS n {_DOOR_WHERE} GROUP BY b, bin")

    def _compute_door_histogram(self, conn, first: str, end: str) -> dict[str, list[dict]]:
        start, end = self._midnight(first), self._midnight(end)
        return _by_day(conn.execute(self._by_shop_day(self._DOOR_SQL, start, end), (start, end)))

    def _p90_door(self, period: Period, width: int) -> float | None:
        """Nearest-rank 90th percentile: the smallest time with at least 90 % of deliveries at or below it."""
        params = (to_iso(period.start), to_iso(period.end))
        days = self._shop_days(*params) if width == 10 else None
        if days:  # from the daily histograms, to the quarter hour
            bins: dict[int, int] = {}
            for rows in self._door_days.rows(self.conn, days).values():
                for row in rows:
                    bins[row["bin"]] = bins.get(row["bin"], 0) + row["n"]
            count = sum(bins.values())
            if not count:
                return None
            rank, seen = max(1, -(-9 * count // 10)), 0
            for bin_, n in sorted(bins.items()):
                seen += n
                if seen >= rank:
                    return bin_ / 4
        count = self.conn.execute(f"SELECT count(*) {self._DOOR_WHERE}", params).fetchone()[0]
        if not count:
            return None
        rank = max(1, -(-9 * count // 10))
        row = self.conn.execute(f"SELECT (julianday(s.status_as_of) - julianday(o.created_at)) * 24 AS h {self._DOOR_WHERE} "
                                f"ORDER BY h LIMIT 1 OFFSET ?", params + (rank - 1,)).fetchone()
        return row[0]

    def _fleet(self, period: Period, previous: Period) -> list:
        """Per plan date: route hours, shift hours, completed stops and km for the own vans."""
        first, end = shop_day(self.conn, previous.start), shop_day(self.conn, period.end)
        days = [(first + timedelta(days=n)).isoformat() for n in range((end - first).days)]
        return [row for rows in self._fleet_days.rows(self.conn, days).values() for row in rows]

    _FLEET_SQL = (
        "SELECT r.plan_date AS b, sum(r.duration_s) / 3600.0 AS used_h, sum(r.distance_m) / 1000.0 AS km, "
        "sum((julianday('2000-01-01 ' || v.shift_end) - julianday('2000-01-01 ' || v.shift_start)) * 24) AS shift_h, "
        "sum((SELECT count(*) FROM stops st WHERE st.route_id = r.id AND st.status = 'delivered')) AS stops "
        "FROM routes r JOIN vehicles v ON v.id = r.vehicle_id WHERE r.plan_date >= ? AND r.plan_date < ? GROUP BY b")

    def _compute_fleet(self, conn, first: str, end: str) -> dict[str, list[dict]]:
        return _by_day(conn.execute(self._FLEET_SQL, (first, end)))

    _COSTS_SQL = (
        "SELECT substr(s.status_as_of, 1, ?) AS b, s.carrier AS carrier, o.delivery_option AS option, count(*) AS n, "
        "sum(s.cost_minor) AS cost, count(s.cost_minor) AS costed, sum(CASE WHEN s.cost_minor IS NOT NULL THEN o.parcels END) AS parcels "
        "FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.status = 'delivered' AND s.kind = 'delivery' "
        "AND s.status_as_of >= ? AND s.status_as_of < ? GROUP BY b, s.carrier, o.delivery_option")

    @_one_zone_per_call
    def cost_breakdown(self, period: Period) -> list[CostRow]:
        """Cost per delivery and per parcel by carrier and by delivery option."""
        rows = self._bucketed("costs", "ship_done", self._COSTS_SQL, 10, (to_iso(period.start), to_iso(period.end)))
        result, names = [], carrier_accounts.names(self.conn)
        for group in ("carrier", "option"):
            totals: dict[str, list[int]] = {}
            for row in rows:
                total = totals.setdefault(row[group], [0, 0, 0, 0])
                for i, key in enumerate(("n", "cost", "costed", "parcels")):
                    total[i] += row[key] or 0
            result.extend(CostRow(group, carrier_row_name(name, names) if group == "carrier" else name, n,
                                  _ratio(cost, costed), _ratio(cost, parcels))
                          for name, (n, cost, costed, parcels) in sorted(totals.items()))
        return result

    _MEASURES = (
        "count(*) AS volume, sum(s.status = 'delivered') AS delivered, "
        "sum(s.status = 'delivered' AND COALESCE(s.promised_by, o.promised_end) IS NOT NULL) AS promised, "
        "sum(s.status = 'delivered' AND s.status_as_of <= COALESCE(s.promised_by, o.promised_end)) AS on_time, "
        "sum(s.status = 'delivered' AND NOT EXISTS (SELECT 1 FROM tracking_events t WHERE t.shipment_id = s.id "
        " AND t.status = 'failed_attempt')) AS first_attempt, "
        "sum(CASE WHEN s.status = 'delivered' THEN s.cost_minor END) AS cost, "
        "count(CASE WHEN s.status = 'delivered' THEN s.cost_minor END) AS costed, "
        "sum(EXISTS (SELECT 1 FROM exceptions e WHERE e.shipment_id = s.id AND e.kind NOT IN ('complaint', 'low_rating'))) "
        "AS with_exception, "
        "count(CASE WHEN s.cost_minor IS NOT NULL AND s.quoted_cost_minor > 0 THEN 1 END) AS quoted, "
        "sum(s.cost_minor IS NOT NULL AND s.quoted_cost_minor > 0 AND abs(s.cost_minor - s.quoted_cost_minor) <= 0.05 * s.quoted_cost_minor) AS accurate, "
        "sum((SELECT count(*) FROM exceptions e WHERE e.order_id = s.order_id AND e.kind = 'complaint')) AS complaints ")
    _SUMMED = ("volume", "delivered", "promised", "on_time", "first_attempt", "cost", "costed", "with_exception", "quoted",
               "accurate", "complaints")

    _CARRIERS_SQL = (
        f"SELECT substr(s.created_at, 1, ?) AS b, 'carrier' AS kind, s.carrier AS name, {_MEASURES} "
        f"FROM shipments s JOIN orders o ON o.id = s.order_id "
        f"WHERE s.kind = 'delivery' AND s.carrier != 'own_fleet' AND s.created_at >= ? AND s.created_at < ? "
        f"GROUP BY b, s.carrier")
    _DRIVERS_SQL = (
        f"SELECT substr(s.created_at, 1, ?) AS b, 'driver' AS kind, d.name AS name, {_MEASURES} "
        f"FROM shipments s JOIN orders o ON o.id = s.order_id "
        f"JOIN stops st ON st.order_id = s.order_id AND st.kind = 'delivery' JOIN routes r ON r.id = st.route_id "
        f"JOIN vehicles v ON v.id = r.vehicle_id JOIN drivers d ON d.id = v.driver_id "
        f"WHERE s.kind = 'delivery' AND s.carrier = 'own_fleet' AND s.created_at >= ? AND s.created_at < ? "
        f"GROUP BY b, d.id")

    def _scorecard_rows(self, conn, start: str, end: str, width: int) -> list[sqlite3.Row]:
        carriers = conn.execute(self._by_shop_day(self._CARRIERS_SQL, start, end), (width, start, end)).fetchall()
        drivers = conn.execute(self._by_shop_day(self._DRIVERS_SQL, start, end), (width, start, end)).fetchall()
        return list(carriers) + list(drivers)

    def _compute_scorecard(self, conn, first: str, end: str) -> dict[str, list[dict]]:
        return _by_day(self._scorecard_rows(conn, self._midnight(first), self._midnight(end), 10))

    @_one_zone_per_call
    def scorecard(self, period: Period) -> list[ScorecardRow]:
        """One row per carrier (shipments created in the period) and per own driver (their vans' stops)."""
        span = (to_iso(period.start), to_iso(period.end))
        days = self._shop_days(*span)
        if days:
            rows = [row for day_rows in self._score_days.rows(self.conn, days).values() for row in day_rows]
        else:
            rows = [dict(r) for r in self._scorecard_rows(self.conn, *span, 10)]
        totals: dict[tuple[str, str], dict] = {}
        for row in rows:
            total = totals.setdefault((row["kind"], row["name"]), dict.fromkeys(self._SUMMED, 0))
            for key in self._SUMMED:
                total[key] += row[key] or 0
        ordered = sorted(totals.items(), key=lambda item: (item[0][0], -item[1]["volume"], item[0][1]))
        names = carrier_accounts.names(self.conn)
        return [ScorecardRow(kind, carrier_row_name(name, names) if kind == "carrier" else name, t["volume"], t["delivered"],
                             _ratio(t["on_time"], t["promised"]),
                             _ratio(t["first_attempt"], t["delivered"]), _ratio(t["cost"], t["costed"]),
                             _ratio(t["with_exception"], t["volume"]), _ratio(t["accurate"], t["quoted"]), t["complaints"],
                             self.currency)
                for (kind, name), t in ordered]

    def csat(self, period: Period) -> list["CsatRow"]:
        """Customers' ratings per driver, van, carrier and delivery option, with how many were asked and replied."""
        from .csat import csat_rows

        return csat_rows(self.conn, to_iso(period.start), to_iso(period.end))

    def low_score_reasons(self, period: Period) -> list["ReasonRow"]:
        """Why low ratings in the period were low (the follow-up's answers)."""
        from .csat import low_score_reasons

        return low_score_reasons(self.conn, to_iso(period.start), to_iso(period.end))


_BUCKET = re.compile(r"substr\(([a-z_.]+), 1, (\?|10)\)")


def shop_day_sql(column: str, zone: tzinfo, start: datetime, end: datetime) -> str:
    """SQL for the local date and time of `column` (UTC ISO text) in `zone`, for moments in [start - 1 day, end + 1 day].

    The zone's offset is constant between its changes, so one CASE over the changes in the span keeps the work in
    SQLite's C (a Python function per row would cost more than the whole query)."""
    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds() // 60)

    moment, last = start - timedelta(days=1), end + timedelta(days=1)
    cases, current = [], offset(moment)
    while moment < last:
        step = min(moment + timedelta(days=1), last)
        if offset(step) != current:  # a change within this day: find its minute
            low, high = moment, step
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            cases.append(f"WHEN {column} < '{to_iso(high)}' THEN '{current:+d} minutes'")
            current = offset(high)
        moment = step
    if not cases:
        return f"datetime({column}, '{current:+d} minutes')"
    return f"datetime({column}, CASE {' '.join(cases)} ELSE '{current:+d} minutes' END)"


def _by_day(rows) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["b"][:10], []).append(dict(row))
    return grouped
