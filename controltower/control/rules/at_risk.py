"""At risk: the ETA is beyond the promise while there is still time to act."""
from __future__ import annotations

from ...domain import Severity
from ..eta import day_words, likely_window
from .base import Facts, Finding, rule


@rule("at_risk")
def at_risk(facts: Facts):
    for eta in facts.etas:
        if not eta.at_risk or facts.now > eta.promised_by:
            continue  # already late: the late rule owns it
        minutes = -eta.slack.total_seconds() / 60
        zone = facts.zone
        promised = eta.promised_by.astimezone(zone)
        yield Finding(
            "at_risk", Severity.HIGH if minutes >= 60 else Severity.MEDIUM, f"at_risk:{eta.shipment_id}",
            f"Arrives after its promise ({day_words(promised, facts.now.astimezone(zone))}{promised:%H:%M}): "
            f"{likely_window(eta.eta, eta.confidence, zone, facts.now)}",
            "Warn the customer with a new time, or move it to a van that can make it",
            eta.order_id, eta.shipment_id,
        )
