"""Creating carrier writes: the shipment and its outbox entry land in one transaction, then the engine sends them."""
from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..carriers.base import ShipmentRequest
from ..domain import Money, Shipment, ShipmentStatus
from ..kernel.errors import UserFacingError
from ..store import audit
from ..store.shipments import create_shipment, get_shipment, set_status
from . import outbox
from .codec import request_to_json


@dataclass(frozen=True)
class QueuedWrite:
    """What enqueueing made: the shipment, its outbox entry and the idempotency key the carrier will see."""

    shipment_id: int
    outbox_id: int
    idempotency_key: str
    our_reference: str


class CannotCancel(UserFacingError):
    """The user asked to withdraw a write that can no longer be withdrawn."""


def enqueue_booking(conn: sqlite3.Connection, *, order_id: int, carrier: str, request: ShipmentRequest,
                    quoted_cost: Money | None = None, operation: str = "book", promised_by: datetime | None = None,
                    eta: datetime | None = None) -> QueuedWrite:
    """A new shipment for the order plus its booking in the outbox, atomically. Call inside `db.transaction()`.

    `request.our_reference` is replaced with one unique to this shipment, so an uncertain booking can
    always be found again at the carrier. Use operation="return" for a return (a shipment of kind 'return').
    """
    if not conn.in_transaction:
        raise RuntimeError("enqueue_booking must run inside db.transaction(), so shipment and outbox land together")
    kind = "return" if operation == "return" else "delivery"
    shipment_id = create_shipment(conn, Shipment(order_id=order_id, carrier=carrier, service=request.service,
                                                 quoted_cost=quoted_cost, kind=kind, promised_by=promised_by, eta=eta))
    reference = f"CT-{shipment_id}-{uuid.uuid4().hex[:8]}"
    request = dataclasses.replace(request, our_reference=reference, is_return=request.is_return or kind == "return")
    entry = outbox.add(conn, carrier=carrier, operation=operation, shipment_id=shipment_id,
                       payload={"request": request_to_json(request)})
    audit.record(conn, f"outbox.{operation}", "shipment", shipment_id, after={"carrier": carrier, "outbox_id": entry.id},
                 actor="user")
    return QueuedWrite(shipment_id, entry.id, entry.idempotency_key, reference)


def enqueue_return(conn: sqlite3.Connection, *, order_id: int, carrier: str, request: ShipmentRequest) -> QueuedWrite:
    """A return shipment (customer back to shop) booked through the outbox."""
    return enqueue_booking(conn, order_id=order_id, carrier=carrier, request=request, operation="return")


def enqueue_cancel(conn: sqlite3.Connection, shipment_id: int) -> QueuedWrite | None:
    """Cancel a shipment. A booking still waiting in the outbox is simply withdrawn (None is returned);
    otherwise a cancel goes into the outbox after the booking, to be sent once the booking is settled."""
    shipment = get_shipment(conn, shipment_id)
    if shipment is None:
        raise KeyError(f"no shipment {shipment_id}")
    waiting = conn.execute("SELECT id FROM outbox WHERE shipment_id = ? AND operation IN ('book', 'return') "
                           "AND state = 'pending'", (shipment_id,)).fetchone()
    if waiting is not None:
        cancel_write(conn, waiting["id"])
        return None
    entry = outbox.add(conn, carrier=shipment.carrier, operation="cancel", shipment_id=shipment_id, payload={})
    audit.record(conn, "outbox.cancel", "shipment", shipment_id, after={"outbox_id": entry.id})
    return QueuedWrite(shipment_id, entry.id, entry.idempotency_key, "")


def cancel_write(conn: sqlite3.Connection, outbox_id: int) -> outbox.OutboxEntry:
    """The user withdraws a queued write (the Cancel button). A withdrawn booking cancels its shipment."""
    try:
        entry = outbox.cancel(conn, outbox_id)
    except ValueError as error:
        raise CannotCancel(f"This write cannot be cancelled: {error}.",
                           "Wait until it is settled; then cancel the shipment itself.") from error
    if entry.operation in ("book", "return") and entry.shipment_id is not None:
        shipment = get_shipment(conn, entry.shipment_id)
        if shipment is not None and shipment.status != ShipmentStatus.CANCELLED:
            set_status(conn, entry.shipment_id, ShipmentStatus.CANCELLED, reason="queued booking withdrawn")
    audit.record(conn, "outbox.withdrawn", "outbox", outbox_id, before={"state": "pending"}, after={"state": "cancelled"})
    return entry
