"""Booking failed: the carrier refused the booking, or no courier accepted the job."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule


@rule("booking_failed", facts_only=True)
def booking_failed(facts: Facts):
    for row in facts.conn.execute(
        "SELECT b.id, b.carrier, b.shipment_id, b.last_error, s.order_id FROM outbox b "
        "JOIN shipments s ON s.id = b.shipment_id "
        "WHERE b.operation = 'book' AND b.state = 'failed' AND s.status IN ('created', 'quoted', 'exception')"
    ):
        error = row["last_error"] or "no reason given"
        no_courier = "courier" in error.lower() or "accept" in error.lower()
        yield Finding(
            "booking_failed", Severity.CRITICAL, f"booking_failed:{row['id']}",
            ("No courier accepted the job" if no_courier else f"{facts.carrier_name(row['carrier'])} refused the booking") + f": {error}",
            "Re-book with another carrier from the quotes, or give it to your own driver",
            row["order_id"], row["shipment_id"],
        )
