"""Putting an order on one of the shop's own vans: its van shipment and a stop on a day's route, in the caller's transaction."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..domain import Shipment, ShipmentStatus
from ..kernel.errors import NotFound
from ..routing import plans
from ..store.orders import get_order
from ..store.shipments import create_shipment, set_status
from .booking import live_delivery, withdraw
from .rates import OWN_FLEET

_NOT_YET_OUT = (ShipmentStatus.CREATED, ShipmentStatus.QUOTED, ShipmentStatus.BOOKED)


@dataclass(frozen=True)
class OnVan:
    """Where the order now is: its van shipment, its stop and the route (None while it waits for the planner)."""

    shipment_id: int
    stop_id: int
    route_id: int | None
    replaced_shipment_id: int | None = None
    cancel_outbox_id: int | None = None


def put_on_van(conn: sqlite3.Connection, order_id: int, plan_date: str, *, vehicle_id: int | None = None,
               reason: str, actor: str = "user") -> OnVan:
    """The order delivered by an own van on `plan_date` (the shop's day): on that van's route, or on the day's
    least-loaded route when no van is named. A carrier's shipment still under way is cancelled with the carrier."""
    order = get_order(conn, order_id)
    if order is None:
        raise NotFound(f"There is no order {order_id}.", "It may have been deleted; refresh the list.")
    current = live_delivery(conn, order_id)
    replaced = cancel_id = None
    if current is not None and current.carrier == OWN_FLEET and current.status in _NOT_YET_OUT:
        shipment_id = current.id
        if current.status is not ShipmentStatus.BOOKED:
            set_status(conn, shipment_id, ShipmentStatus.BOOKED, actor=actor, reason=reason)
        earlier_stop = plans.open_stop_for(conn, order_id)
        if earlier_stop is not None:  # moved, not doubled
            plans.set_stop_status(conn, earlier_stop, "skipped")
    else:
        if current is not None:
            replaced, cancel_id = current.id, withdraw(conn, current, reason, actor)
        promised_by = order.promised_window.end if order.promised_window else None
        shipment_id = create_shipment(conn, Shipment(order_id, OWN_FLEET, service="van", promised_by=promised_by))
        set_status(conn, shipment_id, ShipmentStatus.BOOKED, actor=actor, reason=reason)
    stop_id, route_id = plans.add_stop_on_day(conn, order_id, plan_date, vehicle_id=vehicle_id)
    return OnVan(shipment_id, stop_id, route_id, replaced, cancel_id)
