"""At risk: the ETA is beyond the promise while there is still time to act."""
from __future__ import annotations

from ...domain import Severity
from .base import Facts, Finding, rule


@rule("at_risk")
def at_risk(facts: Facts):
    for eta in facts.etas:
        if not eta.at_risk or facts.now > eta.promised_by:
            continue  # already late: the late rule owns it
        minutes = -eta.slack.total_seconds() / 60
        yield Finding(
            "at_risk", Severity.HIGH if minutes >= 60 else Severity.MEDIUM, f"at_risk:{eta.shipment_id}",
            f"ETA {minutes:.0f} min after the promise ({eta.source}, {round(eta.confidence * 100)}% sure)",
            "Warn the customer with a new time, or move it to a van that can make it",
            eta.order_id, eta.shipment_id,
        )
