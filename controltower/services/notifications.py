"""Customer messages as the windows see them: who an order's customer is reachable at, and what was sent to them."""
from __future__ import annotations

from dataclasses import dataclass

from ..control.notify import history
from ..control.notify.outbox import SentRecord
from ..kernel.events import EventHub
from ..store import Database

__all__ = ["CustomerContact", "NotificationService", "SentRecord"]


@dataclass(frozen=True)
class CustomerContact:
    """How an order's customer can be reached (empty text: no address or number)."""

    order_id: int
    order_ref: str
    customer_name: str
    email: str
    phone: str


class NotificationService:
    """Reads for the message composer and an order's message history (messages are queued by
    ControlService.contact_customer and sent by the app's notification job)."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def contact(self, order_id: int) -> CustomerContact:
        row = self.db.reader().execute("SELECT order_ref, customer_name, email, phone FROM orders WHERE id = ?",
                                       (order_id,)).fetchone()
        if row is None:
            raise KeyError(f"no order {order_id}")
        return CustomerContact(order_id, row["order_ref"], row["customer_name"], row["email"] or "", row["phone"] or "")

    def history(self, order_id: int) -> list[SentRecord]:
        """Every message for the order, newest first."""
        return history(self.db.reader(), order_id)
