"""ETAs for open shipments: own vans from the route plan and the driver's progress, carriers from their estimate or history."""
from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ..domain.timeutil import from_iso, to_iso, utcnow
from ..store.shop_clock import shop_day, shop_zone

OWN_FLEET = "own_fleet"
# Statuses in which a shipment is still on its way to the customer.
OPEN_DELIVERY_STATUSES = ("created", "quoted", "booked", "picked_up", "in_transit", "out_for_delivery", "failed_attempt", "exception")
_DONE_STOP = ("delivered", "failed", "skipped")
OPEN_SQL = "s.status NOT IN ('delivered', 'returned', 'cancelled')"  # matches the shipments_open partial index
_HISTORY_SAMPLE = 200  # delivered shipments per carrier and service used to learn a typical transit time


@dataclass(frozen=True)
class Eta:
    """When a shipment should reach the customer, how sure we are, and whether that breaks the promise."""

    shipment_id: int
    order_id: int
    carrier: str
    eta: datetime | None
    confidence: float  # 0..1
    source: str  # route_plan, driver_progress, carrier, history, none
    promised_by: datetime | None

    @property
    def at_risk(self) -> bool:
        """The ETA is past the promise: the customer will be late unless something changes."""
        return self.eta is not None and self.promised_by is not None and self.eta > self.promised_by

    @property
    def slack(self) -> timedelta | None:
        if self.eta is None or self.promised_by is None:
            return None
        return self.promised_by - self.eta


def open_shipment_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Open delivery shipments with their promise (the shipment's own, else the order's window end).

    In-store pickups are left out: 'booked' there means ready on the shelf, and no one is late but the customer.
    """
    # Written as NOT IN so SQLite uses the partial index of unfinished shipments (migration 0006).
    return conn.execute(
        f"SELECT s.id, s.order_id, s.carrier, s.service, s.status, s.eta, s.created_at, s.status_as_of, s.last_event_at, "
        f"COALESCE(s.promised_by, o.promised_end) AS promised_by, o.delivery_option "
        f"FROM shipments s JOIN orders o ON o.id = s.order_id "
        f"WHERE {OPEN_SQL} AND s.status != 'returning' AND s.kind = 'delivery' AND s.carrier != 'pickup' "
        f"AND o.delivery_option != 'pickup'"
    ).fetchall()


def own_fleet_arrivals(conn: sqlite3.Connection, order_ids: set[int], now: datetime | None = None) -> dict[int, tuple[datetime, float, str]]:
    """order_id -> (re-timed arrival, confidence, source) for orders on a route today or later.

    Each route's remaining stops shift by the delay of its latest completed stop: a driver
    running 20 minutes late at stop 5 will be about 20 minutes late at stop 6 and after.
    """
    if not order_ids:
        return {}
    # Only routes of yesterday, today and later: an older route with stops left is history, not a plan.
    since = (shop_day(conn, now) - timedelta(days=1)).isoformat()  # plan dates are the shop's days
    rows = conn.execute(
        "SELECT st.route_id, st.order_id, st.sequence, st.planned_arrival, st.actual_arrival, st.status "
        "FROM stops st WHERE st.route_id IN (SELECT r.id FROM routes r WHERE r.plan_date >= ? AND r.id IN "
        "(SELECT route_id FROM stops WHERE route_id IS NOT NULL AND status NOT IN ('delivered', 'failed', 'skipped'))) "
        "ORDER BY st.route_id, st.sequence", (since,)
    ).fetchall()
    by_route: dict[int, list[sqlite3.Row]] = {}
    for row in rows:
        by_route.setdefault(row["route_id"], []).append(row)
    arrivals: dict[int, tuple[datetime, float, str]] = {}
    for stops in by_route.values():
        delay = timedelta(0)
        remaining = 0
        progressed = False
        for stop in stops:
            planned = from_iso(stop["planned_arrival"])
            if stop["status"] in _DONE_STOP:
                actual = from_iso(stop["actual_arrival"])
                if planned and actual:
                    delay = actual - planned
                    progressed = True
                continue
            if planned is None or stop["order_id"] not in order_ids:
                remaining += 1
                continue
            remaining += 1
            # Each stop still ahead adds uncertainty (traffic, parking, a chatty customer).
            confidence = max(0.4, 0.92 - 0.03 * remaining)
            arrivals[stop["order_id"]] = (planned + delay, confidence, "driver_progress" if progressed else "route_plan")
    return arrivals


class TransitHistory:
    """Typical order-to-door time per carrier and service, learned from the shop's own delivered shipments."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._cache: dict[tuple[str, str], tuple[timedelta, int] | None] = {}

    def typical(self, carrier: str, service: str) -> tuple[timedelta, int] | None:
        """(median transit, sample size), or None with fewer than three deliveries to learn from."""
        key = (carrier, service)
        if key not in self._cache:
            rows = self._conn.execute(
                "SELECT created_at, status_as_of FROM shipments WHERE carrier = ? AND service = ? AND status = 'delivered' "
                "AND kind = 'delivery' AND status_as_of IS NOT NULL ORDER BY id DESC LIMIT ?",
                (carrier, service, _HISTORY_SAMPLE),
            ).fetchall()
            if len(rows) < 3 and service:
                rows = self._conn.execute(
                    "SELECT created_at, status_as_of FROM shipments WHERE carrier = ? AND status = 'delivered' "
                    "AND kind = 'delivery' AND status_as_of IS NOT NULL ORDER BY id DESC LIMIT ?",
                    (carrier, _HISTORY_SAMPLE),
                ).fetchall()
            seconds = [(from_iso(r["status_as_of"]) - from_iso(r["created_at"])).total_seconds() for r in rows]
            self._cache[key] = (timedelta(seconds=statistics.median(seconds)), len(seconds)) if len(seconds) >= 3 else None
        return self._cache[key]


