"""Carrier no-show: booked, but nobody collected the parcel by the expected pickup time."""
from __future__ import annotations

from datetime import timedelta

from ...domain import Severity
from ...domain.timeutil import from_iso
from .base import Facts, Finding, rule

GRACE = timedelta(minutes=30)
# Without a quoted pickup time: couriers come within the hour, parcel carriers on their next round.
DEFAULT_WAIT = {"courier": timedelta(hours=1), "parcel": timedelta(hours=24)}
FALLBACK_WAIT = timedelta(hours=4)


@rule("carrier_no_show")
def carrier_no_show(facts: Facts):
    for row in facts.conn.execute(
        "SELECT s.id, s.order_id, s.carrier, s.status_as_of, s.created_at, a.kind AS carrier_kind, "
        "(SELECT q.estimated_pickup FROM quotes q WHERE q.order_id = s.order_id AND q.carrier = s.carrier "
        " AND q.estimated_pickup IS NOT NULL ORDER BY q.id DESC LIMIT 1) AS pickup "
        "FROM shipments s LEFT JOIN carrier_accounts a ON a.code = s.carrier "
        "WHERE s.status = 'booked' AND s.carrier NOT IN ('own_fleet', 'pickup') AND COALESCE(a.kind, '') != 'pickup'"
    ):
        expected = from_iso(row["pickup"])
        if expected is None:
            booked = from_iso(row["status_as_of"] or row["created_at"])
            expected = booked + DEFAULT_WAIT.get(row["carrier_kind"] or "", FALLBACK_WAIT)
        if facts.now <= expected + GRACE:
            continue
        minutes = (facts.now - expected).total_seconds() / 60
        yield Finding(
            "carrier_no_show", Severity.HIGH, f"no_show:{row['id']}",
            f"{facts.carrier_name(row['carrier'])} has not collected the parcel, {minutes:.0f} min after the expected pickup",
            "Call the carrier, or re-book with another one",
            row["order_id"], row["id"],
        )
