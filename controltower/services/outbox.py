"""The carrier writes waiting to go out (bookings, cancellations, returns), and withdrawing one before it is sent."""
from __future__ import annotations

from ..kernel.events import EventHub
from ..store import Database, carrier_accounts
from ..sync import outbox
from ..sync.outbox import OutboxEntry
from ..sync.writes import cancel_write

__all__ = ["OutboxEntry", "OutboxService"]


class OutboxService:
    """What the queue panel shows and does; the sync engine sends the writes, this only reads and withdraws."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def queued(self) -> list[OutboxEntry]:
        """Writes not yet settled (waiting, sending, being checked, refused), oldest first."""
        return outbox.queued(self.db.reader())

    def carrier_names(self) -> dict[str, str]:
        """Carrier code -> the name the shop gave the account (the panel shows names, never codes)."""
        return carrier_accounts.names(self.db.reader())

    def cancel(self, entry_id: int) -> OutboxEntry:
        """Withdraw a write that has not reached the carrier (a withdrawn booking cancels its shipment).

        Raises CannotCancel (a UserFacingError) when the carrier may already have it."""
        with self.db.transaction() as conn:
            entry = cancel_write(conn, entry_id)
        if self.hub is not None:
            self.hub.publish("outbox.changed", ids=[entry.id])
            self.hub.publish("shipments.changed", ids=[entry.shipment_id])
        return entry
