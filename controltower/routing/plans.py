"""The plan store: the only writer of `routes`, `stops` and `route_plans` (vans' routes for a day, their stops, saved plans).

Every function takes a connection and runs in the caller's transaction. Plan dates are the shop's calendar
day as an ISO date (`store.shop_clock.shop_today`), never the UTC date.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..domain.timeutil import to_iso, utcnow

STOP_STATUSES = ("planned", "en_route", "delivered", "failed", "skipped")
STOP_KINDS = ("delivery", "pickup")


@dataclass(frozen=True)
class Stop:
    """One visit of a van: deliver an order, or collect a return."""

    id: int
    order_id: int
    route_id: int | None
    kind: str
    sequence: int | None
    status: str
    plan_date: str | None


def get_stop(conn: sqlite3.Connection, stop_id: int) -> Stop | None:
    row = conn.execute("SELECT s.id, s.order_id, s.route_id, s.kind, s.sequence, s.status, "
                       "COALESCE(r.plan_date, s.plan_date) AS plan_date FROM stops s LEFT JOIN routes r ON r.id = s.route_id "
                       "WHERE s.id = ?", (stop_id,)).fetchone()
    return None if row is None else Stop(row["id"], row["order_id"], row["route_id"], row["kind"], row["sequence"],
                                         row["status"], row["plan_date"])


# ---------------------------------------------------------------- routes


def create_route(conn: sqlite3.Connection, plan_date: str, vehicle_id: int, status: str = "planned",
                 created_at: datetime | None = None) -> int:
    return conn.execute("INSERT INTO routes(plan_date, vehicle_id, status, created_at) VALUES (?,?,?,?)",
                        (plan_date, vehicle_id, status, to_iso(created_at or utcnow()))).lastrowid


def route_for(conn: sqlite3.Connection, vehicle_id: int, plan_date: str) -> int:
    """The van's open route on that day, made when it has none yet."""
    row = conn.execute("SELECT id FROM routes WHERE vehicle_id = ? AND plan_date = ? AND status != 'done' ORDER BY id LIMIT 1",
                       (vehicle_id, plan_date)).fetchone()
    return row["id"] if row else create_route(conn, plan_date, vehicle_id)


def routes_on(conn: sqlite3.Connection, plan_date: str) -> dict[int, int]:
    """{vehicle id: route id} for the day's routes."""
    return {r["vehicle_id"]: r["id"] for r in conn.execute("SELECT id, vehicle_id FROM routes WHERE plan_date = ?", (plan_date,))}


def least_loaded_route(conn: sqlite3.Connection, plan_date: str) -> tuple[int, int] | None:
    """(route id, next free sequence) of the day's planned route with the fewest stops, or None when it has none."""
    row = conn.execute(
        "SELECT r.id, coalesce(max(s.sequence), -1) + 1 AS next_sequence FROM routes r LEFT JOIN stops s ON s.route_id = r.id "
        "WHERE r.plan_date = ? AND r.status = 'planned' GROUP BY r.id ORDER BY count(s.id), r.id LIMIT 1", (plan_date,),
    ).fetchone()
    return (row["id"], row["next_sequence"]) if row else None


def set_route_totals(conn: sqlite3.Connection, route_id: int, distance_m: int, duration_s: int, *,
                     dispatched: bool = False) -> None:
    """A route's planned distance and time; `dispatched` freezes it (a route under way otherwise keeps its status)."""
    conn.execute("UPDATE routes SET distance_m = ?, duration_s = ?, "
                 "status = CASE WHEN ? THEN 'dispatched' ELSE status END WHERE id = ?",
                 (int(distance_m), int(duration_s), int(dispatched), route_id))


def drop_route_if_unstarted(conn: sqlite3.Connection, route_id: int) -> bool:
    """Delete a route no stop of which has been worked yet, its stops back to waiting; False when one has."""
    if conn.execute("SELECT 1 FROM stops WHERE route_id = ? AND status != 'planned'", (route_id,)).fetchone():
        return False
    conn.execute("UPDATE stops SET route_id = NULL WHERE route_id = ?", (route_id,))
    conn.execute("DELETE FROM routes WHERE id = ?", (route_id,))
    return True


# ---------------------------------------------------------------- stops


def add_stop(conn: sqlite3.Connection, order_id: int, *, route_id: int | None = None, kind: str = "delivery",
             sequence: int | None = None, plan_date: str | None = None, planned_arrival: datetime | str | None = None,
             service_minutes: float | None = None, locked: bool = False, status: str = "planned") -> int:
    """A new stop: on a route at `sequence`, or (route_id None) waiting for the planner on `plan_date`."""
    if kind not in STOP_KINDS:
        raise ValueError(f"unknown stop kind {kind!r}")
    if status not in STOP_STATUSES:
        raise ValueError(f"unknown stop status {status!r}")
    arrival = planned_arrival if isinstance(planned_arrival, str) or planned_arrival is None else to_iso(planned_arrival)
    return conn.execute(
        "INSERT INTO stops(order_id, route_id, kind, sequence, plan_date, planned_arrival, service_minutes, locked, status) "
        "VALUES (?,?,?,?,?,?,COALESCE(?, 4),?,?)",
        (order_id, route_id, kind, sequence, plan_date, arrival, service_minutes, int(locked), status)).lastrowid


