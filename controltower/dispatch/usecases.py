"""What can be done to an order's delivery, each written once: re-book, start a return, put on an own van,
reschedule, and mark a van's stop delivered or failed.

Each is one transaction with its audit entry, followed by the hub events; the exception queue, the dispatch
panel and the orders view all call these. Carrier writes go only through `sync.writes` (the sync engine sends
them), van stops only through the plan store `routing.plans`, and "today" is the shop's day (`store.shop_clock`).
A caller with more to record in the same transaction (the exception queue closing its case) passes `then`.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from ..domain import ShipmentStatus, TimeWindow
from ..domain.status import can_transition
from ..domain.timeutil import to_iso, utcnow
from ..kernel.errors import InputError, NotFound
from ..kernel.events import EventHub
from ..routing import plans
from ..store import audit
from ..store.orders import get_order, set_promise
from ..store.shipments import get_shipment, set_promised_by, set_status
from ..store.shop_clock import shop_day, shop_today
from . import returns
from .allocate import Choice
from .booking import FAILED, book_one, live_delivery, withdraw
from .own_van import put_on_van
from .rates import OWN_FLEET, WayRow, quote_rows_from_store
from .settings import load_settings


@dataclass(frozen=True)
class Done:
    """What a use case did, in words for the status bar, and what it touched (for the hub and the caller)."""

    message: str
    order_id: int
    shipment_id: int | None = None
    stop_id: int | None = None
    plan_date: str | None = None
    notification_ids: tuple[int, ...] = ()
    outbox_ids: tuple[int, ...] = ()
    return_case: returns.ReturnCase | None = None
    details: dict = field(default_factory=dict, compare=False)


Then = Callable[[sqlite3.Connection, Done], None]


class DeliveryActions:
    """The use cases over one store. `clock` gives "now" (tests set it); `actor` names who acts in the audit log."""

    def __init__(self, db, *, hub: EventHub | None = None, clock: Callable[[], datetime] = utcnow, actor: str = "user",
                 templates=None) -> None:
        self.db = db
        self.templates = templates  # the customer messages' wording (control.notify.templates.TemplateSet)
        self.hub = hub
        self.clock = clock
        self.actor = actor

    # ------------------------------------------------------------------ re-book
    def rebook(self, order_id: int, choice: Choice, *, then: Then | None = None) -> Done:
        """Send the order the chosen way instead: the delivery under way is cancelled (with its carrier through the
        outbox when they have it) and the choice booked, a carrier's as a real booking for the sync engine to send."""
        def work(conn: sqlite3.Connection) -> Done:
            old = live_delivery(conn, order_id)
            cancel_id = withdraw(conn, old, f"re-booked with {choice.carrier}", self.actor) if old else None
            line = book_one(conn, load_settings(conn), choice, self.clock(), None, replacing=old.id if old else None)
            if line.outcome == FAILED:
                raise InputError(f"Could not re-book {line.order_ref}: {line.message}.", "Refresh and try another way.")
            outbox_id = conn.execute("SELECT outbox_id FROM dispatch_bookings WHERE shipment_id = ?",
                                     (line.shipment_id,)).fetchone()
            audit.record(conn, "shipment.rebook", "shipment", line.shipment_id,
                         before={"shipment_id": old.id if old else None, "carrier": old.carrier if old else None},
                         after={"carrier": choice.carrier, "service": choice.service}, actor=self.actor)
            sent = tuple(i for i in (cancel_id, outbox_id[0] if outbox_id else None) if i is not None)
            waiting = choice.carrier not in (OWN_FLEET, "pickup")
            message = (f"Re-booking with {choice.label}: it will be sent to them in the background" if waiting
                       else f"Re-booked with {choice.label}")
            return Done(message, order_id, line.shipment_id, outbox_ids=sent,
                        details={"replaced_shipment_id": old.id if old else None, "carrier": choice.carrier,
                                 "service": choice.service})
        return self._run(work, then)

    def rebook_with_quote(self, order_id: int, quote_id: int, *, then: Then | None = None) -> Done:
        """Re-book with a quote kept from an earlier comparison (the exception queue's Re-book)."""
        with self.db.transaction() as conn:
            quote = next((q for q in quote_rows_from_store(conn, order_id) if q.id == quote_id), None)
        if quote is None:
            raise NotFound("That quote is not for this order.", "Refresh the quotes and pick one again.")
        if quote.expires_at is not None and quote.expires_at <= self.clock():
            raise InputError(f"The {quote.carrier} quote has expired.", "Get fresh quotes, then re-book.")
        row = WayRow(quote.carrier, quote.carrier, "parcel", quote.service, quote.price, None, quote.estimated_delivery,
                     quote=quote)
        return self.rebook(order_id, Choice(order_id, quote.carrier, quote.service, quote.price, 0, row), then=then)

    # ------------------------------------------------------------------ returns
    def start_return(self, order_id: int, reason: str, items: list[str], method: str, carrier: str = "", *,
                     notify: bool = True, then: Then | None = None) -> Done:
        """A return with its `returns` row and its return shipment: a carrier's through the outbox, or a van collection."""
        def work(conn: sqlite3.Connection) -> Done:
            case = returns.start_return(conn, load_settings(conn), order_id, reason, items, method, self.clock(), carrier,
                                        notify=notify, actor=self.actor)
            queued = tuple(e.id for e in _open_writes(conn, case.shipment_id))
            notes = _notes_for(conn, order_id, f"return-{case.id}")
            with_whom = "our van" if method == returns.OWN_ROUTE else carrier
            return Done(f"Return started with {with_whom}", order_id, case.shipment_id, case.stop_id,
                        notification_ids=notes, outbox_ids=queued, return_case=case)
        return self._run(work, then)

    def start_return_like_delivery(self, order_id: int, reason: str, *, notify: bool = True, then: Then | None = None) -> Done:
        """A return the way the order came: its carrier collects it, or our van when a van delivered it."""
        conn = self.db.reader()
        order = get_order(conn, order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        row = conn.execute("SELECT carrier FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
                           (order_id,)).fetchone()
        if row is None:
            raise NotFound("This order has no delivery to return.")
        carrier = row["carrier"]
        method = returns.OWN_ROUTE if carrier in (OWN_FLEET, "pickup") else returns.COURIER_PICKUP
        items = [f"{line.quantity} × {line.name or line.sku}" for line in order.lines or ()]
        return self.start_return(order_id, reason, items, method, "" if method == returns.OWN_ROUTE else carrier,
                                 notify=notify, then=then)

    # ------------------------------------------------------------------ own vans
    def put_on_own_van(self, order_id: int, vehicle_id: int, plan_date: str | None = None, *,
                       then: Then | None = None) -> Done:
        """The order on that van's route for the day (default: the shop's today, in its own time zone)."""
        def work(conn: sqlite3.Connection) -> Done:
            vehicle = conn.execute("SELECT id, name FROM vehicles WHERE id = ? AND active = 1", (vehicle_id,)).fetchone()
            if vehicle is None:
                raise NotFound("That van is not available.", "Pick an active vehicle.")
            day = plan_date or shop_today(conn, self.clock())
            on_van = put_on_van(conn, order_id, day, vehicle_id=vehicle_id, reason=f"reassigned to {vehicle['name']}",
                                actor=self.actor)
            audit.record(conn, "order.reassign_own_fleet", "order", order_id,
                         before={"shipment_id": on_van.replaced_shipment_id},
                         after={"vehicle_id": vehicle_id, "route_id": on_van.route_id, "stop_id": on_van.stop_id,
                                "shipment_id": on_van.shipment_id, "plan_date": day}, actor=self.actor)
            return Done(f"Added to {vehicle['name']}'s route for {day}; re-plan the route to set its time", order_id,
                        on_van.shipment_id, on_van.stop_id, day,
                        outbox_ids=(on_van.cancel_outbox_id,) if on_van.cancel_outbox_id else (),
                        details={"vehicle": vehicle["name"]})
        return self._run(work, then)

    # ------------------------------------------------------------------ reschedule
    def reschedule(self, order_id: int, window: TimeWindow, *, notify: bool = True, then: Then | None = None) -> Done:
        """A new promised window for the order and its delivery, and (by default) the customer told."""
        if window.end <= self.clock():
            raise InputError("The new window is already over.", "Pick a window in the future.")

        def work(conn: sqlite3.Connection) -> Done:
            from ..control.notify import outbox as messages

            order = get_order(conn, order_id)
            if order is None:
                raise NotFound(f"Order {order_id} is not in the store.")
            before = order.promised_window
            set_promise(conn, order_id, window, shop_day(conn, window.start).isoformat())
            set_promised_by(conn, order_id, window.end)
            notes: tuple[int, ...] = ()
            if notify:
                new_eta = messages.local_text(conn, window.start) + " to " + messages.local_text(conn, window.end)[-5:]
                notes = tuple(messages.enqueue(conn, order_id, "delayed", dedup_key=f"delayed:{order_id}:{to_iso(window.end)}",
                                               values={"new_eta": new_eta}, templates=self.templates))
            audit.record(conn, "order.reschedule", "order", order_id,
                         before={"promised_start": to_iso(before.start) if before else None,
                                 "promised_end": to_iso(before.end) if before else None},
                         after={"promised_start": to_iso(window.start), "promised_end": to_iso(window.end),
                                "notified": bool(notes)}, actor=self.actor)
            return Done(f"Rescheduled; {len(notes)} message(s) queued to the customer", order_id,
                        notification_ids=notes)
        return self._run(work, then)

    def cancel_order(self, order_id: int, reason: str, *, then: Then | None = None) -> Done:
        """The shop will not send this order. Refused while a shipment is live: cancel the booking first."""
        from ..store.orders import mark_cancelled
        from ..store.shipments import shipments_for_order

        def work(conn: sqlite3.Connection) -> Done:
            order = get_order(conn, order_id)
            if order is None:
                raise NotFound(f"Order {order_id} is not in the store.")
            if order.status.is_final:
                raise InputError(f"Order {order.order_ref} is already {order.status.label.lower()}.")
            live = [s for s in shipments_for_order(conn, order_id)
                    if not s.status.is_final and s.status is not ShipmentStatus.FAILED_ATTEMPT]
            if live:
                raise InputError(f"Order {order.order_ref} has a live booking with {live[0].carrier}.",
                                 "Cancel the booking first (Orders view), then the order.")
            mark_cancelled(conn, order_id)
            audit.record(conn, "order.cancel", "order", order_id, before={"status": order.status.value},
                         after={"status": "cancelled", "reason": reason}, actor=self.actor)
            return Done(f"Order {order.order_ref} cancelled", order_id)
        return self._run(work, then)

    # ------------------------------------------------------------------ a van's stop worked
    def mark_delivered(self, stop_id: int, *, then: Then | None = None) -> Done:
        """The driver delivered (or, for a collection, picked up) at this stop."""
        return self._mark(stop_id, "delivered", "", then)

    def mark_failed(self, stop_id: int, reason: str, *, then: Then | None = None) -> Done:
        """The driver could not deliver at this stop; the order shows a failed attempt to resolve."""
        if not reason.strip():
            raise InputError("Say why the delivery failed.", "e.g. nobody home, address not found.")
        return self._mark(stop_id, "failed", reason.strip(), then)

    def _mark(self, stop_id: int, outcome: str, reason: str, then: Then | None) -> Done:
        def work(conn: sqlite3.Connection) -> Done:
            stop = plans.get_stop(conn, stop_id)
            if stop is None:
                raise NotFound(f"There is no stop {stop_id}.", "Refresh the route.")
            if stop.status in ("delivered", "failed", "skipped"):
                raise InputError(f"This stop is already {stop.status}.", "Refresh the route.")
            now = self.clock()
            plans.set_stop_status(conn, stop_id, outcome, at=now)
            shipment_id = _van_shipment(conn, stop.order_id, "return" if stop.kind == "pickup" else "delivery")
            if shipment_id is not None:
                target = _STOP_OUTCOMES[(stop.kind, outcome)]
                if target is not None and get_shipment(conn, shipment_id).status is ShipmentStatus.CREATED:
                    # planned onto a route but never booked: the van took it out, so it counts as booked first
                    set_status(conn, shipment_id, ShipmentStatus.BOOKED, actor=self.actor, reason="out on our van")
                if target is not None and can_transition(get_shipment(conn, shipment_id).status, target):
                    set_status(conn, shipment_id, target, actor=self.actor,
                               reason=reason or f"{stop.kind} done by our van")
            audit.record(conn, f"stop.{outcome}", "stop", stop_id,
                         before={"status": stop.status}, after={"status": outcome, "reason": reason,
                                                                "shipment_id": shipment_id}, actor=self.actor)
            words = {"delivered": "Delivered", "failed": f"Failed: {reason}"}[outcome]
            return Done(words, stop.order_id, shipment_id, stop_id, stop.plan_date)
        return self._run(work, then)

    # ------------------------------------------------------------------ one transaction, then the news
    def _run(self, work: Callable[[sqlite3.Connection], Done], then: Then | None) -> Done:
        with self.db.transaction() as conn:
            done = work(conn)
            if then is not None:
                then(conn, done)
        self._publish(done)
        return done

    def _publish(self, done: Done) -> None:
        if self.hub is None:
            return
        self.hub.publish("orders.changed", ids=[done.order_id])
        if done.shipment_id is not None:
            self.hub.publish("shipments.changed", ids=[done.shipment_id])
        if done.stop_id is not None:
            self.hub.publish("routes.changed", plan_date=done.plan_date)
        if done.notification_ids:
            self.hub.publish("notifications.changed")
        if done.outbox_ids:
            self.hub.publish("outbox.changed", ids=list(done.outbox_ids))  # the sync engine looks now


# (stop kind, outcome) -> the van shipment's new status
_STOP_OUTCOMES = {
    ("delivery", "delivered"): ShipmentStatus.DELIVERED,
    ("delivery", "failed"): ShipmentStatus.FAILED_ATTEMPT,
    ("pickup", "delivered"): ShipmentStatus.RETURNING,  # collected: on its way back to the shop
    ("pickup", "failed"): None,  # nobody there: the collection stays to be planned again
}


def _van_shipment(conn: sqlite3.Connection, order_id: int, kind: str) -> int | None:
    row = conn.execute("SELECT id FROM shipments WHERE order_id = ? AND kind = ? AND carrier = ? "
                       "AND status NOT IN ('cancelled', 'delivered', 'returned') ORDER BY id DESC LIMIT 1",
                       (order_id, kind, OWN_FLEET)).fetchone()
    return row["id"] if row else None


def _open_writes(conn: sqlite3.Connection, shipment_id: int | None) -> list:
    from ..sync import outbox

    return outbox.open_for_shipment(conn, shipment_id) if shipment_id is not None else []


def _notes_for(conn: sqlite3.Connection, order_id: int, dedup_key: str) -> tuple[int, ...]:
    return tuple(r[0] for r in conn.execute("SELECT id FROM notifications WHERE order_id = ? AND dedup_key LIKE ?",
                                            (order_id, f"{dedup_key}:%")))
