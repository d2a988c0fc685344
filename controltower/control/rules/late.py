"""Late: an open delivery is past the time promised to the customer."""
from __future__ import annotations

from ...domain import Severity
from ...domain.timeutil import from_iso
from .base import Facts, Finding, rule


@rule("late")
def late(facts: Facts):
    for row in facts.open_shipments:
        promised = from_iso(row["promised_by"])
        if promised is None or facts.now <= promised:
            continue
        hours = (facts.now - promised).total_seconds() / 3600
        yield Finding(
            "late", Severity.CRITICAL if hours >= 4 else Severity.HIGH, f"late:{row['id']}",
            f"{_overdue(hours)} past the promised time ({facts.carrier_name(row['carrier'])}, {row['status'].replace('_', ' ')})",
            "Reschedule with the customer, or re-book with a faster option",
            row["order_id"], row["id"],
        )


def _overdue(hours: float) -> str:
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} days"