def append_stop(conn: sqlite3.Connection, order_id: int, route_id: int, kind: str = "delivery") -> tuple[int, int]:
    """A stop at the end of a route (the planner re-times it); returns (stop id, its sequence)."""
    sequence = conn.execute("SELECT COALESCE(MAX(sequence), 0) + 1 FROM stops WHERE route_id = ?", (route_id,)).fetchone()[0]
    return add_stop(conn, order_id, route_id=route_id, kind=kind, sequence=sequence), sequence


def add_stop_on_day(conn: sqlite3.Connection, order_id: int, plan_date: str, *, vehicle_id: int | None = None,
                    kind: str = "delivery") -> tuple[int, int | None]:
    """A stop on a day's plan: at the end of that van's route, or (no van given) on the day's least-loaded planned
    route, or waiting for the planner when the day has no route yet. Returns (stop id, route id or None)."""
    if vehicle_id is not None:
        route_id = route_for(conn, vehicle_id, plan_date)
        return append_stop(conn, order_id, route_id, kind)[0], route_id
    least = least_loaded_route(conn, plan_date)
    if least is None:
        return add_stop(conn, order_id, kind=kind, plan_date=plan_date), None
    route_id, sequence = least
    return add_stop(conn, order_id, route_id=route_id, kind=kind, sequence=sequence, plan_date=plan_date), route_id


def insert_stop_after(conn: sqlite3.Connection, order_id: int, route_id: int, position: int) -> int:
    """A delivery after the `position`-th stop still to visit (0: first) on a route, as an insertion was priced;
    later stops move up one."""
    ordered = [r[0] or 0 for r in conn.execute(
        "SELECT s.sequence FROM stops s JOIN orders o ON o.id = s.order_id WHERE s.route_id = ? "
        "AND s.status NOT IN ('failed', 'skipped') AND o.lat IS NOT NULL ORDER BY s.sequence, s.id", (route_id,))]
    sequence = ordered[position - 1] + 1 if 0 < position <= len(ordered) else (ordered[0] if ordered else 0)
    conn.execute("UPDATE stops SET sequence = sequence + 1 WHERE route_id = ? AND sequence >= ?", (route_id, sequence))
    return add_stop(conn, order_id, route_id=route_id, sequence=sequence)


def place_stop(conn: sqlite3.Connection, stop_id: int, route_id: int, sequence: int, planned_arrival: str | None,
               locked: bool = False) -> None:
    """Put an existing stop on a route at a time (a saved plan)."""
    conn.execute("UPDATE stops SET route_id = ?, sequence = ?, planned_arrival = ?, locked = ? WHERE id = ?",
                 (route_id, sequence, planned_arrival, int(locked), stop_id))


def unplace_stop(conn: sqlite3.Connection, stop_id: int) -> None:
    """Take a stop off its route: it waits for the planner again."""
    conn.execute("UPDATE stops SET route_id = NULL, sequence = NULL, planned_arrival = NULL, locked = 0 WHERE id = ?", (stop_id,))


def set_stop_status(conn: sqlite3.Connection, stop_id: int, status: str, at: datetime | None = None) -> None:
    """A stop worked by its driver (delivered, failed, skipped) or on its way; `at` is when the van got there."""
    if status not in STOP_STATUSES:
        raise ValueError(f"unknown stop status {status!r}")
    conn.execute("UPDATE stops SET status = ?, actual_arrival = COALESCE(?, actual_arrival) WHERE id = ?",
                 (status, to_iso(at), stop_id))


def open_stop_for(conn: sqlite3.Connection, order_id: int, kind: str = "delivery") -> int | None:
    """The order's latest stop not yet worked, if any."""
    row = conn.execute("SELECT id FROM stops WHERE order_id = ? AND kind = ? AND status IN ('planned', 'en_route') "
                       "ORDER BY id DESC LIMIT 1", (order_id, kind)).fetchone()
    return row["id"] if row else None


# ---------------------------------------------------------------- saved plans, for comparing one with the last


def record_plan(conn: sqlite3.Connection, plan_date: str, engine: str, distance_m: int, duration_s: int, planned_stops: int,
                unplanned_stops: int, routes: list[tuple[int, list[int]]]) -> int:
    """Keep a saved plan's figures and its routes ([(vehicle id, [order id, ...])]) for later comparison."""
    return conn.execute(
        "INSERT INTO route_plans(plan_date, created_at, engine, distance_m, duration_s, planned_stops, "
        "unplanned_stops, vehicles_used, routes_json) VALUES (?,?,?,?,?,?,?,?,?)",
        (plan_date, to_iso(utcnow()), engine, distance_m, duration_s, planned_stops, unplanned_stops, len(routes),
         json.dumps([[vehicle, orders] for vehicle, orders in routes]))).lastrowid
