"""Damaged or lost: the carrier reports the parcel damaged, lost or destroyed."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule

WORDS = ("damage", "lost", "destroyed", "missing", "broken")


@rule("damaged_or_lost", facts_only=True)
def damaged_or_lost(facts: Facts):
    for row in facts.conn.execute(
        "SELECT s.id, s.order_id, s.carrier, t.raw_text, t.raw_code FROM shipments s "
        "JOIN tracking_events t ON t.id = (SELECT id FROM tracking_events WHERE shipment_id = s.id "
        " ORDER BY event_time DESC, id DESC LIMIT 1) "
        "WHERE s.status = 'exception'"
    ):
        text = f"{row['raw_text']} {row['raw_code']}".lower()
        if not any(word in text for word in WORDS):
            continue
        yield Finding(
            "damaged_or_lost", Severity.CRITICAL, f"damaged:{row['id']}",
            f"{facts.carrier_name(row['carrier'])} reports: {row['raw_text'] or row['raw_code']}",
            "Send a replacement or refund, and file a claim with the carrier",
            row["order_id"], row["id"],
        )
