"""The shop's own fleet: depots, drivers, vans and what an order needs of a van. The only module that writes them."""
from __future__ import annotations

import sqlite3

from ..domain import GeoPoint


def add_depot(conn: sqlite3.Connection, name: str, location: GeoPoint, *, street: str = "", city: str = "",
              postcode: str = "", country: str = "US", opens_at: str | None = None, closes_at: str | None = None) -> int:
    """A place the vans start and end; opening hours are local "HH:MM"."""
    return conn.execute(
        "INSERT INTO depots(name, street, city, postcode, country, lat, lon, opens_at, closes_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (name, street, city, postcode, country, location.lat, location.lon, opens_at, closes_at)).lastrowid


def add_driver(conn: sqlite3.Connection, name: str, phone: str = "") -> int:
    return conn.execute("INSERT INTO drivers(name, phone) VALUES (?, ?)", (name, phone)).lastrowid


def add_vehicle(conn: sqlite3.Connection, name: str, *, capacity_parcels: int, capacity_weight_g: int,
                shift_start: str | None = "08:00", shift_end: str | None = "18:00", break_minutes: int = 30,
                skills: str = "", driver_id: int | None = None, depot_id: int | None = None,
                cost_per_hour_minor: int = 2500, cost_per_km_minor: int = 40) -> int:
    """A van; its shift is local "HH:MM" and its skills a comma-separated list ("fridge,tail-lift")."""
    return conn.execute(
        "INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end, break_minutes, skills, "
        "driver_id, depot_id, cost_per_hour_minor, cost_per_km_minor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (name, capacity_parcels, capacity_weight_g, shift_start, shift_end, break_minutes, skills, driver_id,
         depot_id, cost_per_hour_minor, cost_per_km_minor)).lastrowid


_VEHICLE_FIELDS = ("name", "capacity_parcels", "capacity_weight_g", "shift_start", "shift_end", "break_minutes", "skills",
                   "driver_id", "depot_id", "cost_per_hour_minor", "cost_per_km_minor", "active")


def update_vehicle(conn: sqlite3.Connection, vehicle_id: int, **fields) -> None:
    """Change a van's details (Settings > Vans); the names are the columns of add_vehicle, plus `active`."""
    unknown = set(fields) - set(_VEHICLE_FIELDS)
    if unknown:
        raise ValueError(f"not a van's detail: {sorted(unknown)}")
    if fields:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        conn.execute(f"UPDATE vehicles SET {assignments} WHERE id = ?", (*fields.values(), vehicle_id))


def update_driver(conn: sqlite3.Connection, driver_id: int, name: str, phone: str = "") -> None:
    conn.execute("UPDATE drivers SET name = ?, phone = ? WHERE id = ?", (name, phone, driver_id))


def update_depot(conn: sqlite3.Connection, depot_id: int, name: str, location: GeoPoint, *, street: str = "",
                 city: str = "", postcode: str = "", country: str = "US", opens_at: str | None = None,
                 closes_at: str | None = None) -> None:
    conn.execute("UPDATE depots SET name = ?, street = ?, city = ?, postcode = ?, country = ?, lat = ?, lon = ?, "
                 "opens_at = ?, closes_at = ? WHERE id = ?",
                 (name, street, city, postcode, country, location.lat, location.lon, opens_at, closes_at, depot_id))


def set_order_needs(conn: sqlite3.Connection, order_id: int, required_skills: str, priority: int = 0) -> None:
    """What a van must have to take this order (comma-separated skills), and how much it matters to plan it."""
    conn.execute("INSERT INTO routing_order_needs(order_id, required_skills, priority) VALUES (?, ?, ?) "
                 "ON CONFLICT(order_id) DO UPDATE SET required_skills = excluded.required_skills, priority = excluded.priority",
                 (order_id, required_skills, priority))
