"""Confirming a dispatch: each chosen way becomes a shipment (carriers through the outbox), once per order, carrier and attempt."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..domain import Shipment, ShipmentStatus
from ..domain.status import can_transition
from ..domain.timeutil import to_iso
from ..routing import plans
from ..store import audit
from ..store.orders import get_order
from ..store.shipments import create_shipment, get_shipment, set_status
from ..sync import outbox, writes
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
                lines.append(book_one(conn, settings, choice, now, attempt))
        except Exception as exc:  # the order stays unbooked and the reason goes on the list
            log.warning("booking order %s with %s failed: %s", choice.order_id, choice.carrier, exc)
            ref = db.scalar("SELECT order_ref FROM orders WHERE id = ?", (choice.order_id,)) or str(choice.order_id)
            lines.append(BookingLine(choice.order_id, ref, choice.carrier, choice.service, FAILED, str(exc)))
    return BookingReport(tuple(lines))


def book_one(conn, settings: ShopSettings, choice: Choice, now: datetime, attempt: int | None,
             replacing: int | None = None) -> BookingLine:
    """Book one order the chosen way in the caller's transaction: a carrier's through the outbox with a real
    ShipmentRequest carrying the chosen quote, an own van's as a stop, a pickup at once. `replacing` is the
    shipment a re-booking has just withdrawn (it may stay in 'exception' when the parcel is already moving)."""
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
        f"SELECT carrier FROM shipments WHERE order_id = ? AND kind = 'delivery' AND id IS NOT ? "
        f"AND status IN ({','.join('?' * len(_OPEN_SHIPMENT))})", (order.id, replacing, *_OPEN_SHIPMENT)).fetchone()
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
        queued = writes.enqueue_booking(conn, order_id=order.id, carrier=choice.carrier, request=request, quoted_cost=choice.cost,
                                        promised_by=promised_by, eta=eta)
        shipment_id, outbox_id = queued.shipment_id, queued.outbox_id
        outcome = QUEUED
    conn.execute("INSERT INTO dispatch_bookings(dispatch_key, order_id, carrier, service, attempt, shipment_id, outbox_id, created_at) "
                 "VALUES (?,?,?,?,?,?,?,?)", (key, order.id, choice.carrier, choice.service, attempt, shipment_id, outbox_id, to_iso(now)))
    audit.record(conn, "dispatch.confirm", "order", order.id, after={"carrier": choice.carrier, "service": choice.service,
                                                                     "cost_minor": choice.cost.amount_minor, "key": key})
    return line(outcome, "", shipment_id)


def _add_stop(conn, order_id: int, choice: Choice, settings: ShopSettings) -> int:
    """A stop on the route the insertion was priced on (at that position), or an unplanned stop for the planner."""
    route_id, position = None, None
    reference = choice.row.quote.external_id if choice.row and choice.row.quote else ""
    if reference.startswith("route:"):
        _, route_text, position_text = reference.split(":")
        route_id = int(route_text) if route_text else None
        position = int(position_text) if route_id else None
    if route_id is not None:
        return plans.insert_stop_after(conn, order_id, route_id, position)
    eta = choice.row.estimated_delivery if choice.row else None
    return plans.add_stop(conn, order_id, plan_date=eta.astimezone(settings.tz).date().isoformat() if eta else None)


def live_delivery(conn, order_id: int) -> Shipment | None:
    """The order's delivery shipment still under way (booked or being booked, not yet delivered or failed), if any."""
    marks = ",".join("?" * len(_OPEN_SHIPMENT))
    row = conn.execute(f"SELECT id FROM shipments WHERE order_id = ? AND kind = 'delivery' AND status IN ({marks}) "
                       "ORDER BY id DESC LIMIT 1", (order_id, *_OPEN_SHIPMENT)).fetchone()
    return get_shipment(conn, row["id"]) if row else None


def withdraw(conn, shipment: Shipment, reason: str, actor: str = "user") -> int | None:
    """Stop a shipment that is being replaced: cancelled in the store and, when the carrier has (or may have) it,
    with the carrier through the outbox; a van's stop for it is skipped. Returns the cancel's outbox id, if one was queued."""
    queued = None
    if shipment.carrier not in (OWN_FLEET, PICKUP) and (shipment.external_id or outbox.open_for_shipment(conn, shipment.id)):
        queued = writes.enqueue_cancel(conn, shipment.id)  # a booking still waiting is simply withdrawn (None)
    current = get_shipment(conn, shipment.id)
    if not current.status.is_final:
        target = ShipmentStatus.CANCELLED if can_transition(current.status, ShipmentStatus.CANCELLED) else ShipmentStatus.EXCEPTION
        if target != current.status:
            set_status(conn, shipment.id, target, actor=actor, reason=reason)
    if shipment.carrier == OWN_FLEET:
        stop_id = plans.open_stop_for(conn, shipment.order_id)
        if stop_id is not None:
            plans.set_stop_status(conn, stop_id, "skipped")
    return queued.outbox_id if queued else None
