"""Customer satisfaction from the ratings: CSAT per driver, van, carrier and delivery option, always beside how many
were asked and how many replied (a delivery nobody rated never counts as satisfied), and why low scores were low."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .ratings.parse import REASON_LABELS

SATISFIED = 4  # CSAT counts 4 and 5 as satisfied, of the replies
LOW = 2
GROUPS = ("driver", "van", "carrier", "option")

# Deliveries asked for a rating in the period (the question went out: only a sent message has a sent_at), each with
# what it was rated and who took it.
_ASKED_SQL = (
    "WITH asked AS (SELECT r.shipment_id FROM rating_requests r JOIN notifications n ON n.id = r.notification_id "
    " WHERE r.kind = 'rating' AND r.shipment_id IS NOT NULL GROUP BY r.shipment_id "
    " HAVING min(n.sent_at) >= ? AND min(n.sent_at) < ?) "
    "SELECT s.carrier, o.delivery_option AS option, rt.score, rt.reason, v.name AS van, d.name AS driver "
    "FROM asked a JOIN shipments s ON s.id = a.shipment_id JOIN orders o ON o.id = s.order_id "
    "LEFT JOIN ratings rt ON rt.shipment_id = a.shipment_id "
    "LEFT JOIN stops st ON st.id = (SELECT max(id) FROM stops WHERE order_id = s.order_id AND kind = 'delivery' "
    " AND route_id IS NOT NULL AND s.carrier = 'own_fleet') "
    "LEFT JOIN routes ro ON ro.id = st.route_id LEFT JOIN vehicles v ON v.id = ro.vehicle_id "
    "LEFT JOIN drivers d ON d.id = v.driver_id")


@dataclass(frozen=True)
class CsatRow:
    """One driver, van, carrier or delivery option over the period."""

    group: str  # driver, van, carrier or option
    name: str
    asked: int  # deliveries whose rating question went out
    replies: int
    satisfied: int  # replies of 4 or 5
    low: int  # replies of 1 or 2
    average: float | None

    @property
    def response_rate(self) -> float | None:
        return self.replies / self.asked if self.asked else None

    @property
    def csat(self) -> float | None:
        """Satisfied replies out of replies; None with no reply (never "100 %" of nobody)."""
        return self.satisfied / self.replies if self.replies else None


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    count: int
    share: float  # of the low scores in the period


def csat_rows(conn: sqlite3.Connection, start: str, end: str) -> list[CsatRow]:
    """Per group, busiest first; `start`/`end` are ISO UTC moments, by when the question was sent."""
    totals: dict[tuple[str, str], list] = {}
    for row in conn.execute(_ASKED_SQL, (start, end)):
        for group in GROUPS:
            name = row[group]
            if group in ("driver", "van") and not name:
                continue  # a carrier's delivery has no van or driver of ours
            total = totals.setdefault((group, name or "—"), [0, 0, 0, 0, 0])
            total[0] += 1
            if row["score"] is not None:
                total[1] += 1
                total[2] += row["score"] >= SATISFIED
                total[3] += row["score"] <= LOW
                total[4] += row["score"]
    rows = [CsatRow(group, name, asked, replies, satisfied, low, (points / replies) if replies else None)
            for (group, name), (asked, replies, satisfied, low, points) in totals.items()]
    return sorted(rows, key=lambda r: (GROUPS.index(r.group), -r.asked, r.name))


def low_score_reasons(conn: sqlite3.Connection, start: str, end: str) -> list[ReasonRow]:
    """Why low scores were low (the follow-up's answers; "not said" for those who did not answer it), most common first."""
    counts = dict(conn.execute(
        "SELECT CASE WHEN reason = '' THEN 'not_said' ELSE reason END AS why, count(*) FROM ratings "
        "WHERE score <= ? AND received_at >= ? AND received_at < ? GROUP BY why", (LOW, start, end)).fetchall())
    total = sum(counts.values())
    labels = REASON_LABELS | {"not_said": "Not said"}
    return [ReasonRow(reason, labels.get(reason, reason), count, count / total)
            for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
