"""Returns and failed deliveries: start a return and track it back, or resolve a failed attempt; the customer is told."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain import DeliveryOption, Shipment, ShipmentStatus, TimeWindow
from ..domain.timeutil import to_iso
from ..kernel.errors import InputError, NotFound
from ..routing import plans
from ..store import audit
from ..store.orders import get_order, mark_returned, set_delivery_option, set_promise
from ..store.shipments import create_shipment, set_status
from ..sync import writes
from .options import local_moment, next_open_day
from .own_van import put_on_van
from .rates import OWN_FLEET, PICKUP, shipment_request
from .settings import ShopSettings

DROP_OFF, COURIER_PICKUP, OWN_ROUTE = "drop_off", "courier_pickup", "own_route"
RETURN_METHODS = {
    DROP_OFF: "Customer drops it off with a carrier's return label",
    COURIER_PICKUP: "A courier collects it from the customer",
    OWN_ROUTE: "Our van collects it on tomorrow's route",
}
REATTEMPT, REBOOK, CONVERT_TO_PICKUP, RETURN_TO_STOCK = "reattempt", "rebook", "convert_to_pickup", "return_to_stock"
FAILED_ATTEMPT_ACTIONS = {
    REATTEMPT: "Try again on the next day's route",
    REBOOK: "Book again with another carrier",
    CONVERT_TO_PICKUP: "Ask the customer to collect it in store",
    RETURN_TO_STOCK: "Put it back in stock",
}


@dataclass(frozen=True)
class ReturnCase:
    id: int
    order_id: int
    reason: str
    items: tuple[str, ...]
    method: str
    status: str  # requested, on_the_way, returned, cancelled
    shipment_id: int | None = None
    stop_id: int | None = None


def get_return(conn: sqlite3.Connection, return_id: int) -> ReturnCase:
    row = conn.execute("SELECT * FROM returns WHERE id = ?", (return_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no return {return_id}.")
    return ReturnCase(row["id"], row["order_id"], row["reason"], tuple(json.loads(row["items_json"])), row["method"],
                      row["status"], row["shipment_id"], row["stop_id"])


def tell_customer(conn: sqlite3.Connection, order_id: int, dedup_key: str, event: str, subject: str = "", message: str = "") -> None:
    """Queue the customer's message with the notification outbox (once per dedup key)."""
    from ..control.notify.outbox import enqueue

    values = {"subject": subject, "message": message} if event == "custom" else {}
    enqueue(conn, order_id, event, dedup_key=dedup_key, values=values)


def start_return(conn: sqlite3.Connection, settings: ShopSettings, order_id: int, reason: str, items: list[str], method: str,
                 now: datetime, carrier: str = "", *, notify: bool = True, actor: str = "user") -> ReturnCase:
    """A return for the order, with its return shipment (a carrier's through the outbox, or a van stop tomorrow)."""
    order = get_order(conn, order_id)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if method not in RETURN_METHODS:
        raise InputError(f"'{method}' is not a way back.", "Choose drop-off, courier pickup or our own route.")
    if not reason.strip():
        raise InputError("A return needs a reason.", "Say why the customer is sending it back.")
    if conn.execute("SELECT 1 FROM returns WHERE order_id = ? AND status NOT IN ('returned', 'cancelled')", (order_id,)).fetchone():
        raise InputError("A return is already under way for this order.", "Open the order to follow it.")
    stop_id = None
    if method == OWN_ROUTE:
        shipment_id = create_shipment(conn, Shipment(order_id, OWN_FLEET, kind="return", service="collection"))
        set_status(conn, shipment_id, ShipmentStatus.BOOKED, actor=actor, reason="return collection planned")
        stop_id, _ = plans.add_stop_on_day(conn, order_id, next_plan_date(settings, now).isoformat(), kind="pickup")
    else:
        if not carrier:
            raise InputError("Choose the carrier that brings the return back.", "")
        request = shipment_request(order, settings, f"RET-{order.order_ref}", ready_at=now)
        shipment_id = writes.enqueue_return(conn, order_id=order_id, carrier=carrier, request=request).shipment_id
    row_id = conn.execute(
        "INSERT INTO returns(order_id, shipment_id, reason, items_json, method, status, stop_id, created_at, updated_at) "
        "VALUES (?,?,?,?,?, 'requested', ?, ?, ?)",
        (order_id, shipment_id, reason.strip(), json.dumps(list(items)), method, stop_id, to_iso(now), to_iso(now)),
    ).lastrowid
    audit.record(conn, "return.start", "order", order_id, after={"return_id": row_id, "method": method, "reason": reason,
                                                                 "return_shipment_id": shipment_id}, actor=actor)
    if notify:
        tell_customer(conn, order_id, f"return-{row_id}", "return_started")
    return get_return(conn, row_id)