def estimate_all(conn: sqlite3.Connection, now: datetime | None = None, rows: list[sqlite3.Row] | None = None) -> list[Eta]:
    """An ETA for every open delivery shipment (`rows`: open_shipment_rows already read by the caller)."""
    now = now or utcnow()
    rows = open_shipment_rows(conn) if rows is None else rows
    own_orders = {r["order_id"] for r in rows if r["carrier"] == OWN_FLEET}
    arrivals = own_fleet_arrivals(conn, own_orders, now)
    history = TransitHistory(conn)
    return [_estimate(row, arrivals, history, now) for row in rows]


def estimate_for(conn: sqlite3.Connection, shipment_id: int, now: datetime | None = None) -> Eta | None:
    return next((eta for eta in estimate_all(conn, now) if eta.shipment_id == shipment_id), None)


def _estimate(row: sqlite3.Row, arrivals: dict, history: TransitHistory, now: datetime) -> Eta:
    promised = from_iso(row["promised_by"])
    base = dict(shipment_id=row["id"], order_id=row["order_id"], carrier=row["carrier"], promised_by=promised)
    if row["carrier"] == OWN_FLEET:
        if row["order_id"] in arrivals:
            arrival, confidence, source = arrivals[row["order_id"]]
            return Eta(eta=arrival, confidence=confidence, source=source, **base)
        return Eta(eta=None, confidence=0.0, source="none", **base)
    if row["eta"]:
        # Out for delivery, the carrier's estimate is usually good to the hour.
        confidence = 0.85 if row["status"] == "out_for_delivery" else 0.7
        return Eta(eta=from_iso(row["eta"]), confidence=confidence, source="carrier", **base)
    learned = history.typical(row["carrier"], row["service"])
    if learned:
        typical, samples = learned
        estimate = max(from_iso(row["created_at"]) + typical, now)
        return Eta(eta=estimate, confidence=round(min(0.65, 0.3 + samples / 100), 2), source="history", **base)
    return Eta(eta=None, confidence=0.0, source="none", **base)


def format_eta(eta: Eta) -> str:
    """One line for tooltips and logs."""
    if eta.eta is None:
        return "no ETA yet"
    return f"{to_iso(eta.eta)} ({eta.source}, {round(eta.confidence * 100)}% sure)"


def likely_window(moment: datetime, confidence: float, zone: tzinfo, now: datetime) -> str:
    """An ETA as a shop owner says it: "likely 14:10–14:40" in the shop's time, wider the less sure it is
    (±5 min when sure, ±15 min at 65 %, ±45 min with no confidence), with the day when it is not today."""
    half = timedelta(minutes=max(5, 5 * round((1 - max(0.0, min(1.0, confidence))) * 45 / 5)))
    start, end = (moment - half).astimezone(zone), (moment + half).astimezone(zone)
    start -= timedelta(minutes=start.minute % 5, seconds=start.second, microseconds=start.microsecond)
    if end.minute % 5 or end.second or end.microsecond:
        end += timedelta(minutes=5 - end.minute % 5) - timedelta(seconds=end.second, microseconds=end.microsecond)
    return f"likely {day_words(start, now.astimezone(zone))}{start:%H:%M}–{end:%H:%M}"


def day_words(moment: datetime, today: datetime) -> str:
    """'' today, 'tomorrow ', else 'Tue 9 Jun ' (both in the same zone)."""
    days = (moment.date() - today.date()).days
    if days == 0:
        return ""
    if days == 1:
        return "tomorrow "
    return f"{moment:%a} {moment.day} {moment:%b} "
