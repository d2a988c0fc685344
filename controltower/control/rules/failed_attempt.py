"""Failed attempt: the carrier or driver could not deliver; each attempt is its own case."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule


@rule("failed_attempt", facts_only=True)
def failed_attempt(facts: Facts):
    for row in facts.open_shipments:
        if row["status"] != "failed_attempt":
            continue
        yield Finding(
            "failed_attempt", Severity.HIGH, f"failed_attempt:{row['id']}:{row['status_as_of']}",
            f"Delivery attempt failed ({facts.carrier_name(row['carrier'])})",
            "Contact the customer and reschedule, or start a return",
            row["order_id"], row["id"],
        )
