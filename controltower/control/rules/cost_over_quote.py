"""Cost over quote: the carrier charged noticeably more than it quoted."""
from __future__ import annotations

from ...domain import Money, Severity
from .base import Facts, Finding, rule

TOLERANCE = 0.05  # carriers round and add small surcharges; flag more than 5 % over
MIN_OVER_MINOR = 50


@rule("cost_over_quote", facts_only=True)
def cost_over_quote(facts: Facts):
    for row in facts.conn.execute(
        "SELECT id, order_id, carrier, cost_minor, quoted_cost_minor, currency FROM shipments "
        "WHERE cost_minor > quoted_cost_minor AND quoted_cost_minor > 0 AND cost_minor > quoted_cost_minor * ? "
        "AND cost_minor - quoted_cost_minor >= ? "
        "AND created_at >= ?",
        (1 + TOLERANCE, MIN_OVER_MINOR, facts.recent_since),
    ):
        over = Money(row["cost_minor"] - row["quoted_cost_minor"], row["currency"])
        yield Finding(
            "cost_over_quote", Severity.LOW, f"cost:{row['id']}",
            f"{facts.carrier_name(row['carrier'])} charged {over} more than quoted "
            f"({Money(row['cost_minor'], row['currency'])} vs {Money(row['quoted_cost_minor'], row['currency'])})",
            "Dispute the charge with the carrier", row["order_id"], row["id"],
        )
