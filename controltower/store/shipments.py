"""Shipments and their append-only tracking history, kept consistent with the lifecycle state machine."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..domain import Money, Shipment, ShipmentStatus, TrackingEvent
from ..domain.status import Timeline, apply_event, transition
from ..domain.timeutil import from_iso, to_iso, utcnow
from . import audit, orders


def create_shipment(conn: sqlite3.Connection, shipment: Shipment) -> int:
    now = to_iso(utcnow())
    shipment_id = conn.execute(
        "INSERT INTO shipments(order_id, kind, carrier, service, status, status_as_of, tracking_number, external_id, "
        "cost_minor, quoted_cost_minor, currency, promised_by, eta, label_path, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (shipment.order_id, shipment.kind, shipment.carrier, shipment.service, shipment.status.value,
         to_iso(shipment.status_as_of), shipment.tracking_number, shipment.external_id,
         shipment.cost.amount_minor if shipment.cost else None,
         shipment.quoted_cost.amount_minor if shipment.quoted_cost else None,
         (shipment.cost or shipment.quoted_cost or Money(0)).currency,
         to_iso(shipment.promised_by), to_iso(shipment.eta), shipment.label_path, to_iso(shipment.created_at) or now, now),
    ).lastrowid
    orders.follow_delivery(conn, shipment_id)
    return shipment_id


def row_to_shipment(row: sqlite3.Row) -> Shipment:
    currency = row["currency"]
    return Shipment(
        id=row["id"], order_id=row["order_id"], carrier=row["carrier"], status=ShipmentStatus(row["status"]),
        service=row["service"], tracking_number=row["tracking_number"],
        cost=None if row["cost_minor"] is None else Money(row["cost_minor"], currency),
        quoted_cost=None if row["quoted_cost_minor"] is None else Money(row["quoted_cost_minor"], currency),
        promised_by=from_iso(row["promised_by"]), eta=from_iso(row["eta"]), kind=row["kind"],
        external_id=row["external_id"], label_path=row["label_path"], status_as_of=from_iso(row["status_as_of"]),
        created_at=from_iso(row["created_at"]),
    )


def get_shipment(conn: sqlite3.Connection, shipment_id: int) -> Shipment | None:
    row = conn.execute("SELECT * FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
    return None if row is None else row_to_shipment(row)


def shipments_for_order(conn: sqlite3.Connection, order_id: int) -> list[Shipment]:
    return [row_to_shipment(r) for r in conn.execute("SELECT * FROM shipments WHERE order_id = ? ORDER BY id", (order_id,))]


def find_by_tracking(conn: sqlite3.Connection, carrier: str, tracking_number: str) -> Shipment | None:
    row = conn.execute("SELECT * FROM shipments WHERE carrier = ? AND tracking_number = ? ORDER BY id DESC LIMIT 1",
                       (carrier, tracking_number)).fetchone()
    return None if row is None else row_to_shipment(row)


def set_status(conn: sqlite3.Connection, shipment_id: int, status: ShipmentStatus, *, actor: str = "user", reason: str = "") -> Shipment:
    """A deliberate status change (user or service): illegal transitions raise IllegalTransition."""
    current = get_shipment(conn, shipment_id)
    if current is None:
        raise KeyError(f"no shipment {shipment_id}")
    new_status = transition(current.status, status)
    now = to_iso(utcnow())
    conn.execute("UPDATE shipments SET status = ?, status_as_of = ?, updated_at = ? WHERE id = ?",
                 (new_status.value, now, now, shipment_id))
    audit.record(conn, "shipment.status", "shipment", shipment_id, before={"status": current.status.value},
                 after={"status": new_status.value, "reason": reason}, actor=actor)
    orders.follow_delivery(conn, shipment_id)
    return get_shipment(conn, shipment_id)


def update_booking(conn: sqlite3.Connection, shipment_id: int, *, tracking_number: str = "", external_id: str = "",
                   cost: Money | None = None, eta=None, label_path: str = "", service: str = "") -> None:
    """Record what a carrier returned for a booking (fields left empty keep their value)."""
    now = to_iso(utcnow())
    conn.execute(
        "UPDATE shipments SET tracking_number = COALESCE(NULLIF(?, ''), tracking_number), "
        "external_id = COALESCE(NULLIF(?, ''), external_id), cost_minor = COALESCE(?, cost_minor), "
        "eta = COALESCE(?, eta), label_path = COALESCE(NULLIF(?, ''), label_path), "
        "service = COALESCE(NULLIF(?, ''), service), updated_at = ? WHERE id = ?",
        (tracking_number, external_id, cost.amount_minor if cost else None, to_iso(eta), label_path, service, now, shipment_id),
    )
    orders.follow_delivery(conn, shipment_id)


def set_promised_by(conn: sqlite3.Connection, order_id: int, promised_by) -> None:
    """Move the promise of the order's open delivery shipments (the order was rescheduled)."""
    conn.execute("UPDATE shipments SET promised_by = ?, updated_at = ? WHERE order_id = ? AND kind = 'delivery' "
                 "AND status NOT IN ('delivered', 'returned', 'cancelled')", (to_iso(promised_by), to_iso(utcnow()), order_id))


@dataclass(frozen=True)
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    applied: int = 0
    history_only: int = 0


def ingest_events(conn: sqlite3.Connection, shipment_id: int, events: list[TrackingEvent]) -> IngestResult:
    """Store new tracking events once each, and move the shipment by event time. Call inside a transaction."""
    shipment = get_shipment(conn, shipment_id)
    if shipment is None:
        raise KeyError(f"no shipment {shipment_id}")
    timeline = Timeline(shipment.status, shipment.status_as_of)
    stored = duplicates = applied = history = 0
    received = to_iso(utcnow())
    last_event_at = None
    for event in sorted(events, key=lambda e: e.event_time):
        outcome = apply_event(timeline, event.status, event.event_time)
        cursor = conn.execute(
            "INSERT INTO tracking_events(shipment_id, carrier, tracking_number, event_key, status, raw_code, raw_text, "
            "event_time, received_at, location, lat, lon, applied, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(carrier, tracking_number, event_key) DO NOTHING",
            (shipment_id, event.carrier, event.tracking_number, event.dedup_key(), event.status.value, event.raw_code,
             event.raw_text, to_iso(event.event_time), received, event.location, event.lat, event.lon,
             int(outcome.applied), outcome.reason),
        )
        if cursor.rowcount == 0:
            duplicates += 1
            continue
        stored += 1
        last_event_at = max(last_event_at or event.event_time, event.event_time)
        if outcome.applied:
            applied += 1
            timeline = outcome.timeline
        else:
            history += 1
    if stored:
        now = to_iso(utcnow())
        conn.execute(
            "UPDATE shipments SET status = ?, status_as_of = ?, updated_at = ?, "
            "last_event_at = MAX(COALESCE(last_event_at, ''), ?) WHERE id = ?",
            (timeline.status.value, to_iso(timeline.as_of), now, to_iso(last_event_at), shipment_id),
        )
        orders.follow_delivery(conn, shipment_id)
    return IngestResult(stored, duplicates, applied, history)


def events_for(conn: sqlite3.Connection, shipment_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM tracking_events WHERE shipment_id = ? ORDER BY event_time, id", (shipment_id,)).fetchall()

