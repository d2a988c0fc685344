"""Stalled: no tracking news for longer than this carrier normally goes quiet."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

from ...domain import Severity
from ...domain.timeutil import from_iso
from .base import Facts, Finding, rule

MOVING = ("booked", "picked_up", "in_transit", "out_for_delivery")
DEFAULT_GAP = timedelta(hours=24)  # before a carrier has enough history
MIN_GAP = timedelta(hours=2)
_SAMPLE = 2000


def normal_gap(conn: sqlite3.Connection, carrier: str) -> timedelta:
    """1.5 x the 90th-percentile gap between consecutive scans of this carrier's recent shipments."""
    rows = conn.execute(
        # NOT INDEXED: walking the newest rows backwards stops after the sample; the carrier index would read them all.
        "SELECT shipment_id, event_time FROM (SELECT shipment_id, event_time FROM tracking_events NOT INDEXED "
        "WHERE carrier = ? ORDER BY id DESC LIMIT ?) ORDER BY shipment_id, event_time",
        (carrier, _SAMPLE),
    ).fetchall()
    gaps, previous = [], None
    for row in rows:
        moment = from_iso(row["event_time"])
        if previous and previous[0] == row["shipment_id"]:
            gaps.append((moment - previous[1]).total_seconds())
        previous = (row["shipment_id"], moment)
    if len(gaps) < 10:
        return DEFAULT_GAP
    gaps.sort()
    p90 = gaps[int(0.9 * (len(gaps) - 1))]
    return max(MIN_GAP, timedelta(seconds=1.5 * p90))


@rule("stalled")
def stalled(facts: Facts):
    for row in facts.open_shipments:
        if row["status"] not in MOVING or row["carrier"] == "own_fleet":
            continue
        last_news = from_iso(row["last_event_at"] or row["status_as_of"] or row["created_at"])
        quiet = facts.now - last_news
        normal = facts.carrier_normal_gap(row["carrier"])
        if quiet <= normal:
            continue
        yield Finding(
            "stalled", Severity.MEDIUM, f"stalled:{row['id']}",
            f"No tracking news for {quiet.total_seconds() / 3600:.0f} h ({facts.carrier_name(row['carrier'])} usually "
            f"updates within {normal.total_seconds() / 3600:.0f} h)",
            "Ask the carrier for a trace; re-book if it is lost",
            row["order_id"], row["id"],
        )
