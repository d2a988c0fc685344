"""Reads the API serves that no window needs in this shape: one day's routes with their stops in order."""
from __future__ import annotations

import sqlite3


def routes_on(conn: sqlite3.Connection, plan_date: str) -> list[dict]:
    routes = [dict(r) for r in conn.execute(
        "SELECT r.id, r.vehicle_id, v.name AS vehicle, r.status, r.distance_m, r.duration_s FROM routes r "
        "LEFT JOIN vehicles v ON v.id = r.vehicle_id WHERE r.plan_date = ? ORDER BY r.id", (plan_date,))]
    for route in routes:
        route["stops"] = [dict(s) for s in conn.execute(
            "SELECT s.id, s.order_id, o.order_ref, s.kind, s.sequence, s.planned_arrival, s.actual_arrival, s.status "
            "FROM stops s JOIN orders o ON o.id = s.order_id WHERE s.route_id = ? ORDER BY s.sequence", (route["id"],))]
    return routes
