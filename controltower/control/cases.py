"""Reading the exception queue: open cases sorted by severity and age, filters, and counts per kind."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..domain import Money, Severity
from ..domain.timeutil import from_iso, to_iso, utcnow

KIND_LABELS = {
    "late": "Late", "at_risk": "At risk", "failed_attempt": "Failed attempt", "stalled": "Stalled",
    "address_problem": "Address problem", "booking_failed": "Booking failed", "carrier_no_show": "Carrier no-show",
    "damaged_or_lost": "Damaged or lost", "returned_to_sender": "Returned to sender",
    "customer_unreachable": "Customer unreachable", "cost_over_quote": "Cost over quote", "complaint": "Complaint",
    "low_rating": "Low rating",
}


@dataclass(frozen=True)
class CaseFilter:
    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    order_ids: tuple[int, ...] = ()
    search: str = ""  # order number or customer name
    include_snoozed: bool = False


@dataclass(frozen=True)
class CaseRow:
    """One line of the queue."""

    id: int
    kind: str
    severity: Severity
    summary: str
    suggested_action: str
    opened_at: datetime
    order_id: int | None
    shipment_id: int | None
    order_ref: str
    customer_name: str
    carrier: str
    snoozed_until: datetime | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


def _where(case_filter: CaseFilter, now: datetime) -> tuple[str, list]:
    clauses, params = ["e.resolved_at IS NULL"], []
    if not case_filter.include_snoozed:
        clauses.append("(e.snoozed_until IS NULL OR e.snoozed_until <= ?)")
        params.append(to_iso(now))
    for column, values in (("e.kind", case_filter.kinds), ("e.severity", case_filter.severities),
                           ("s.carrier", case_filter.carriers), ("e.order_id", case_filter.order_ids)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if case_filter.search.strip():
        clauses.append("(o.order_ref LIKE ? OR o.customer_name LIKE ?)")
        like = f"%{case_filter.search.strip()}%"
        params.extend([like, like])
    return " WHERE " + " AND ".join(clauses), params


_FROM = " FROM exceptions e LEFT JOIN orders o ON o.id = e.order_id LEFT JOIN shipments s ON s.id = e.shipment_id"


def open_cases(conn: sqlite3.Connection, case_filter: CaseFilter = CaseFilter(), *, limit: int = 500,
               now: datetime | None = None) -> list[CaseRow]:
    """Open cases, most severe first, then oldest first (the one waiting longest needs you first).

    One query per severity, each walking the open-cases index in time order and stopping at the limit,
    so a queue of tens of thousands reads only the rows it shows.
    """
    where, params = _where(case_filter, now or utcnow())
    found: list[CaseRow] = []
    for severity in ("critical", "high", "medium", "low"):
        if len(found) >= limit or (case_filter.severities and severity not in case_filter.severities):
            continue
        rows = conn.execute(
            "SELECT e.id, e.kind, e.severity, e.summary, e.suggested_action, e.opened_at, e.order_id, e.shipment_id, "
            "e.snoozed_until, COALESCE(o.order_ref, '') AS order_ref, COALESCE(o.customer_name, '') AS customer_name, "
            f"COALESCE(s.carrier, '') AS carrier{_FROM}{where} AND e.severity = ? ORDER BY e.opened_at, e.id LIMIT ?",
            params + [severity, limit - len(found)]).fetchall()
        found.extend(CaseRow(r["id"], r["kind"], Severity(r["severity"]), r["summary"], r["suggested_action"],
                             from_iso(r["opened_at"]), r["order_id"], r["shipment_id"], r["order_ref"], r["customer_name"],
                             r["carrier"], from_iso(r["snoozed_until"])) for r in rows)
    return found


def actions_for(conn: sqlite3.Connection, exception_id: int) -> list[tuple[datetime, str, str]]:
    """A case's history: opened, contacted, snoozed, resolved."""
    return [(from_iso(r[0]), r[1], r[2]) for r in conn.execute(
        "SELECT at, action, note FROM exception_actions WHERE exception_id = ? ORDER BY at, id", (exception_id,))]


@dataclass(frozen=True)
class RebookQuote:
    """One of the re-book choices: another carrier's unexpired quote for the order."""

    id: int
    carrier: str
    service: str
    price: Money
    estimated_delivery: datetime | None


@dataclass(frozen=True)
class VanChoice:
    """One of the shop's active vans, with its driver's name (empty when none is set)."""

    id: int
    name: str
    driver: str


def quotes_for(conn: sqlite3.Connection, order_id: int, exclude_carrier: str = "") -> list[RebookQuote]:
    """Unexpired quotes for an order from other carriers, cheapest first (the re-book choices)."""
    rows = conn.execute(
        "SELECT id, carrier, service, price_minor, currency, estimated_delivery FROM quotes WHERE order_id = ? AND carrier != ? "
        "AND (expires_at IS NULL OR expires_at > ?) ORDER BY price_minor", (order_id, exclude_carrier, to_iso(utcnow()))).fetchall()
    return [RebookQuote(r["id"], r["carrier"], r["service"], Money(r["price_minor"], r["currency"]),
                        from_iso(r["estimated_delivery"])) for r in rows]


def active_vehicles(conn: sqlite3.Connection) -> list[VanChoice]:
    return [VanChoice(r["id"], r["name"], r["driver"]) for r in conn.execute(
        "SELECT v.id, v.name, COALESCE(d.name, '') AS driver FROM vehicles v "
        "LEFT JOIN drivers d ON d.id = v.driver_id WHERE v.active = 1 ORDER BY v.name")]
