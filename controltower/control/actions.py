"""What a shop owner can do about an exception; each action records its decision in the store and the audit log.

Fixing the delivery itself (re-book, reschedule, own van, return) is dispatch's use case, written once in
`dispatch.usecases`; the queue calls it and closes its case in the same transaction.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from ..dispatch.usecases import DeliveryActions
from ..domain import Severity, TimeWindow
from ..domain.timeutil import to_iso, utcnow
from ..kernel.errors import InputError, NotFound
from ..kernel.events import EventHub
from ..store import Database, audit
from . import case_store, cases
from .notify import outbox
from .open_exceptions import open_exceptions
from .notify.templates import TemplateSet
from .rules.base import Finding


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
        self.actions = DeliveryActions(db, hub=hub, actor=actor, templates=self.templates)  # fixing a delivery is dispatch's use case

    # --- reading the queue (each call on the calling thread's own reader) ---

    def open_cases(self, case_filter: cases.CaseFilter = cases.CaseFilter()) -> list[cases.CaseRow]:
        """The most urgent open cases matching the filter, most severe and oldest first (at most 500)."""
        return cases.open_cases(self.db.reader(), case_filter)

    def counts_by_kind(self) -> dict[str, int]:
        """Open, awake cases per kind (the queue's chips), by the one definition the KPI and the checker use too."""
        return open_exceptions(self.db.reader()).by_kind

    def rebook_quotes(self, order_id: int, failed_carrier: str = "") -> list[cases.RebookQuote]:
        """Other carriers' unexpired quotes for the order, cheapest first."""
        return cases.quotes_for(self.db.reader(), order_id, failed_carrier)

    def own_vans(self) -> list[cases.VanChoice]:
        """The shop's active vans, by name, for "Give to own driver"."""
        return cases.active_vehicles(self.db.reader())

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
                case_store.snooze(conn, case_id, to_iso(until))
                self._log(conn, case_id, "snoozed", f"until {to_iso(until)}", before={"snoozed_until": case["snoozed_until"]},
                          after={"snoozed_until": to_iso(until)})
        self._changed()
        return ActionResult(f"Snoozed {len(ids)} case(s) until {until:%H:%M}", ids)

    # --- fixing the delivery ---

    def rebook(self, exception_id: int, quote_id: int) -> ActionResult:
        """Cancel the current carrier's shipment and book the quoted one (dispatch's re-book; the sync engine sends it)."""
        order_id = self._order_of(exception_id)

        def close(conn, done) -> None:
            note = f"re-booked with {done.details['carrier']} {done.details['service']}".strip()
            self._close(conn, exception_id, "rebooked", note)
        done = self.actions.rebook_with_quote(order_id, quote_id, then=close)
        self._changed()
        return ActionResult(done.message, (exception_id,), done.shipment_id)

    def reschedule(self, exception_ids: Iterable[int] | None, order_id: int, window: TimeWindow, *,
                   notify: bool = True) -> ActionResult:
        """Give the order a new promised window and tell the customer."""
        ids = tuple(exception_ids or ())

        def close(conn, done) -> None:
            for case_id in ids:
                self._close(conn, case_id, "rescheduled", f"new window {to_iso(window.start)} to {to_iso(window.end)}")
        done = self.actions.reschedule(order_id, window, notify=notify, then=close)
        self._changed()
        return ActionResult(done.message, ids, None, done.notification_ids)

    def reassign_to_own_driver(self, exception_id: int, vehicle_id: int, plan_date: str | None = None) -> ActionResult:
        """Take the delivery off the carrier and put a stop for it on that van's route for the shop's day."""
        order_id = self._order_of(exception_id)

        def close(conn, done) -> None:
            self._close(conn, exception_id, "reassigned", f"on {done.details['vehicle']}'s route for {done.plan_date}")
        done = self.actions.put_on_own_van(order_id, vehicle_id, plan_date, then=close)
        self._changed()
        return ActionResult(done.message, (exception_id,), done.shipment_id)

    def start_return(self, exception_id: int | None, order_id: int, *, notify: bool = True) -> ActionResult:
        """A return the way the order came (its carrier collects it, through the outbox), with its `returns` row."""
        reason = "started from the exception queue"
        if exception_id is not None:
            case = self.db.reader().execute("SELECT summary FROM exceptions WHERE id = ?", (exception_id,)).fetchone()
            reason = (case["summary"] if case and case["summary"] else reason)

        def close(conn, done) -> None:
            if exception_id is not None:
                self._close(conn, exception_id, "return_started", f"return shipment {done.shipment_id}")
        done = self.actions.start_return_like_delivery(order_id, reason, notify=notify, then=close)
        self._changed()
        return ActionResult(done.message, (exception_id,) if exception_id else (), done.shipment_id, done.notification_ids)

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
            complaint = Finding("complaint", Severity.MEDIUM, f"complaint:{order_id}:{uuid.uuid4().hex}", note,
                                "Call the customer back", order_id, shipment["id"] if shipment else None)
            case_id = case_store.open_case(conn, complaint, stamp)
            audit.record(conn, "exception.opened", "exception", case_id, after={"note": note}, actor=self.actor)
        self._changed()
        return ActionResult("Complaint logged", (case_id,))

    # --- helpers ---

    def _case(self, conn, exception_id: int):
        case = conn.execute("SELECT * FROM exceptions WHERE id = ?", (exception_id,)).fetchone()
        if case is None:
            raise NotFound(f"Exception {exception_id} is no longer in the store.", "Refresh the queue.")
        return case

    def _order_of(self, exception_id: int) -> int:
        case = self._case(self.db.reader(), exception_id)
        if case["order_id"] is None:
            raise NotFound("This case is not about an order.", "Resolve it instead.")
        return case["order_id"]

    def _close(self, conn, exception_id: int, action: str, note: str) -> None:
        case = self._case(conn, exception_id)
        if case["resolved_at"] is not None:
            return
        case_store.resolve(conn, [exception_id], to_iso(utcnow()), note)
        self._log(conn, exception_id, action, note, before={"resolved_at": None}, after={"resolution": note})

    def _log(self, conn, exception_id: int, action: str, note: str, *, before: dict | None = None,
             after: dict | None = None) -> None:
        case_store.log_action(conn, exception_id, action, note, to_iso(utcnow()))
        audit.record(conn, f"exception.{action}", "exception", exception_id, before=before,
                     after=(after or {}) | {"note": note}, actor=self.actor)

    def _changed(self, *, notifications: bool = False) -> None:
        if self.hub is None:
            return
        self.hub.publish("exceptions.changed")
        if notifications:
            self.hub.publish("notifications.changed")


def snooze_until_default(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(hours=2)
