"""Confirming a dispatch: each chosen way becomes a shipment (carriers through the outbox), once per order, carrier and attempt."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..domain import Shipment, ShipmentStatus
from ..domain.timeutil import to_iso, utcnow
from ..store import audit
from ..store.orders import get_order
from ..store.shipments import create_shipment, set_status
from .allocate import Choice
from .rates import OWN_FLEET, PICKUP, shipment_request
from .settings import ShopSettings

log = logging.getLogger(__name__)

QUEUED, BOOKED, ALREADY, FAILED = "queued", "booked", "already booked", "failed"
_OPEN_SHIPMENT = ("created", "quoted", "booked", "picked_up", "in_transit", "out_for_delivery", "exception")


@dataclass(frozen=True)
class BookingLine:
    """What happened to one order on confirm, in words for the review list."""

    order_id: int
    order_ref: str
    carrier: str
    service: str
    outcome: str  # queued (carrier write in the outbox), booked (own van / pickup), already booked, failed
    message: str = ""
    shipment_id: int | None = None


@dataclass(frozen=True)
class BookingReport:
    lines: tuple[BookingLine, ...]

    def with_outcome(self, outcome: str) -> list[BookingLine]:
        return [line for line in self.lines if line.outcome == outcome]

    @property
    def failed(self) -> list[BookingLine]:
        return self.with_outcome(FAILED)

    def summary(self) -> str:
        counts = {o: len(self.with_outcome(o)) for o in (QUEUED, BOOKED, ALREADY, FAILED)}
        text = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "nothing to book"
        return text[0].upper() + text[1:] + "."


def dispatch_key(order_id: int, carrier: str, service: str, attempt: int) -> str:
    """The same order, carrier, service and attempt always give the same key, so a retried confirm is a no-op."""
    digest = hashlib.sha256(f"{order_id}|{carrier}|{service}|{attempt}".encode()).hexdigest()[:20]
    return f"dispatch-{order_id}-{attempt}-{digest}"


def attempt_for(conn, order_id: int) -> int:
    """1 + the order's earlier bookings that came to nothing (cancelled, failed, refused): the same until one does,
    so pressing Confirm again repeats the same keys, while a real re-dispatch gets new ones."""
    ended = conn.execute(
        "SELECT count(*) FROM dispatch_bookings d LEFT JOIN shipments s ON s.id = d.shipment_id WHERE d.order_id = ? AND "
        "(s.id IS NULL OR s.status IN ('cancelled', 'failed_attempt', 'returned') "
        "OR EXISTS (SELECT 1 FROM outbox o WHERE o.id = d.outbox_id AND o.state IN ('failed', 'cancelled')))", (order_id,),
    ).fetchone()[0]
    return 1 + ended


def confirm(db, settings: ShopSettings, choices: Iterable[Choice], now: datetime, attempt: int | None = None) -> BookingReport:
    """Book every choice, each order in its own transaction: one failure never undoes or blocks the others.

    `attempt` (default: worked out per order by `attempt_for`) goes into each booking's key.
    """
    lines = []
    for choice in choices:
        try:
            with db.transaction() as conn:
                lines.append(_book_one(conn, settings, choice, now, attempt))
        except Exception as exc:  # the order stays unbooked and the reason goes on the list
            log.warning("booking order %s with %s failed: %s", choice.order_id, choice.carrier, exc)
            ref = db.scalar("SELECT order_ref FROM orders WHERE id = ?", (choice.order_id,)) or str(choice.order_id)
            lines.append(BookingLine(choice.order_id, ref, choice.carrier, choice.service, FAILED, str(exc)))
    return BookingReport(tuple(lines))


def _book_one(conn, settings: ShopSettings, choice: Choice, now: datetime, attempt: int | None) -> BookingLine:
    attempt = attempt if attempt is not None else attempt_for(conn, choice.order_id)
    key = dispatch_key(choice.order_id, choice.carrier, choice.service, attempt)
    order = get_order(conn, choice.order_id)
    if order is None:
        return BookingLine(choice.order_id, str(choice.order_id), choice.carrier, choice.service, FAILED, "the order no longer exists")
    line = lambda outcome, message="", shipment_id=None: BookingLine(  # noqa: E731
        order.id, order.order_ref, choice.carrier, choice.service, outcome, message, shipment_id)
    done = conn.execute("SELECT shipment_id FROM dispatch_bookings WHERE dispatch_key = ?", (key,)).fetchone()
    if done is not None:
        return line(ALREADY, "booked by an earlier confirm", done["shipment_id"])
    active = conn.execute(
        f"SELECT carrier FROM shipments WHERE order_id = ? AND kind = 'delivery' AND status IN ({','.join('?' * len(_OPEN_SHIPMENT))})",
        (order.id, *_OPEN_SHIPMENT)).fetchone()
    if active is not None:
        return line(FAILED, f"already has a shipment with {active['carrier']}; cancel it first")
    latest = conn.execute("SELECT status FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
                          (order.id,)).fetchone()
    # A cancelled booking leaves the order 'cancelled' too; only an order cancelled for itself is refused.
    if order.status.is_final and not (latest is not None and latest["status"] == "cancelled" == order.status.value):
        return line(FAILED, f"the order is {order.status.label.lower()}")
    promised_by = order.promised_window.end if order.promised_window else None
    eta = choice.row.estimated_delivery if choice.row else None
    outbox_id = None
    if choice.carrier in (OWN_FLEET, PICKUP):
        shipment_id = create_shipment(conn, Shipment(order.id, choice.carrier, service=choice.service, quoted_cost=choice.cost,
                                                     cost=choice.cost, promised_by=promised_by, eta=eta))
        set_status(conn, shipment_id, ShipmentStatus.BOOKED, reason="dispatched")
        if choice.carrier == OWN_FLEET:
            _add_stop(conn, order.id, choice, settings)
        outcome = BOOKED
    else:
        request = shipment_request(order, settings, key, ready_at=now)
        if choice.row and choice.row.quote:
            from dataclasses import replace

            request = replace(request, quote_id=choice.row.quote.external_id, service=choice.service)
        shipment_id, outbox_id = enqueue_carrier_write(conn, order.id, choice.carrier, request, key, quoted_cost=choice.cost)
        conn.execute("UPDATE shipments SET promised_by = ?, eta = ? WHERE id = ?", (to_iso(promised_by), to_iso(eta), shipment_id))
        outcome = QUEUED
    conn.execute("INSERT INTO dispatch_bookings(dispatch_key, order_id, carrier, service, attempt, shipment_id, outbox_id, created_at) "
                 "VALUES (?,?,?,?,?,?,?,?)", (key, order.id, choice.carrier, choice.service, attempt, shipment_id, outbox_id, to_iso(now)))
    audit.record(conn, "dispatch.confirm", "order", order.id, after={"carrier": choice.carrier, "service": choice.service,
                                                                     "cost_minor": choice.cost.amount_minor, "key": key})
    return line(outcome, "", shipment_id)


def enqueue_carrier_write(conn, order_id: int, carrier: str, request, key: str, *, quoted_cost=None,
                          operation: str = "book") -> tuple[int, int]:
    """A shipment and its outbox write (book or return) in the caller's transaction; returns (shipment id, outbox id).

    Goes through the sync engine's own enqueue functions when they are installed, so its engine sends them.
    """
    try:
        from ..sync import writes
    except ImportError:
        writes = None
    if writes is not None:
        queued = writes.enqueue_booking(conn, order_id=order_id, carrier=carrier, request=request, quoted_cost=quoted_cost,
                                        operation=operation)
        return queued.shipment_id, queued.outbox_id
    from ..sync.codec import request_to_json

    kind = "return" if operation == "return" else "delivery"
    shipment_id = create_shipment(conn, Shipment(order_id, carrier, service=request.service, quoted_cost=quoted_cost, kind=kind))
    now = to_iso(utcnow())
    outbox_id = conn.execute(
        "INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, payload_json, state, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
        (key, carrier, operation, shipment_id, json.dumps({"request": request_to_json(request)}, sort_keys=True), now, now, now),
    ).lastrowid
    return shipment_id, outbox_id


def _add_stop(conn, order_id: int, choice: Choice, settings: ShopSettings) -> int:
    """A stop on the route the insertion was priced on (at that position), or an unplanned stop for the planner."""
    route_id, position = None, None
    reference = choice.row.quote.external_id if choice.row and choice.row.quote else ""
    if reference.startswith("route:"):
        _, route_text, position_text = reference.split(":")
        route_id = int(route_text) if route_text else None
        position = int(position_text) if route_id else None
    sequence = None
    if route_id is not None:
        # The same stops, in the same order, that the insertion was priced over.
        ordered = [r[0] or 0 for r in conn.execute(
            "SELECT s.sequence FROM stops s JOIN orders o ON o.id = s.order_id WHERE s.route_id = ? "
            "AND s.status NOT IN ('failed', 'skipped') AND o.lat IS NOT NULL ORDER BY s.sequence, s.id", (route_id,))]
        sequence = ordered[position - 1] + 1 if 0 < position <= len(ordered) else (ordered[0] if ordered else 0)
        conn.execute("UPDATE stops SET sequence = sequence + 1 WHERE route_id = ? AND sequence >= ?", (route_id, sequence))
    eta = choice.row.estimated_delivery if choice.row else None
    plan_date = eta.astimezone(settings.tz).date().isoformat() if eta and route_id is None else None
    return conn.execute("INSERT INTO stops(order_id, route_id, kind, sequence, plan_date) VALUES (?, ?, 'delivery', ?, ?)",
                        (order_id, route_id, sequence, plan_date)).lastrowid
