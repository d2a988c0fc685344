"""What a shop owner can do about an exception; each action records its decision in the store and the audit log.

Work for other areas is handed over through the store, not by calling them: a re-booking is a new shipment
in state 'created' with a 'book' entry in the carrier outbox (the sync engine books it), a reassignment is a
stop on the day's route of an own van (routing re-times it).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from ..domain import Money, Shipment, ShipmentStatus, TimeWindow
from ..domain.status import can_transition
from ..domain.timeutil import from_iso, to_iso, utcnow
from ..errors import InputError, NotFound
from ..events import EventHub
from ..store import Database, audit
from ..store.shipments import create_shipment, get_shipment, set_status
from .notify import outbox
from .notify.templates import TemplateSet

OWN_FLEET = "own_fleet"


@dataclass(frozen=True)
class ActionResult:
    """What an action did, in words for the status bar, and the rows it created."""

    message: str
    exception_ids: tuple[int, ...] = ()
    shipment_id: int | None = None
    notification_ids: tuple[int, ...] = ()


class ControlService:
    """The exception queue's actions. Every method is one transaction plus an audit entry."""

    def __init__(self, db: Database, *, hub: EventHub | None = None, templates: TemplateSet | None = None,
                 actor: str = "user") -> None:
        self.db = db
        self.hub = hub
        self.templates = templates or TemplateSet()
        self.actor = actor

    # --- closing and parking cases ---

    def resolve(self, exception_ids: Iterable[int], reason: str) -> ActionResult:
        reason = reason.strip()
        if not reason:
            raise InputError("Say why the case is resolved.", "Pick or type a reason.")
        ids = tuple(exception_ids)
        with self.db.transaction() as conn:
            for case_id in ids:
                self._close(conn, case_id, "resolved", reason)
        self._changed()
        return ActionResult(f"Resolved {len(ids)} case(s): {reason}", ids)

    def snooze(self, exception_ids: Iterable[int], until: datetime) -> ActionResult:
        ids = tuple(exception_ids)
        with self.db.transaction() as conn:
            for case_id in ids:
                case = self._case(conn, case_id)
                conn.execute("UPDATE exceptions SET snoozed_until = ? WHERE id = ?", (to_iso(until), case_id))
                self._log(conn, case_id, "snoozed", f"until {to_iso(until)}", before={"snoozed_until": case["snoozed_until"]},
                          after={"snoozed_until": to_iso(until)})
        self._changed()
        return ActionResult(f"Snoozed {len(ids)} case(s) until {until:%H:%M}", ids)

    # --- fixing the delivery ---

    def rebook(self, exception_id: int, quote_id: int) -> ActionResult:
        """Cancel the current carrier's shipment and book the quoted one: a new shipment plus an outbox 'book' entry."""
        with self.db.transaction() as conn:
            case = self._case(conn, exception_id)
            old = self._shipment_of(conn, case)
            quote = conn.execute("SELECT * FROM quotes WHERE id = ? AND order_id = ?", (quote_id, old.order_id)).fetchone()
            if quote is None:
                raise NotFound("That quote is not for this order.", "Refresh the quotes and pick one again.")
            if from_iso(quote["expires_at"]) and from_iso(quote["expires_at"]) <= utcnow():
                raise InputError(f"The {quote['carrier']} quote has expired.", "Get fresh quotes, then re-book.")
            self._cancel_with_carrier(conn, old, f"re-booked with {quote['carrier']}")
            new_id = create_shipment(conn, Shipment(
                order_id=old.order_id, carrier=quote["carrier"], service=quote["service"],
                quoted_cost=Money(quote["price_minor"], quote["currency"]), promised_by=old.promised_by,
                eta=from_iso(quote["estimated_delivery"])))
            self._outbox(conn, f"book:rebook:{old.id}:{quote_id}", quote["carrier"], "book", new_id,
                         {"quote_id": quote_id, "external_quote_id": quote["external_id"], "replaces_shipment": old.id})
            note = f"re-booked with {quote['carrier']} {quote['service']}".strip()
            self._close(conn, exception_id, "rebooked", note)
            audit.record(conn, "shipment.rebook", "shipment", new_id, before={"shipment_id": old.id, "carrier": old.carrier},
                         after={"carrier": quote["carrier"], "service": quote["service"], "quote_id": quote_id}, actor=self.actor)
        self._changed(shipments=True)
        return ActionResult(f"Re-booking with {quote['carrier']}: it will be sent to them in the background",
                            (exception_id,), new_id)

    def reschedule(self, exception_ids: Iterable[int] | None, order_id: int, window: TimeWindow, *,
                   notify: bool = True) -> ActionResult:
        """Give the order a new promised window and tell the customer."""
        if window.end <= utcnow():
            raise InputError("The new window is already over.", "Pick a window in the future.")
        ids = tuple(exception_ids or ())
        with self.db.transaction() as conn:
            order = conn.execute("SELECT promised_start, promised_end FROM orders WHERE id = ?", (order_id,)).fetchone()
            if order is None:
                raise NotFound(f"Order {order_id} is not in the store.")
            conn.execute("UPDATE orders SET promised_start = ?, promised_end = ?, delivery_date = ?, updated_at = ? WHERE id = ?",
                         (to_iso(window.start), to_iso(window.end), window.start.date().isoformat(), to_iso(utcnow()), order_id))
            conn.execute("UPDATE shipments SET promised_by = ?, updated_at = ? WHERE order_id = ? AND kind = 'delivery' "
                         "AND status NOT IN ('delivered', 'returned', 'cancelled')", (to_iso(window.end), to_iso(utcnow()), order_id))
            notes = ()
            if notify:
                new_eta = outbox.local_text(conn, window.start) + " to " + outbox.local_text(conn, window.end)[-5:]
                notes = tuple(outbox.enqueue(conn, order_id, "delayed", dedup_key=f"delayed:{order_id}:{to_iso(window.end)}",
                                             values={"new_eta": new_eta}, templates=self.templates))
            audit.record(conn, "order.reschedule", "order", order_id,
                         before={"promised_start": order["promised_start"], "promised_end": order["promised_end"]},
                         after={"promised_start": to_iso(window.start), "promised_end": to_iso(window.end), "notified": bool(notes)},
                         actor=self.actor)
            for case_id in ids:
                self._close(conn, case_id, "rescheduled", f"new window {to_iso(window.start)} to {to_iso(window.end)}")
        self._changed(notifications=bool(notes))
        return ActionResult(f"Rescheduled; {len(notes)} message(s) queued to the customer", ids, None, notes)

    def reassign_to_own_driver(self, exception_id: int, vehicle_id: int, plan_date: str | None = None) -> ActionResult:
        """Take the delivery off the carrier and put a stop for it on that van's route for the day."""
        with self.db.transaction() as conn:
            case = self._case(conn, exception_id)
            old = self._shipment_of(conn, case)
            vehicle = conn.execute("SELECT id, name FROM vehicles WHERE id = ? AND active = 1", (vehicle_id,)).fetchone()
            if vehicle is None:
                raise NotFound("That van is not available.", "Pick an active vehicle.")
            plan_date = plan_date or utcnow().date().isoformat()
            route = conn.execute("SELECT id FROM routes WHERE vehicle_id = ? AND plan_date = ? AND status != 'done' "
                                 "ORDER BY id LIMIT 1", (vehicle_id, plan_date)).fetchone()
            route_id = route["id"] if route else conn.execute(
                "INSERT INTO routes(plan_date, vehicle_id, status, created_at) VALUES (?,?,?,?)",
                (plan_date, vehicle_id, "planned", to_iso(utcnow()))).lastrowid
            sequence = conn.execute("SELECT COALESCE(MAX(sequence), 0) + 1 FROM stops WHERE route_id = ?", (route_id,)).fetchone()[0]
            stop_id = conn.execute("INSERT INTO stops(order_id, route_id, kind, sequence, status) VALUES (?,?,?,?,?)",
                                   (old.order_id, route_id, "delivery", sequence, "planned")).lastrowid
            if old.carrier != OWN_FLEET:
                self._cancel_with_carrier(conn, old, f"reassigned to {vehicle['name']}")
                new_id = create_shipment(conn, Shipment(order_id=old.order_id, carrier=OWN_FLEET, promised_by=old.promised_by))
            else:
                new_id = old.id
            self._close(conn, exception_id, "reassigned", f"stop {sequence} on {vehicle['name']}'s route for {plan_date}")
            audit.record(conn, "order.reassign_own_fleet", "order", old.order_id, before={"carrier": old.carrier},
                         after={"vehicle_id": vehicle_id, "route_id": route_id, "stop_id": stop_id, "shipment_id": new_id},
                         actor=self.actor)
        self._changed(shipments=True, routes=plan_date)
        return ActionResult(f"Added to {vehicle['name']}'s route for {plan_date}; re-plan the route to set its time",
                            (exception_id,), new_id)

    def start_return(self, exception_id: int | None, order_id: int, *, notify: bool = True) -> ActionResult:
        """A return shipment from the customer back to the shop, booked through the outbox."""
        with self.db.transaction() as conn:
            delivery = conn.execute("SELECT id FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
                                    (order_id,)).fetchone()
            if delivery is None:
                raise NotFound("This order has no delivery to return.")
            original = get_shipment(conn, delivery["id"])
            existing = conn.execute("SELECT id FROM shipments WHERE order_id = ? AND kind = 'return' AND status != 'cancelled'",
                                    (order_id,)).fetchone()
            if existing:
                raise InputError("A return is already under way for this order.", "Open the order to follow it.")
            return_id = create_shipment(conn, Shipment(order_id=order_id, carrier=original.carrier, kind="return",
                                                       service=original.service))
            self._outbox(conn, f"return:{order_id}:{original.id}", original.carrier, "return", return_id,
                         {"original_shipment": original.id})
            notes = ()
            if notify:
                notes = tuple(outbox.enqueue(conn, order_id, "return_started", dedup_key=f"return_started:{order_id}",
                                             values={"next_steps": "We will tell you when it is collected."},
                                             templates=self.templates))
            audit.record(conn, "order.start_return", "order", order_id, after={"return_shipment_id": return_id}, actor=self.actor)
            if exception_id is not None:
                self._close(conn, exception_id, "return_started", f"return shipment {return_id} with {original.carrier}")
        self._changed(shipments=True, notifications=bool(notes))
        return ActionResult(f"Return started with {original.carrier}", (exception_id,) if exception_id else (), return_id, notes)

    def contact_customer(self, order_id: int, *, subject: str, message: str, channels: tuple[str, ...] = ("email", "sms"),
                         exception_id: int | None = None) -> ActionResult:
        """Send the message written in the composer; the case stays open (contacting is not fixing)."""
        if not message.strip():
            raise InputError("The message is empty.", "Write what the customer should know.")
        now = utcnow()
        with self.db.transaction() as conn:
            key = f"custom:{order_id}:{uuid.uuid4().hex}"  # each composed message is new
            notes = tuple(outbox.enqueue(conn, order_id, "custom", dedup_key=key, channels=channels,
                                         values={"subject": subject, "message": message}, templates=self.templates))
            audit.record(conn, "customer.contact", "order", order_id, after={"subject": subject, "channels": list(channels),
                                                                              "notifications": list(notes)}, actor=self.actor)
            if exception_id is not None:
                self._log(conn, exception_id, "contacted", subject or message[:60])
        self._changed(notifications=True)
        return ActionResult(f"{len(notes)} message(s) queued to the customer", (exception_id,) if exception_id else (), None, notes)

    def log_complaint(self, order_id: int, note: str) -> ActionResult:
        """A customer complaint as its own case, so scorecards can count complaints per carrier and driver."""
        with self.db.transaction() as conn:
            shipment = conn.execute("SELECT id FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
                                    (order_id,)).fetchone()
            stamp = to_iso(utcnow())
            case_id = conn.execute(
                "INSERT INTO exceptions(kind, severity, cause_key, order_id, shipment_id, summary, suggested_action, opened_at) "
                "VALUES ('complaint', 'medium', ?, ?, ?, ?, 'Call the customer back', ?)",
                (f"complaint:{order_id}:{uuid.uuid4().hex}", order_id, shipment["id"] if shipment else None, note, stamp)).lastrowid
            self._log(conn, case_id, "opened", note)
        self._changed()
        return ActionResult("Complaint logged", (case_id,))

    # --- helpers ---

    def _case(self, conn, exception_id: int):
        case = conn.execute("SELECT * FROM exceptions WHERE id = ?", (exception_id,)).fetchone()
        if case is None:
            raise NotFound(f"Exception {exception_id} is no longer in the store.", "Refresh the queue.")
        return case

    def _shipment_of(self, conn, case) -> Shipment:
        shipment_id = case["shipment_id"] or (conn.execute(
            "SELECT id FROM shipments WHERE order_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1",
            (case["order_id"],)).fetchone() or [None])[0]
        shipment = get_shipment(conn, shipment_id) if shipment_id else None
        if shipment is None:
            raise NotFound("This case has no shipment to act on.")
        return shipment

    def _close(self, conn, exception_id: int, action: str, note: str) -> None:
        case = self._case(conn, exception_id)
        if case["resolved_at"] is not None:
            return
        conn.execute("UPDATE exceptions SET resolved_at = ?, resolution = ? WHERE id = ?", (to_iso(utcnow()), note, exception_id))
        self._log(conn, exception_id, action, note, before={"resolved_at": None}, after={"resolution": note})

    def _log(self, conn, exception_id: int, action: str, note: str, *, before: dict | None = None,
             after: dict | None = None) -> None:
        conn.execute("INSERT INTO exception_actions(exception_id, at, action, note) VALUES (?,?,?,?)",
                     (exception_id, to_iso(utcnow()), action, note))
        audit.record(conn, f"exception.{action}", "exception", exception_id, before=before,
                     after=(after or {}) | {"note": note}, actor=self.actor)

    def _cancel_with_carrier(self, conn, shipment: Shipment, reason: str) -> None:
        """Stop the old shipment: cancel it in the store and, if the carrier had it, tell them through the outbox."""
        if shipment.status.is_final:
            return
        target = ShipmentStatus.CANCELLED if can_transition(shipment.status, ShipmentStatus.CANCELLED) else ShipmentStatus.EXCEPTION
        if target != shipment.status:
            set_status(conn, shipment.id, target, actor=self.actor, reason=reason)
        if shipment.status not in (ShipmentStatus.CREATED, ShipmentStatus.QUOTED) and shipment.carrier != OWN_FLEET:
            self._outbox(conn, f"cancel:{shipment.id}", shipment.carrier, "cancel", shipment.id, {"reason": reason})
        conn.execute("UPDATE outbox SET state = 'cancelled', updated_at = ? WHERE shipment_id = ? AND operation = 'book' "
                     "AND state IN ('pending', 'failed')", (to_iso(utcnow()), shipment.id))

    def _outbox(self, conn, key: str, carrier: str, operation: str, shipment_id: int, payload: dict) -> None:
        now = to_iso(utcnow())
        conn.execute("INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, payload_json, state, next_attempt_at, "
                     "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING",
                     (key, carrier, operation, shipment_id, json.dumps(payload), "pending", now, now, now))

    def _changed(self, *, shipments: bool = False, notifications: bool = False, routes: str | None = None) -> None:
        if self.hub is None:
            return
        self.hub.publish("exceptions.changed")
        if shipments:
            self.hub.publish("shipments.changed", ids=[])
        if notifications:
            self.hub.publish("notifications.changed")
        if routes:
            self.hub.publish("routes.changed", plan_date=routes)


def snooze_until_default(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(hours=2)