def refresh_returns(conn: sqlite3.Connection) -> int:
    """Bring each open return's status up to its shipment's (on the way, returned); returns how many changed."""
    changed = 0
    for row in conn.execute("SELECT r.id, r.status, s.status AS shipment_status FROM returns r JOIN shipments s ON s.id = r.shipment_id "
                            "WHERE r.status NOT IN ('returned', 'cancelled')").fetchall():
        status = {"returned": "returned", "cancelled": "cancelled", "picked_up": "on_the_way", "in_transit": "on_the_way",
                  "out_for_delivery": "on_the_way", "returning": "on_the_way"}.get(row["shipment_status"], row["status"])
        if status != row["status"]:
            conn.execute("UPDATE returns SET status = ?, updated_at = datetime('now') WHERE id = ?", (status, row["id"]))
            changed += 1
    return changed


def receive_return(conn: sqlite3.Connection, return_id: int) -> ReturnCase:
    """The shop has the goods back: the return shipment and the return become 'returned'."""
    case = get_return(conn, return_id)
    if case.shipment_id is not None:
        current = ShipmentStatus(conn.execute("SELECT status FROM shipments WHERE id = ?", (case.shipment_id,)).fetchone()[0])
        if current is not ShipmentStatus.RETURNED:
            if current is not ShipmentStatus.RETURNING:
                set_status(conn, case.shipment_id, ShipmentStatus.RETURNING, reason="return on its way")
            set_status(conn, case.shipment_id, ShipmentStatus.RETURNED, reason="return received at the shop")
    conn.execute("UPDATE returns SET status = 'returned', updated_at = datetime('now') WHERE id = ?", (return_id,))
    mark_returned(conn, case.order_id)
    audit.record(conn, "return.received", "order", case.order_id, after={"return_id": return_id})
    return get_return(conn, return_id)


# ---------------------------------------------------------------- failed deliveries


def next_plan_date(settings: ShopSettings, now: datetime) -> date:
    return next_open_day(settings, now.astimezone(settings.tz).date() + timedelta(days=1))


def stops_for_plan(conn: sqlite3.Connection, plan_date: date) -> list[sqlite3.Row]:
    """Stops in a day's plan: those on its routes, and those waiting for the planner on that day."""
    return conn.execute(
        "SELECT s.*, o.order_ref FROM stops s JOIN orders o ON o.id = s.order_id LEFT JOIN routes r ON r.id = s.route_id "
        "WHERE r.plan_date = ? OR (s.route_id IS NULL AND s.plan_date = ? AND s.status = 'planned') ORDER BY s.id",
        (plan_date.isoformat(), plan_date.isoformat()),
    ).fetchall()


def _failed_shipment(conn: sqlite3.Connection, order_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1", (order_id,)).fetchone()
    if row is None or row["status"] not in ("failed_attempt", "exception"):
        raise InputError("This order has no failed delivery to resolve.", "Only a failed attempt offers these choices.")
    return row


def resolve_failed_attempt(conn: sqlite3.Connection, settings: ShopSettings, order_id: int, action: str, now: datetime) -> str:
    """Re-attempt tomorrow, convert to pickup or return to stock (re-booking goes through the service); says what was done."""
    failed = _failed_shipment(conn, order_id)
    order = get_order(conn, order_id)
    if action == REATTEMPT:
        day = next_plan_date(settings, now)
        # The new promise is the whole delivery day; the planner narrows it when it plans the route.
        whole_day = TimeWindow(local_moment(settings, day, settings.slot_first), local_moment(settings, day, settings.slot_last_end))
        set_promise(conn, order_id, whole_day, day.isoformat())
        on_van = put_on_van(conn, order_id, day.isoformat(), reason="re-attempt after a failed delivery")
        message = f"We will try again on {day:%A %d %B}."
        done = f"Re-attempt planned on {day.isoformat()} (stop {on_van.stop_id})."
    elif action == CONVERT_TO_PICKUP:
        set_delivery_option(conn, order_id, DeliveryOption.PICKUP)
        shipment_id = create_shipment(conn, Shipment(order_id, PICKUP, service="in_store"))
        set_status(conn, shipment_id, ShipmentStatus.BOOKED, reason="converted to in-store pickup")
        message = f"Your order is waiting for you at {settings.shop_name}; collect it any day during opening hours."
        done = "Converted to in-store pickup."
    elif action == RETURN_TO_STOCK:
        if failed["status"] != "returning":
            set_status(conn, failed["id"], ShipmentStatus.RETURNING, reason="back to the shop after a failed delivery")
        set_status(conn, failed["id"], ShipmentStatus.RETURNED, reason="returned to stock")
        message = "We could not deliver your order and it is back with us; we will be in touch about a refund."
        done = "Returned to stock."
    else:
        raise InputError(f"'{action}' is not something this can do here.", "Re-booking goes through the dispatch comparison.")
    audit.record(conn, f"failed_attempt.{action}", "order", order_id, before={"shipment_id": failed["id"]}, after={"done": done})
    tell_customer(conn, order_id, f"failed-{failed['id']}-{action}", "custom",
                  subject=f"About your order {order.order_ref}", message=message)
    return done
