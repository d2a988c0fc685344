"""Returned to sender: a delivery is on its way back (or back) to the shop."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule


@rule("returned_to_sender", facts_only=True)
def returned_to_sender(facts: Facts):
    for row in facts.conn.execute(
        "SELECT id, order_id, carrier, status FROM shipments WHERE kind = 'delivery' AND status IN ('returning', 'returned') "
        "AND status_as_of >= ?", (facts.recent_since,)
    ):
        yield Finding(
            "returned_to_sender", Severity.MEDIUM, f"rts:{row['id']}",
            f"{facts.carrier_name(row['carrier'])}: parcel {'returned' if row['status'] == 'returned' else 'on its way back'} to the shop",
            "Contact the customer: re-send or refund",
            row["order_id"], row["id"],
        )
