"""Customer unreachable: the driver could not reach them, or every message to them failed."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule

WORDS = ("no one home", "nobody home", "unreachable", "not available", "unavailable", "no answer", "customer not")


@rule("customer_unreachable", facts_only=True)
def customer_unreachable(facts: Facts):
    for row in facts.open_shipments:
        if row["status"] != "failed_attempt":
            continue
        text = facts.conn.execute(
            "SELECT lower(raw_text || ' ' || raw_code || ' ' || note) FROM tracking_events WHERE shipment_id = ? "
            "ORDER BY event_time DESC, id DESC LIMIT 1", (row["id"],),
        ).fetchone()
        if text and any(word in text[0] for word in WORDS):
            yield _finding(row["order_id"], row["id"], "The driver could not reach the customer")
    # Start from recent failed messages (indexed by status and time), not from every message ever sent.
    for row in facts.conn.execute(
        "SELECT f.order_id, (SELECT max(s.id) FROM shipments s WHERE s.order_id = f.order_id AND s.kind = 'delivery' "
        " AND s.status NOT IN ('delivered', 'returned', 'cancelled')) AS shipment_id "
        "FROM (SELECT DISTINCT order_id FROM notifications INDEXED BY notifications_status "
        "WHERE status = 'failed' AND created_at >= ?) f "
        "WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = f.order_id AND n.status = 'sent')",
        (facts.recent_since,),
    ):
        if row["shipment_id"] is None:
            continue
        yield _finding(row["order_id"], row["shipment_id"], "No message to the customer got through")


def _finding(order_id: int, shipment_id: int, summary: str) -> Finding:
    return Finding(
        "customer_unreachable", Severity.MEDIUM, f"unreachable:{order_id}", summary,
        "Check the phone number and email, then reschedule", order_id, shipment_id,
    )
